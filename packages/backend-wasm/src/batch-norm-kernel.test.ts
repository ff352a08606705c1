// tfjs-core registers its gradient functions through tfjs-layers' import of them.
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { agree, maxAbsDiff, on, wave } from './agree-with-cpu.js';
import { registerWasmBatchNorm, useWasmBackend } from './index.js';

/** TensorFlow's FusedBatchNorm inference formula in float64: (x − mean) · γ / √(var + ε) + β. */
function reference(
  x: Float32Array,
  mean: number[],
  variance: number[],
  offset: number[] | undefined,
  scale: number[] | undefined,
  epsilon: number,
): Float32Array {
  const c = mean.length;
  return x.map((v, i) => {
    const k = i % c;
    return ((v - mean[k]) * (scale ? scale[k] : 1)) / Math.sqrt(variance[k] + epsilon) + (offset ? offset[k] : 0);
  });
}

describe("wasm's FusedBatchNorm, replaced by sub/mul/add", () => {
  beforeAll(async () => {
    await useWasmBackend();
  });

  const channels = 6;
  const mean = Array.from({ length: channels }, (_, k) => 3 * Math.sin(k));
  const variance = Array.from({ length: channels }, (_, k) => 0.01 + k * 0.4);
  const offset = Array.from({ length: channels }, (_, k) => Math.cos(k));
  const scale = Array.from({ length: channels }, (_, k) => 0.5 - k * 0.2);

  it('computes TensorFlow’s formula, with and without γ and β, on 4-D and 2-D inputs', async () => {
    for (const shape of [
      [2, 5, 7, channels],
      [9, channels],
    ]) {
      for (const [withOffset, withScale] of [
        [true, true],
        [false, true],
        [true, false],
        [false, false],
      ]) {
        const f = () => {
          const x = tf.mul(wave(shape, 0.2), 4);
          const y = tf.batchNorm(
            x,
            tf.tensor1d(mean),
            tf.tensor1d(variance),
            withOffset ? tf.tensor1d(offset) : undefined,
            withScale ? tf.tensor1d(scale) : undefined,
            1e-3,
          );
          return [x, y];
        };
        const [[x, wasm], [, cpu]] = [await on('wasm', f), await on('cpu', f)];
        const want = reference(x, mean, variance, withOffset ? offset : undefined, withScale ? scale : undefined, 1e-3);
        expect(maxAbsDiff(wasm, want), `${shape} offset ${withOffset} scale ${withScale}`).toBeLessThan(2e-5);
        expect(maxAbsDiff(wasm, cpu)).toBeLessThan(2e-5);
      }
    }
  });

  it('falls back to the original kernel for statistics of another shape ([1, 1, 1, c] mean and variance)', async () => {
    await agree(() => [
      tf.batchNorm(
        wave([1, 3, 4, channels], 0.5),
        tf.tensor4d(mean, [1, 1, 1, channels]),
        tf.tensor4d(variance, [1, 1, 1, channels]),
        undefined,
        undefined,
        1e-3,
      ),
    ]);
  });

  it('keeps the gradient of tf.batchNorm (w.r.t. the input) equal to cpu', async () => {
    await agree(() => [
      tf.grad((x: tf.Tensor) => tf.sum(tf.square(tf.batchNorm(x, tf.tensor1d(mean), tf.tensor1d(variance), tf.tensor1d(offset), tf.tensor1d(scale), 1e-3))))(
        wave([2, 3, 3, channels], 0.9),
      ),
    ]);
  });

  it('frees its intermediate tensors (wasm heap and tensor count unchanged)', async () => {
    await tf.setBackend('wasm');
    const x = wave([1, 16, 16, channels], 0.1);
    const stats = [mean, variance, offset, scale].map((v) => tf.tensor1d(v));
    tf.dispose(tf.batchNorm(x, stats[0], stats[1], stats[2], stats[3], 1e-3));
    const before = { tensors: tf.memory().numTensors, bytes: tf.memory().numBytes };
    for (let i = 0; i < 50; i++) tf.dispose(tf.batchNorm(x, stats[0], stats[1], stats[2], stats[3], 1e-3));
    expect({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes }).toEqual(before);
    tf.dispose([x, ...stats]);
  });

  it('runs as wasm Sub, Multiply and Add kernels (the element-by-element BatchNorm kernel is not used)', async () => {
    await tf.setBackend('wasm');
    const calls: string[] = [];
    const restore = [tf.Sub, tf.Multiply, tf.Add].map((name) => {
      const config = tf.getKernel(name, 'wasm') as tf.KernelConfig;
      tf.unregisterKernel(name, 'wasm');
      const counted: tf.KernelFunc = (args) => {
        calls.push(name);
        return config.kernelFunc(args);
      };
      tf.registerKernel({ ...config, kernelFunc: counted });
      return () => {
        tf.unregisterKernel(name, 'wasm');
        tf.registerKernel(config);
      };
    });
    try {
      tf.tidy(() => tf.batchNorm(wave([1, 4, 4, channels], 0), tf.tensor1d(mean), tf.tensor1d(variance), tf.tensor1d(offset), tf.tensor1d(scale)).dataSync());
    } finally {
      for (const undo of restore) undo();
    }
    expect(calls).toEqual([tf.Sub, tf.Multiply, tf.Add]);
  });

  it('registering twice is harmless', () => {
    expect(() => registerWasmBatchNorm()).not.toThrow();
    expect(tf.getKernel('FusedBatchNorm', 'wasm')).toBeDefined();
  });
});
