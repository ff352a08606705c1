// Test helpers: run the same computation on the cpu and wasm backends and compare.
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';

/** Runs `f` on a backend and returns its results as plain arrays. */
export async function on(backend: string, f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const outputs = tf.tidy(f);
  const values = outputs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outputs);
  expect(tf.memory().numTensors).toBe(before);
  return values;
}

/** A smooth, deterministic test tensor. */
export function wave(shape: number[], phase: number): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Array.from({ length: size }, (_, i) => Math.sin(i * 0.37 + phase)),
    shape,
  );
}

/** The largest absolute difference between two arrays of the same length. */
export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** The same computation on wasm and cpu must agree. */
export async function agree(f: () => tf.Tensor[]): Promise<void> {
  const [cpu, wasm] = [await on('cpu', f), await on('wasm', f)];
  expect(wasm.length).toBe(cpu.length);
  for (let i = 0; i < cpu.length; i++) {
    expect(Math.max(...cpu[i].map(Math.abs))).toBeGreaterThan(0);
    expect(maxAbsDiff(wasm[i], cpu[i])).toBeLessThan(1e-4);
  }
}
