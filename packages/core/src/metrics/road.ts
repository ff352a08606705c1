import * as tf from '@tensorflow/tfjs-core';
import { InvalidInputError } from '../errors.js';
import { gaussianNoise } from '../random.js';
import type { Heatmap } from '../types.js';
import { yieldToEventLoop } from '../yield.js';
import { type PerturbationOptions, perturbationSetup, pixelOrder, upsampleHeatmap } from './perturbation.js';

/** Options of road. */
export interface RoadOptions extends PerturbationOptions {
  /** Fractions of the pixels removed (default 0.1, 0.2, …, 0.9, pytorch-grad-cam's ROADCombined). */
  readonly fractions?: readonly number[];
  /** Standard deviation of the noise added to imputed values, in the preprocessed space (default 0.01, the paper's). */
  readonly noise?: number;
  /** Seed of that noise (mulberry32 + Box–Muller, see gaussianNoise; default 0). */
  readonly seed?: number;
}

/** One ROAD order: the target's score after removing each fraction of the pixels. */
export interface RoadCurve {
  readonly fractions: number[];
  readonly scores: number[];
  /** Mean over the fractions of score − the score on the intact image (pytorch-grad-cam's averaged difference). */
  readonly meanChange: number;
}

/** ROAD, most relevant first and least relevant first. */
export interface RoadResult {
  /** The target's score on the intact image. */
  readonly original: number;
  /** Most relevant first: a faithful map makes the score fall fast (low meanChange). */
  readonly morf: RoadCurve;
  /** Least relevant first: a faithful map keeps the score (meanChange near 0). */
  readonly lerf: RoadCurve;
  /** (lerf.meanChange − morf.meanChange) / 2: higher is better (pytorch-grad-cam's ROADCombined). */
  readonly combined: number;
}

/** The 8 neighbours and their weights: 1/6 for edges, 1/12 for corners (they sum to 1). */
const NEIGHBOURS: readonly (readonly [number, number, number])[] = [
  [1, 1, 1 / 12],
  [0, 1, 1 / 6],
  [-1, 1, 1 / 12],
  [1, -1, 1 / 12],
  [0, -1, 1 / 6],
  [-1, -1, 1 / 12],
  [1, 0, 1 / 6],
  [-1, 0, 1 / 6],
];

/**
 * Noisy linear imputation (Rong et al., ROAD, arXiv 2202.00449): every removed pixel becomes the
 * weighted mean of its 8 neighbours inside the image (removed or not), one sparse linear system
 * per channel, solved here by conjugate gradients in float64 (the paper solves it with scipy's
 * spsolve); then `noise` · N(0, 1) is added to each imputed value (gaussianNoise(seed), removed
 * pixels in row-major order, channels fastest). `image` is [h, w, c] row-major; `removed[i]` marks
 * pixel i. Returns a new array.
 */
export function noisyLinearImputation(
  image: Float32Array,
  shape: readonly [number, number, number],
  removed: Uint8Array,
  options: { readonly noise?: number; readonly seed?: number } = {},
): Float32Array {
  const [h, w, c] = shape;
  const unknown = Int32Array.from(removed.keys()).filter((i) => removed[i] === 1);
  const n = unknown.length;
  const out = Float32Array.from(image);
  if (n === 0) return out;
  if (n === h * w) throw new InvalidInputError('ROAD cannot impute an image with every pixel removed: nothing is left to interpolate from.');
  const slot = new Int32Array(h * w).fill(-1);
  unknown.forEach((p, k) => {
    slot[p] = k;
  });
  // M v = r with M = diag(Σ weights of the neighbours inside the image) − weights of removed neighbours.
  const diag = new Float64Array(n);
  const links: number[][] = Array.from({ length: n }, () => []); // [slot, weight] pairs
  const known: number[][] = Array.from({ length: n }, () => []); // [pixel, weight] pairs
  unknown.forEach((p, k) => {
    const y = Math.floor(p / w);
    const x = p % w;
    for (const [dy, dx, weight] of NEIGHBOURS) {
      const yy = y + dy;
      const xx = x + dx;
      if (yy < 0 || xx < 0 || yy >= h || xx >= w) continue;
      diag[k] += weight;
      const q = yy * w + xx;
      if (slot[q] >= 0) links[k].push(slot[q], weight);
      else known[k].push(q, weight);
    }
  });
  const apply = (v: Float64Array, into: Float64Array) => {
    for (let k = 0; k < n; k++) {
      let s = diag[k] * v[k];
      const l = links[k];
      for (let j = 0; j < l.length; j += 2) s -= l[j + 1] * v[l[j]];
      into[k] = s;
    }
  };
  const noise = options.noise ?? 0.01;
  const z = noise !== 0 ? gaussianNoise(n * c, options.seed ?? 0) : undefined;
  for (let ch = 0; ch < c; ch++) {
    const r = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      const kn = known[k];
      for (let j = 0; j < kn.length; j += 2) r[k] += kn[j + 1] * image[kn[j] * c + ch];
    }
    const v = conjugateGradient(apply, r);
    for (let k = 0; k < n; k++) out[unknown[k] * c + ch] = v[k] + (z ? noise * z[k * c + ch] : 0);
  }
  return out;
}

/** Solves M v = r for a symmetric positive definite M given as `apply(v, into)`, to a relative residual of 1e-10. */
function conjugateGradient(apply: (v: Float64Array, into: Float64Array) => void, r0: Float64Array): Float64Array {
  const n = r0.length;
  const v = new Float64Array(n);
  const r = Float64Array.from(r0);
  const p = Float64Array.from(r0);
  const mp = new Float64Array(n);
  const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, x, i) => s + x * b[i], 0);
  let rr = dot(r, r);
  const stop = 1e-20 * Math.max(rr, 1e-300);
  for (let iteration = 0; iteration < 10 * n + 100 && rr > stop; iteration++) {
    apply(p, mp);
    const alpha = rr / dot(p, mp);
    for (let i = 0; i < n; i++) {
      v[i] += alpha * p[i];
      r[i] -= alpha * mp[i];
    }
    const next = dot(r, r);
    const beta = next / rr;
    rr = next;
    for (let i = 0; i < n; i++) p[i] = r[i] + beta * p[i];
  }
  return v;
}

/**
 * ROAD — RemOve And Debias (Rong et al., "A Consistent and Efficient Evaluation Strategy for
 * Attribution Methods", ICML 2022, arXiv 2202.00449): for each fraction, the most relevant
 * (MoRF) or least relevant (LeRF) pixels by the map (upsampled bilinearly to the image; ties in
 * row-major order) are removed and filled by noisy linear imputation, so the model cannot tell
 * removed pixels by their value; the target's score is read on each imputed image. Scores are
 * batched (`batchSize`, default 16).
 */
export async function road(model: unknown, doc: tf.Tensor, heatmap: Heatmap, options: RoadOptions): Promise<RoadResult> {
  const setup = perturbationSetup(model, doc, options);
  const fractions = [...(options.fractions ?? [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])];
  if (fractions.length === 0 || !fractions.every((f) => f >= 0 && f < 1)) {
    throw new InvalidInputError(`fractions must be a non-empty list of numbers in [0, 1); got ${JSON.stringify(options.fractions)}.`);
  }
  const [, height, width, channels] = setup.doc.shape;
  const pixels = height * width;
  const up = upsampleHeatmap(heatmap, height, width);
  const values = (await up.data()) as Float32Array;
  up.dispose();
  const image = (await setup.doc.data()) as Float32Array;
  const orders = { morf: pixelOrder(values), lerf: pixelOrder(values, false) };
  const images: Float32Array[] = [];
  for (const order of [orders.morf, orders.lerf]) {
    for (const f of fractions) {
      const removed = new Uint8Array(pixels);
      for (let i = 0; i < Math.round(f * pixels); i++) removed[order[i]] = 1;
      images.push(noisyLinearImputation(image, [height, width, channels], removed, options));
    }
  }
  const scores: number[] = [];
  const all = [image, ...images];
  for (let start = 0; start < all.length; start += setup.batchSize) {
    const part = all.slice(start, start + setup.batchSize);
    const result = tf.tidy(() => {
      const batch = tf.stack(part.map((d) => tf.tensor3d(d, [height, width, channels]))) as tf.Tensor4D;
      return tf.gather(setup.score(batch), [options.target], 1);
    });
    scores.push(...(await result.data()));
    result.dispose();
    // Let other work run between batches, as the deletion and insertion curves do.
    await yieldToEventLoop();
  }
  const [original, ...rest] = scores;
  const curveOf = (at: number): RoadCurve => {
    const s = rest.slice(at, at + fractions.length);
    return { fractions, scores: s, meanChange: s.reduce((a, v) => a + (v - original), 0) / s.length };
  };
  const morf = curveOf(0);
  const lerf = curveOf(fractions.length);
  return { original, morf, lerf, combined: (lerf.meanChange - morf.meanChange) / 2 };
}
