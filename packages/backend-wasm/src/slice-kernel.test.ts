import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { registerWasmSliceKernel, useWasmBackend } from './index.js';

/** Runs `f` on a backend; returns its result's values and shape. */
async function on(backend: string, f: () => tf.Tensor): Promise<{ values: number[]; shape: number[] }> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const out = tf.tidy(f);
  const result = { values: Array.from(out.dataSync()), shape: out.shape };
  out.dispose();
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

/** 0, 1, 2, … in the given shape. */
const seq = (shape: number[]) =>
  tf.tensor(
    Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i),
    shape,
  );

const CASES: [string, () => tf.Tensor][] = [
  ['one image of a batch (contiguous)', () => tf.slice(seq([2, 3, 4, 5]), 1, 1)],
  ['rows of a batch (contiguous)', () => tf.slice(seq([6, 2, 2, 3]), [2, 0, 0, 0], [3, -1, -1, -1])],
  ['inner rows of one image (contiguous)', () => tf.slice(seq([1, 3, 4, 5]), [0, 1, 0, 0], [1, 2, 4, 5])],
  ['int32, 1-D', () => tf.slice(tf.tensor1d([5, 6, 7, 8, 9], 'int32'), 1, 3)],
  ['bool rows', () => tf.slice(tf.tensor2d([true, false, true, true], [2, 2], 'bool'), 1, 1)],
  ['a window (strided: the original kernel)', () => tf.slice(seq([2, 3, 4, 5]), [0, 1, 1, 2], [2, 2, 2, 3])],
  ['empty', () => tf.slice(seq([3, 4]), [1, 0], [0, 4])],
];

describe("wasm's Slice, replaced for contiguous slices (slice-kernel.ts)", () => {
  beforeAll(async () => {
    await useWasmBackend();
  });

  for (const [name, f] of CASES) {
    it(`gives what the cpu backend gives: ${name}`, async () => {
      const [cpu, wasm] = [await on('cpu', f), await on('wasm', f)];
      expect(wasm).toEqual(cpu);
    });
  }

  it('is registered once, and a contiguous slice never reads its whole input out of the heap', async () => {
    registerWasmSliceKernel(); // idempotent
    await tf.setBackend('wasm');
    const batch = tf.randomUniform([8, 7, 7, 16], 0, 1, 'float32', 1);
    const backend = tf.backend() as unknown as { readSync(dataId: object): unknown };
    const read = vi.spyOn(backend, 'readSync');
    const one = tf.slice(batch, 3, 1);
    expect(read).not.toHaveBeenCalled();
    read.mockRestore();
    const expected = batch.dataSync().slice(3 * 7 * 7 * 16, 4 * 7 * 7 * 16);
    expect(one.dataSync()).toEqual(expected);
    tf.dispose([batch, one]);
  });
});
