import { channelSum, guidedGradCam } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { guidedBackprop, guidedRelu } from './index.js';

describe('guided backpropagation (Springenberg et al.)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('guidedRelu passes positive gradients where the input was in the linear range', () => {
    const x = tf.tensor1d([-1, 0.5, 2, 7]);
    const dy = tf.tensor1d([1, -1, 3, 1]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(guidedRelu(a, 6), dy)))(x);
    expect(Array.from(g.dataSync())).toEqual([0, 0, 3, 0]);
    expect(Array.from(guidedRelu(x, 6).dataSync())).toEqual([0, 0.5, 2, 6]);
    tf.dispose([x, dy, g]);
  });

  it('on a two-layer ReLU net equals the hand-derived guided gradient; the model is restored', () => {
    // y = w2 · relu(W1 x): guided dy/dx = W1ᵀ (relu(w2) ⊙ [W1 x > 0]), since the only ReLU's incoming gradient is w2.
    const W1 = [
      [1, -2],
      [0.5, 1],
      [-1, 1],
    ];
    const w2 = [2, -1, 1];
    const input = tfl.input({ shape: [1, 1, 2] });
    const hidden = tfl.layers.dense({ units: 3, useBias: false, activation: 'relu', name: 'hidden' }).apply(input);
    const flat = tfl.layers.flatten().apply(hidden);
    const out = tfl.layers.dense({ units: 1, useBias: false, name: 'out' }).apply(flat) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: out });
    model.getLayer('hidden').setWeights([tf.tensor2d([W1.map((r) => r[0]), W1.map((r) => r[1])])]);
    model.getLayer('out').setWeights([tf.tensor2d(w2, [3, 1])]);
    const x = tf.tensor4d([1, 0.25], [1, 1, 1, 2]);
    const before = tf.memory().numTensors;
    const g = guidedBackprop(model, x, { targets: [0] });
    expect(tf.memory().numTensors).toBe(before + 1);
    const pre = W1.map((r) => r[0] * 1 + r[1] * 0.25); // [0.5, 0.75, -0.75]
    const gate = w2.map((v, i) => (v > 0 && pre[i] > 0 ? v : 0));
    const expected = [0, 1].map((j) => W1.reduce((s, r, i) => s + r[j] * gate[i], 0));
    Array.from(g.dataSync()).forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 6);
    });
    // The plain gradient (model restored) differs: it also passes the negative w2.
    const plain = tf.grad((a: tf.Tensor) => tf.sum(model.apply(a) as tf.Tensor))(x);
    expect(Array.from(plain.dataSync())).not.toEqual(Array.from(g.dataSync()));
    expect(model.getLayer('hidden').getClassName()).toBe('Dense');
    expect((model.getLayer('hidden') as unknown as { activation: { getClassName(): string } }).activation.getClassName()).toBe('relu');
    tf.dispose([g, plain, x]);
  });

  it('Guided Grad-CAM multiplies the gradient by the upsampled CAM; channelSum gives a signed map in [-1, 1]', () => {
    const gradient = { width: 4, height: 2, channels: 1, data: Float32Array.from([1, -1, 2, -2, 1, 1, 1, 1]) };
    const cam = { width: 2, height: 1, data: Float32Array.from([1, 0]) };
    const product = guidedGradCam(gradient, cam);
    expect(product.data[0]).toBeCloseTo(1, 6); // left edge: cam 1
    expect(product.data[3]).toBeCloseTo(0, 6); // right edge: cam 0
    const signed = channelSum(product);
    expect(Math.max(...signed.data.map(Math.abs))).toBeCloseTo(1, 5);
  });
});
