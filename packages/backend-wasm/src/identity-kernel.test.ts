import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmIdentityKernel, useWasmBackend } from './index.js';

describe("wasm's Identity shares memory instead of copying it", () => {
  beforeAll(async () => {
    await useWasmBackend();
  });

  it('tf.clone gives the same values in a tensor of its own: disposing either leaves the other intact', () => {
    registerWasmIdentityKernel(); // idempotent
    const before = tf.memory();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId); // the same memory (tfjs-backend-wasm's own Identity copies)
    expect(tf.memory().numTensors).toBe(before.numTensors + 2);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers + 1);
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    const z = tf.add(y, 1);
    expect(Array.from(z.dataSync())).toEqual([2, 3, 4, 5, 6, 7]);
    tf.dispose([y, z]);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
    const s = tf.clone(tf.tensor1d(['a', 'b'], 'string'));
    expect(s.dataSync()).toEqual(['a', 'b']);
  });
});
