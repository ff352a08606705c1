import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { projectMaps, projectOnFirstComponent } from './principal-projection.js';

/** X[i,k] = mean_k + 3·u_i·v_k + 0.5·u2_i·v2_k: first component u (scaled by 3‖v‖). */
function lowRank(n: number, c: number) {
  const u = Array.from({ length: n }, (_, i) => Math.sin(i + 1));
  const uMean = u.reduce((s, x) => s + x) / n;
  const uc = u.map((x) => x - uMean);
  const u2 = Array.from({ length: n }, (_, i) => Math.cos(3 * i));
  const v = Array.from({ length: c }, (_, k) => 1 + (k % 3));
  const v2 = Array.from({ length: c }, (_, k) => (k % 2 ? 1 : -1));
  const x = new Float64Array(n * c);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) x[i * c + k] = 5 + k + 3 * uc[i] * v[k] + 0.5 * u2[i] * v2[k];
  return { x, uc };
}

describe('projectOnFirstComponent (pytorch-grad-cam get_2d_projection)', () => {
  for (const [n, c] of [
    [12, 30],
    [30, 12],
  ]) {
    it(`recovers the dominant direction, sign towards the activation sum (n=${n}, c=${c})`, () => {
      const { x, uc } = lowRank(n, c);
      const p = projectOnFirstComponent(x, n, c);
      // Direction: |cos(p, uc)| close to 1; sign: positive correlation with row sums (which follow uc here).
      const dot = p.reduce((s, v, i) => s + v * uc[i], 0);
      const cos = dot / Math.sqrt(p.reduce((s, v) => s + v * v, 0) * uc.reduce((s, v) => s + v * v, 0));
      expect(cos).toBeGreaterThan(0.98);
    });
  }

  it('both paths (n×n Gram matrix, c×c scatter matrix) give the same projection', () => {
    const { x } = lowRank(30, 12); // 30 positions > 12 channels: the scatter path
    const padded = new Float64Array(30 * 40); // 28 constant channels: the Gram path, same centred data
    for (let i = 0; i < 30; i++) for (let k = 0; k < 12; k++) padded[i * 40 + k] = x[i * 12 + k];
    const p = projectOnFirstComponent(x, 30, 12);
    const q = projectOnFirstComponent(padded, 30, 40);
    for (let i = 0; i < 30; i++) expect(q[i]).toBeCloseTo(p[i], 9);
  });

  it('a constant matrix projects to zeros (never NaN); projectMaps keeps the tensor count', async () => {
    expect(Array.from(projectOnFirstComponent(new Float64Array(12).fill(2), 4, 3))).toEqual([0, 0, 0, 0]);
    const x = tf.randomUniform([2, 3, 3, 4], 0, 1, 'float32', 3) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const maps = await projectMaps(x);
    expect(maps.shape).toEqual([2, 3, 3]);
    maps.dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
