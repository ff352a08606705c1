import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { useWasmBackend, wasmFilesDirectory } from './index.js';

describe('the wasm backend', () => {
  it('resolves its .wasm files from the installed package, not a CDN', async () => {
    const dir = await wasmFilesDirectory();
    expect(dir).toMatch(/@tensorflow\/tfjs-backend-wasm\/dist\/$/);
    expect(existsSync(`${dir}tfjs-backend-wasm.wasm`)).toBe(true);
    expect(existsSync(`${dir}tfjs-backend-wasm-simd.wasm`)).toBe(true);
  });

  it('starts offline and computes', async () => {
    expect(await useWasmBackend()).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const y = tf.matMul(tf.tensor2d([[1, 2]]), tf.tensor2d([[3], [4]]));
    expect(Array.from(y.dataSync())).toEqual([11]);
  });
});
