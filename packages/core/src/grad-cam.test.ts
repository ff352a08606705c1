import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { gradCamMaps, gradCamRows, KERAS_EPSILON } from './grad-cam.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** ELI5's formula written out with plain loops, in float64, as an independent reference. */
function reference(a: number[][][], g: number[][][]): number[][] {
  const h = a.length;
  const w = a[0].length;
  const c = a[0][0].length;
  let sumSquares = 0;
  for (const row of g) for (const px of row) for (const v of px) sumSquares += v * v;
  const norm = Math.sqrt(Math.max(sumSquares, 1e-12));
  const weights = Array.from({ length: c }, (_, k) => g.flat().reduce((s, px) => s + px[k] / norm, 0) / (h * w));
  const raw = a.map((row) =>
    row.map((px) =>
      Math.max(
        0,
        px.reduce((s, v, k) => s + v * weights[k], 0),
      ),
    ),
  );
  const max = Math.max(...raw.flat());
  return raw.map((row) => row.map((v) => v / (max + KERAS_EPSILON)));
}

describe('gradCamMaps', () => {
  it('matches the ELI5 formula for several targets at once', () => {
    const rand = (seed: number) =>
      Array.from({ length: 3 }, (_, i) =>
        Array.from({ length: 4 }, (_, j) => Array.from({ length: 5 }, (_, k) => Math.sin(seed + i * 7.1 + j * 3.3 + k * 1.7))),
      );
    const a = rand(1).map((r) => r.map((px) => px.map(Math.abs)));
    const g1 = rand(2);
    const g2 = rand(3);
    const maps = gradCamMaps(tf.tensor4d([a]), tf.tensor4d([g1, g2]));
    expect(maps.shape).toEqual([2, 3, 4]);
    const values = maps.arraySync();
    for (const [t, g] of [g1, g2].entries()) {
      const expected = reference(a, g);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) expect(values[t][i][j]).toBeCloseTo(expected[i][j], 6);
    }
    maps.dispose();
  });

  it('keeps an all-zero map at zero (never NaN) and leaks no tensor', () => {
    const before = tf.memory().numTensors;
    const a = tf.ones([1, 2, 2, 3]) as tf.Tensor4D;
    const g = tf.zeros([1, 2, 2, 3]) as tf.Tensor4D;
    const maps = gradCamMaps(a, g);
    expect(Array.from(maps.dataSync())).toEqual([0, 0, 0, 0]);
    tf.dispose([a, g, maps]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('keeps the 1e-7 epsilon: a tiny raw map does not reach 1', () => {
    const a = tf.fill([1, 1, 2, 1], 1e-7) as tf.Tensor4D;
    const g = tf.ones([1, 1, 2, 1]) as tf.Tensor4D;
    const max = Math.max(...gradCamMaps(a, g).dataSync());
    // raw = 1e-7 · mean(g/‖g‖) = 1e-7/√2; map = raw / (raw + 1e-7) ≈ 0.414
    expect(max).toBeCloseTo(1 / Math.SQRT2 / (1 / Math.SQRT2 + 1), 5);
  });

  it('gradCamRows gives every row of a batch what gradCamMaps gives its image, all-zero maps included', () => {
    const before = tf.memory().numTensors;
    const a = tf.randomNormal([3, 4, 5, 6], 0, 1, 'float32', 1) as tf.Tensor4D;
    const g = tf.tidy(() => tf.concat([tf.randomNormal([4, 4, 5, 6], 0, 1, 'float32', 2), tf.zeros([2, 4, 5, 6])])) as tf.Tensor4D; // 2 rows per image
    const rows = gradCamRows(a, g, 2);
    expect(rows.shape).toEqual([6, 4, 5]);
    for (let i = 0; i < 3; i++) {
      const difference = tf.tidy(() => {
        const own = gradCamMaps(tf.slice(a, i, 1) as tf.Tensor4D, tf.slice(g, 2 * i, 2) as tf.Tensor4D);
        return tf.max(tf.abs(tf.sub(own, tf.slice(rows, 2 * i, 2)))).dataSync()[0];
      });
      expect(difference).toBeLessThan(1e-6);
    }
    expect(Array.from(rows.dataSync().subarray(4 * 20)).every((v) => v === 0)).toBe(true);
    tf.dispose([a, g, rows]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
