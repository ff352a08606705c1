import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { rawMaps } from '../cam-maps.js';
import type { CamInputs, CamMethod } from '../cam-method.js';
import { eigenCam } from './eigen-cam.js';
import { eigenGradCam } from './eigen-grad-cam.js';
import { gradCam } from './grad-cam.js';
import { gradCamPlusPlus } from './grad-cam-plus-plus.js';
import { hiResCam } from './hires-cam.js';
import { layerCam } from './layer-cam.js';
import { scoreCam } from './score-cam.js';
import { xGradCam } from './xgrad-cam.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

// Deterministic pseudo-random data (a small LCG), so failures reproduce.
function random(n: number, seed: number, offset = 0): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1664525 + 1013904223) % 4294967296;
    return s / 4294967296 + offset;
  });
}

const [H, W, C, T] = [3, 4, 5, 2];
const aData = random(H * W * C, 1, -0.2).map((v) => Math.max(v, 0)); // post-ReLU-like, some zeros
const gData = random(T * H * W * C, 7, -0.5).map((v, i) => (i % 11 === 0 ? 0 : v * 1e-2));
const a = (i: number, j: number, k: number) => aData[(i * W + j) * C + k];
const g = (t: number, i: number, j: number, k: number) => gData[((t * H + i) * W + j) * C + k];

/** map[t][i][j] = Σ_k weight(t, k)·A_ijk */
const weighted = (weight: (t: number, k: number) => number) =>
  Array.from({ length: T }, (_, t) =>
    Array.from({ length: H }, (_, i) =>
      Array.from({ length: W }, (_, j) => Array.from({ length: C }, (_, k) => weight(t, k) * a(i, j, k)).reduce((x, y) => x + y)),
    ),
  );
const sumIJ = (f: (i: number, j: number) => number) => {
  let s = 0;
  for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) s += f(i, j);
  return s;
};

async function run(method: CamMethod, extra: Partial<CamInputs> = {}): Promise<number[][][]> {
  const activations = tf.tensor4d(aData, [1, H, W, C]);
  const gradients = tf.tensor4d(gData, [T, H, W, C]);
  const input = tf.zeros([1, 6, 8, 1]) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const result = await method.compute({ activations, gradients, input, targets: [0, 1], batchSize: 2, ...extra });
  const raw = await rawMaps(result, activations);
  for (const t of [result.weights, result.contributions, result.maps]) t?.dispose();
  const out = raw.arraySync();
  raw.dispose();
  expect(tf.memory().numTensors).toBe(before);
  tf.dispose([activations, gradients, input]);
  return out;
}

function expectClose(actual: number[][][], expected: number[][][], tolerance = 1e-5): void {
  const scale = Math.max(...expected.flat(2).map(Math.abs));
  const diff = Math.max(...actual.flat(2).map((v, i) => Math.abs(v - expected.flat(2)[i])));
  expect(diff / scale).toBeLessThan(tolerance);
}

describe('CAM method formulas match plain-loop references (float64)', () => {
  it('gradcam: ELI5 — L2-normalised gradients, spatial mean', async () => {
    const norms = Array.from({ length: T }, (_, t) => {
      let s = 0;
      for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) for (let k = 0; k < C; k++) s += g(t, i, j, k) ** 2;
      return Math.sqrt(s);
    });
    expectClose(
      await run(gradCam),
      weighted((t, k) => sumIJ((i, j) => g(t, i, j, k)) / norms[t] / (H * W)),
    );
  });

  it('gradcam++: α = G²/(2G² + ΣA·G³ + 1e-6), w = Σ α·ReLU(G)', async () => {
    const expected = weighted((t, k) => {
      const sumA = sumIJ((i, j) => a(i, j, k));
      return sumIJ((i, j) => {
        const gv = g(t, i, j, k);
        if (gv === 0) return 0;
        return (gv ** 2 / (2 * gv ** 2 + sumA * gv ** 3 + 1e-6)) * Math.max(gv, 0);
      });
    });
    expectClose(await run(gradCamPlusPlus), expected);
  });

  it('xgradcam: w = Σ G·A / (ΣA + 1e-7)', async () => {
    const expected = weighted((t, k) => sumIJ((i, j) => g(t, i, j, k) * a(i, j, k)) / (sumIJ((i, j) => a(i, j, k)) + 1e-7));
    expectClose(await run(xGradCam), expected);
  });

  it('hirescam: Σ_k G ⊙ A; layercam: Σ_k ReLU(G) ⊙ A', async () => {
    const elementwise = (f: (v: number) => number) =>
      Array.from({ length: T }, (_, t) =>
        Array.from({ length: H }, (_, i) =>
          Array.from({ length: W }, (_, j) => Array.from({ length: C }, (_, k) => f(g(t, i, j, k)) * a(i, j, k)).reduce((x, y) => x + y)),
        ),
      );
    expectClose(
      await run(hiResCam),
      elementwise((v) => v),
    );
    expectClose(
      await run(layerCam),
      elementwise((v) => Math.max(v, 0)),
    );
  });

  it('eigencam: the same map for every target; eigengradcam: class-specific', async () => {
    const eigen = await run(eigenCam);
    expect(eigen[0]).toEqual(eigen[1]);
    const eigenGrad = await run(eigenGradCam);
    expect(eigenGrad[0]).not.toEqual(eigenGrad[1]);
  });

  it('scorecam: softmax over channels of the masked inputs’ scores, chunked, with progress', async () => {
    // score(x) = [Σx, 2·Σx]: then every channel's score is Σ of its normalised upsampled mask.
    const score = (batch: tf.Tensor4D) => tf.tidy(() => tf.stack([tf.sum(batch, [1, 2, 3]), tf.mul(tf.sum(batch, [1, 2, 3]), 2)], 1) as tf.Tensor2D);
    const input = tf.ones([1, 6, 8, 1]) as tf.Tensor4D;
    const progress: number[] = [];
    const maps = await run(scoreCam, { scoreTargets: score, input, onProgress: (done, total) => progress.push(done / total) });
    input.dispose();
    expect(progress).toEqual([2 / 5, 4 / 5, 1]);
    const masks = tf.tidy(() => {
      const up = tf.image.resizeBilinear(tf.tensor4d(aData, [1, H, W, C]), [6, 8], true);
      const min = tf.min(up, [1, 2], true);
      return tf.sum(tf.div(tf.sub(up, min), tf.add(tf.sub(tf.max(up, [1, 2], true), min), 1e-8)), [0, 1, 2]).arraySync() as number[];
    });
    const softmax = (xs: number[]) => {
      const e = xs.map((x) => Math.exp(x - Math.max(...xs)));
      return e.map((v) => v / e.reduce((p, q) => p + q));
    };
    const w = [softmax(masks), softmax(masks.map((m) => 2 * m))];
    expectClose(
      maps,
      weighted((t, k) => w[t][k]),
    );
  });

  it('scorecam without a score function is an InvalidInputError', async () => {
    await expect(run(scoreCam)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
