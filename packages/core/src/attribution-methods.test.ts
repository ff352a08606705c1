import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core registers no gradient functions itself (tfjs-layers does, in @gradcam/models).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { explain } from './explain.js';
import { integratedGradients } from './methods/integrated-gradients.js';
import { occlusionSensitivity } from './methods/occlusion.js';
import { smoothGrad } from './methods/smooth-grad.js';
import { gaussianNoise, mulberry32 } from './random.js';
import { linearModel } from './test-support.js';

// A linear model, score_t(x) = Σ W_t ⊙ x + b_t, whose attributions are known in closed form.
// The formulas are also checked against TensorFlow on a Keras CNN (packages/gradcam keras-methods).
const [H, W, C, K] = [6, 5, 2, 2];
const weights = Float32Array.from(gaussianNoise(K * H * W * C, 3));
const bias = [0.5, -0.25];
const x = Float32Array.from({ length: H * W * C }, mulberry32(9));
const w = (t: number, i: number) => weights[t * H * W * C + i];
const toy = linearModel({ name: 'linear', weights: tf.keep(tf.tensor4d(weights, [K, H, W, C])), bias });
const doc = tf.tensor4d(x, [1, H, W, C]);
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const raw = async (method: NonNullable<Parameters<typeof explain>[2]>['method'], t = 1) => {
  const before = tf.memory().numTensors;
  const expl = await explain(toy, doc, { method, targets: [t], normalize: false, relu: false, batchSize: 3 });
  expect(tf.memory().numTensors).toBe(before);
  expect(expl.layer).toBe('input');
  return expl.targets[0].heatmap.data;
};
const close = (actual: Float32Array, expected: number[], tolerance = 1e-5) => {
  const scale = Math.max(...expected.map(Math.abs));
  const worst = expected.reduce((m, v, i) => Math.max(m, Math.abs(actual[i] - v) / scale), 0);
  expect(worst).toBeLessThan(tolerance);
};

describe('input attribution methods on a linear model (closed forms)', () => {
  it('Integrated Gradients from a zero baseline is Σ_c x ⊙ W_t (completeness: it sums to score − score(0))', async () => {
    const map = await raw(integratedGradients({ steps: 4 }));
    const expected = Array.from({ length: H * W }, (_, p) => x[p * C] * w(1, p * C) + x[p * C + 1] * w(1, p * C + 1));
    close(map, expected);
    const total = map.reduce((a, v) => a + v, 0);
    const score = expected.reduce((a, v) => a + v, 0);
    expect(total).toBeCloseTo(score, 4);
  });

  it('SmoothGrad of a linear model is max_c |W_t| (its gradient does not depend on the noise)', async () => {
    const map = await raw(smoothGrad({ samples: 5, noise: 0.3 }));
    close(
      map,
      Array.from({ length: H * W }, (_, p) => Math.max(Math.abs(w(1, p * C)), Math.abs(w(1, p * C + 1)))),
    );
  });

  it('Occlusion: each pixel gets the mean, over the patches covering it, of Σ_patch W_t ⊙ (x − baseline)', async () => {
    const map = await raw(occlusionSensitivity({ window: 3, stride: 2, baseline: 'zero' }), 0);
    // Patches at rows 0, 2, 3 (flush with the edge) and columns 0, 2 (flush: 5 − 3 = 2, already there).
    const rows = [0, 2, 3];
    const cols = [0, 2];
    const sums = new Float64Array(H * W);
    const counts = new Float64Array(H * W);
    for (const r of rows) {
      for (const c of cols) {
        let drop = 0;
        for (let i = r; i < r + 3; i++) for (let j = c; j < c + 3; j++) for (let k = 0; k < C; k++) drop += w(0, (i * W + j) * C + k) * x[(i * W + j) * C + k];
        for (let i = r; i < r + 3; i++) {
          for (let j = c; j < c + 3; j++) {
            sums[i * W + j] += drop;
            counts[i * W + j] += 1;
          }
        }
      }
    }
    close(
      map,
      Array.from(sums, (s, i) => s / counts[i]),
    );
  });

  it('options are checked with typed errors', () => {
    expect(() => integratedGradients({ steps: 0 })).toThrow(/steps must be an integer ≥ 1/);
    expect(() => smoothGrad({ noise: -1 })).toThrow(/noise must be a positive number/);
    expect(() => occlusionSensitivity({ window: 1.5 })).toThrow(/window must be an integer ≥ 1/);
  });
});

describe('seeded noise', () => {
  it('mulberry32 and gaussianNoise reproduce the values the Python references use', () => {
    // Same numbers as tools/golden/keras_goldens.py's mulberry32 / gaussian_noise (printed by it).
    const u = mulberry32(0);
    expect([u(), u(), u()].map((v) => Math.round(v * 2 ** 32))).toEqual([1144304738, 1416247, 958946056]);
    const z = gaussianNoise(3, 1);
    expect(Math.abs(z[0])).toBeLessThan(5);
    expect(z).toEqual(gaussianNoise(3, 1));
  });
});
