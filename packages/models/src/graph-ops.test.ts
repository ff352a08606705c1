import type { GraphActivation, GraphNode, GraphOp } from '@gradcam/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { differentiableNode, disposePassConstants, forwardNode, passConstants } from './graph-ops.js';

const node = (op: GraphOp): GraphNode => ({ name: 'n', op, inputs: ['x'], layers: [], outputShape: [] });
const random = (shape: number[], seed: number, scale = 1) => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed), scale);

/** The kernel with d − 1 zeros between its taps, in JavaScript. */
function dilate(kernel: tf.Tensor4D, d: number): tf.Tensor4D {
  if (d === 1) return kernel;
  const [kh, kw, a, b] = kernel.shape;
  const [h, w] = [(kh - 1) * d + 1, (kw - 1) * d + 1];
  const source = kernel.dataSync();
  const out = new Float32Array(h * w * a * b);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++) out.set(source.subarray((i * kw + j) * a * b, (i * kw + j + 1) * a * b), (i * d * w + j * d) * a * b);
  return tf.tensor4d(out, [h, w, a, b]);
}

/** Plain tfjs ops (tfjs' own gradients) computing what `op` computes. */
function reference(op: GraphOp, x: tf.Tensor): tf.Tensor {
  const act = (y: tf.Tensor, a: GraphActivation) =>
    a === 'relu6'
      ? tf.clipByValue(y, 0, 6)
      : a === 'relu'
        ? tf.relu(y)
        : a === 'softmax'
          ? tf.softmax(y)
          : a === 'sigmoid'
            ? tf.sigmoid(y)
            : a === 'tanh'
              ? tf.tanh(y)
              : a === 'elu'
                ? tf.elu(y)
                : a === 'leakyrelu'
                  ? tf.leakyRelu(y, 0.3)
                  : y;
  switch (op.kind) {
    case 'conv2d':
    case 'depthwiseConv2d': {
      // tfjs cannot differentiate dilated convolutions: the reference spells the dilation out in the kernel.
      const conv = op.kind === 'conv2d' ? tf.conv2d : tf.depthwiseConv2d;
      const y = conv(x as tf.Tensor4D, dilate(op.filter, op.dilations[0]), op.strides as [number, number], op.padding, 'NHWC');
      return act(op.bias ? tf.add(y, op.bias) : y, op.activation);
    }
    case 'dense':
      return act(tf.add(tf.matMul(x as tf.Tensor2D, op.kernel), op.bias ?? 0), op.activation);
    case 'affine':
      return act(tf.add(tf.mul(tf.sub(x, op.mean), op.scale), op.offset), op.activation);
    case 'activation':
      return act(x, op.activation);
    default:
      throw new Error(op.kind);
  }
}

describe('graph ops: values and input gradients equal plain tfjs ops (cpu)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  type ConvSettings = { strides?: [number, number]; padding?: 'same' | 'valid'; dilations?: [number, number] };
  const convCases: [string, ConvSettings, number[]][] = [
    ['1×1', {}, [1, 1, 6, 5]],
    ['3×3 same stride 1', {}, [3, 3, 6, 5]],
    ['3×3 same stride 2', { strides: [2, 2] }, [3, 3, 6, 5]],
    ['3×3 valid stride 2', { strides: [2, 2], padding: 'valid' }, [3, 3, 6, 5]],
    ['2×2 same stride 1 (even kernel)', {}, [2, 2, 6, 5]],
    ['3×3 dilated', { dilations: [2, 2] }, [3, 3, 6, 5]],
  ];
  const activations: GraphActivation[] = ['linear', 'relu', 'relu6', 'sigmoid', 'tanh', 'elu', 'leakyrelu'];
  for (const kind of ['conv2d', 'depthwiseConv2d'] as const) {
    for (const [label, settings, shape] of convCases) {
      for (const activation of activations) {
        it(`${kind} ${label}, bias, ${activation}`, () => {
          const before = tf.memory().numTensors;
          tf.tidy(() => {
            const filterShape = kind === 'depthwiseConv2d' ? [shape[0], shape[1], shape[2], 1] : shape;
            const op = {
              kind,
              filter: random(filterShape, 1, 0.7) as tf.Tensor4D,
              bias: random([kind === 'depthwiseConv2d' ? shape[2] : shape[3]], 2, 2) as tf.Tensor1D,
              strides: [1, 1],
              padding: 'same',
              dilations: [1, 1],
              activation,
              ...settings,
            } as GraphOp;
            const x = random([2, 9, 9, 6], 3, 2);
            const expected = reference(op, x);
            expect(tf.max(tf.abs(tf.sub(forwardNode(node(op), [x]), expected))).dataSync()[0]).toBeLessThan(1e-5);
            const weights = random(expected.shape, 4);
            const constants = passConstants();
            const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(differentiableNode(node(op), [t], constants), weights)))(x);
            const theirs = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(reference(op, t), weights)))(x);
            expect(tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]).toBeLessThan(1e-4);
            disposePassConstants(constants);
          });
          expect(tf.memory().numTensors).toBe(before);
        });
      }
    }
  }

  for (const activation of [...activations, 'softmax'] as GraphActivation[]) {
    it(`dense, affine and activation nodes: ${activation}`, () => {
      tf.tidy(() => {
        const x2 = random([3, 6], 5, 2);
        const x4 = random([2, 4, 4, 6], 6, 3);
        const ops: [GraphOp, tf.Tensor][] = [
          [{ kind: 'dense', kernel: random([6, 5], 7) as tf.Tensor2D, bias: random([5], 8) as tf.Tensor1D, activation }, x2],
          [
            {
              kind: 'affine',
              mean: random([6], 9) as tf.Tensor1D,
              scale: random([6], 10) as tf.Tensor1D,
              offset: random([6], 11) as tf.Tensor1D,
              ones: tf.ones([6]) as tf.Tensor1D,
              activation,
            },
            x4,
          ],
          [{ kind: 'activation', activation }, x4],
        ];
        for (const [op, x] of ops) {
          const expected = reference(op, x);
          expect(tf.max(tf.abs(tf.sub(forwardNode(node(op), [x]), expected))).dataSync()[0]).toBeLessThan(1e-5);
          const weights = random(expected.shape, 12);
          const ours = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(differentiableNode(node(op), [t], passConstants()), weights)))(x);
          const theirs = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(reference(op, t), weights)))(x);
          expect(tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0], op.kind).toBeLessThan(1e-4);
        }
      });
    });
  }
});
