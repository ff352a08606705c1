// tfjs-core registers its gradient functions through tfjs-layers' import of them.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { agree, wave } from './agree-with-cpu.js';
import { useWasmBackend, WASM_GRADIENT_KERNELS, WASM_REPLACED_KERNELS } from './index.js';

describe('gradient kernels tfjs-backend-wasm lacks', () => {
  beforeAll(async () => {
    await useWasmBackend();
  });

  it('are registered for wasm on import', () => {
    for (const name of [...WASM_GRADIENT_KERNELS, ...WASM_REPLACED_KERNELS]) expect(tf.getKernel(name, 'wasm'), name).toBeDefined();
  });

  it('conv2d: gradients w.r.t. input and filter (strided, same and valid padding) match cpu', async () => {
    for (const [stride, pad] of [
      [1, 'same'],
      [2, 'same'],
      [2, 'valid'],
    ] as const) {
      await agree(() => {
        const x = wave([2, 9, 7, 3], 0.1) as tf.Tensor4D;
        const w = wave([3, 3, 3, 4], 0.7) as tf.Tensor4D;
        const loss = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.sum(tf.square(tf.conv2d(a, b, stride, pad)));
        return tf.grads(loss as (...args: tf.Tensor[]) => tf.Tensor)([x, w]);
      });
    }
  });

  it('depthwiseConv2d: gradients w.r.t. input and filter match cpu, with a channel multiplier', async () => {
    for (const [stride, pad, multiplier] of [
      [1, 'same', 1],
      [2, 'same', 1],
      [1, 'valid', 2],
    ] as const) {
      await agree(() => {
        const x = wave([2, 8, 8, 3], 0.3) as tf.Tensor4D;
        const w = wave([3, 3, 3, multiplier], 1.1) as tf.Tensor4D;
        const loss = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.sum(tf.square(tf.depthwiseConv2d(a, b, stride, pad)));
        return tf.grads(loss as (...args: tf.Tensor[]) => tf.Tensor)([x, w]);
      });
    }
  });

  it('unsortedSegmentSum (and the gather gradient built on it) match cpu', async () => {
    await agree(() => {
      const x = wave([6, 4], 0.5);
      const sums = tf.unsortedSegmentSum(x, tf.tensor1d([0, 2, 0, 1, 2, 2], 'int32'), 3);
      const gatherGrad = tf.grad((a: tf.Tensor) => tf.sum(tf.square(tf.gather(a, tf.tensor1d([1, 1, 5, 0], 'int32')))))(x);
      return [sums, gatherGrad];
    });
  });

  it('maxPool: the gradient of an all-zero window goes to its first cell, as on cpu and in TensorFlow', async () => {
    await agree(() => {
      // After a ReLU, windows of zeros are common; wasm's own MaxPoolGrad dropped their gradient.
      const x = tf.relu(tf.sub(wave([1, 9, 9, 4], 0.4), 0.8));
      return [tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 3, 2, 'valid'), wave([1, 4, 4, 4], 1))))(x)];
    });
  });

  it('a registration twice is harmless', async () => {
    const { registerWasmGradientKernels } = await import('./gradient-kernels.js');
    expect(() => registerWasmGradientKernels()).not.toThrow();
  });
});
