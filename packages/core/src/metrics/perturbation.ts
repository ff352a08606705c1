import * as tf from '@tensorflow/tfjs-core';
import { InvalidInputError, InvalidTargetError } from '../errors.js';
import { scoreFunction } from '../explain.js';
import type { ExplainableModel } from '../explainable-model.js';
import { toExplainableModel } from '../registry.js';
import type { Heatmap } from '../types.js';
import { yieldToEventLoop } from '../yield.js';

/** What replaces (deletion) or is the starting point of (insertion) the image. */
export type Baseline = 'blur' | 'mean' | 'zero';

/** Options shared by the perturbation metrics. */
export interface PerturbationOptions {
  /** Class whose score is followed. */
  readonly target: number;
  /** Score the logit instead of the model output (default false: the probability for a softmax model). */
  readonly logits?: boolean;
  /** Images per model call (default 16). */
  readonly batchSize?: number;
}

/** Options of deletion and insertion. */
export interface CurveOptions extends PerturbationOptions {
  /** Number of steps: fractions 0, 1/steps, …, 1 of the pixels (default 20). */
  readonly steps?: number;
  /** Default 'blur' (Gaussian, sigma `blurSigma`); 'mean' is the per-channel mean of the image. */
  readonly baseline?: Baseline;
  /** Gaussian sigma in pixels of the blurred baseline (default 5, RISE's). */
  readonly blurSigma?: number;
}

/** A deletion or insertion curve. */
export interface PerturbationCurve {
  /** Area under the curve (trapezoid rule over fractions 0 … 1). */
  readonly auc: number;
  /** Fraction of the pixels removed (deletion) or inserted (insertion) at each step. */
  readonly fractions: number[];
  /** The target's score at each step. */
  readonly scores: number[];
}

/** Checks the model, doc and target; returns the adapter, a [1,H,W,C] doc and the score function. */
export function perturbationSetup(model: unknown, doc: tf.Tensor, options: PerturbationOptions) {
  const explainable: ExplainableModel = toExplainableModel(model);
  const score = scoreFunction(explainable, options.logits ?? false);
  if (score === undefined) throw new InvalidInputError(`The metrics run ${explainable.name} on modified images, but its adapter has no predict().`);
  if (!(doc instanceof tf.Tensor) || doc.rank !== 4 || doc.shape[0] !== 1) {
    throw new InvalidInputError(
      `doc must be one preprocessed image of shape [1, height, width, channels]; got ${doc instanceof tf.Tensor ? `[${doc.shape.join(', ')}]` : String(doc)}.`,
    );
  }
  const { target } = options;
  if (!Number.isInteger(target) || target < 0 || target >= explainable.numClasses) {
    throw new InvalidTargetError(`target must be a class id 0 … ${explainable.numClasses - 1}; got ${target}.`);
  }
  const batchSize = options.batchSize ?? 16;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new InvalidInputError(`batchSize must be an integer ≥ 1; got ${batchSize}.`);
  return { explainable, score, doc: doc as tf.Tensor4D, batchSize };
}

/** The heatmap resized to the image (bilinear, half-pixel centres), [1, H, W, 1]. */
export function upsampleHeatmap(heatmap: Heatmap, height: number, width: number): tf.Tensor4D {
  if (heatmap.data.length !== heatmap.width * heatmap.height) throw new InvalidInputError('heatmap.data must hold width × height values.');
  return tf.tidy(() => tf.image.resizeBilinear(tf.tensor4d(heatmap.data, [1, heatmap.height, heatmap.width, 1]), [height, width]));
}

function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k = Float32Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const sum = k.reduce((a, b) => a + b, 0);
  return k.map((v) => v / sum);
}

/** The baseline image [1, H, W, C]: a Gaussian blur (reflected borders), the channel means, or zeros. */
export function baselineImage(doc: tf.Tensor4D, baseline: Baseline = 'blur', sigma = 5): tf.Tensor4D {
  if (baseline === 'zero') return tf.zerosLike(doc);
  if (baseline === 'mean') return tf.tidy(() => tf.add(tf.zerosLike(doc), tf.mean(doc, [1, 2], true)) as tf.Tensor4D);
  if (baseline !== 'blur') throw new InvalidInputError(`baseline must be 'blur', 'mean' or 'zero'; got ${JSON.stringify(baseline)}.`);
  if (!(sigma > 0)) throw new InvalidInputError(`blurSigma must be positive; got ${sigma}.`);
  return tf.tidy(() => {
    const k = gaussianKernel(sigma);
    const channels = doc.shape[3];
    const radius = (k.length - 1) / 2;
    const [, h, w] = doc.shape;
    // Reflection needs the pad to be smaller than the image; clamp for tiny images.
    const padY = Math.min(radius, h - 1);
    const padX = Math.min(radius, w - 1);
    const padded = tf.mirrorPad(
      doc,
      [
        [0, 0],
        [padY, padY],
        [padX, padX],
        [0, 0],
      ],
      'reflect',
    );
    const kernelY = tf.tile(tf.tensor4d(k.subarray(radius - padY, radius + padY + 1), [2 * padY + 1, 1, 1, 1]), [1, 1, channels, 1]) as tf.Tensor4D;
    const kernelX = tf.tile(tf.tensor4d(k.subarray(radius - padX, radius + padX + 1), [1, 2 * padX + 1, 1, 1]), [1, 1, channels, 1]) as tf.Tensor4D;
    // For images smaller than the kernel the kernel is cut, and renormalised.
    const ky = padY === radius ? kernelY : (tf.div(kernelY, tf.sum(kernelY)) as tf.Tensor4D);
    const kx = padX === radius ? kernelX : (tf.div(kernelX, tf.sum(kernelX)) as tf.Tensor4D);
    return tf.depthwiseConv2d(tf.depthwiseConv2d(padded, ky, 1, 'valid'), kx, 1, 'valid');
  });
}

/** Pixel indices by value, highest first (`descending` false: lowest first); ties by index (row-major order). */
export function pixelOrder(values: Float32Array, descending = true): Int32Array {
  const sign = descending ? 1 : -1;
  const order = Int32Array.from({ length: values.length }, (_, i) => i);
  return order.sort((a, b) => sign * (values[b] - values[a]) || a - b);
}

async function curve(kind: 'deletion' | 'insertion', model: unknown, doc: tf.Tensor, heatmap: Heatmap, options: CurveOptions): Promise<PerturbationCurve> {
  const setup = perturbationSetup(model, doc, options);
  const steps = options.steps ?? 20;
  if (!(Number.isInteger(steps) && steps >= 1)) throw new InvalidInputError(`steps must be an integer ≥ 1; got ${steps}.`);
  const [, height, width] = setup.doc.shape;
  const n = height * width;
  const up = upsampleHeatmap(heatmap, height, width);
  const values = (await up.data()) as Float32Array;
  up.dispose();
  const order = pixelOrder(values);
  const rankOf = new Float32Array(n);
  order.forEach((pixel, rank) => {
    rankOf[pixel] = rank;
  });
  const fractions = Array.from({ length: steps + 1 }, (_, i) => i / steps);
  const counts = fractions.map((f) => Math.round(f * n));
  const targetIndex = tf.tensor1d([options.target], 'int32');
  const ranks = tf.tensor4d(rankOf, [1, height, width, 1]);
  const baseline = baselineImage(setup.doc, options.baseline ?? 'blur', options.blurSigma ?? 5);
  // Deletion: the first k pixels come from the baseline; insertion: from the image, onto the baseline.
  const [from, to] = kind === 'deletion' ? [setup.doc, baseline] : [baseline, setup.doc];
  const scores: number[] = [];
  try {
    for (let start = 0; start < counts.length; start += setup.batchSize) {
      const chunk = counts.slice(start, start + setup.batchSize);
      const result = tf.tidy(() => {
        const thresholds = tf.tensor4d(chunk, [chunk.length, 1, 1, 1]);
        const mask = tf.cast(tf.less(ranks, thresholds), 'float32'); // [b, H, W, 1]: 1 = replaced
        const batch = tf.add(tf.mul(from, tf.sub(1, mask)), tf.mul(to, mask)) as tf.Tensor4D;
        return tf.gather(setup.score(batch), targetIndex, 1);
      });
      scores.push(...(await result.data()));
      result.dispose();
      await yieldToEventLoop();
    }
  } finally {
    tf.dispose([targetIndex, ranks, baseline]);
  }
  let auc = 0;
  for (let i = 0; i < steps; i++) auc += (scores[i] + scores[i + 1]) / 2 / steps;
  return { auc, fractions, scores };
}

/**
 * Deletion metric (Petsiuk et al., "RISE", arXiv 1806.07421): pixels are replaced by the
 * baseline in the order of the map (upsampled bilinearly to the image), most important first, in
 * `steps` equal steps, each step's images scored in batches; a lower area under the target's
 * score curve means a more faithful map.
 */
export function deletionCurve(model: unknown, doc: tf.Tensor, heatmap: Heatmap, options: CurveOptions): Promise<PerturbationCurve> {
  return curve('deletion', model, doc, heatmap, options);
}

/**
 * Insertion metric (RISE, arXiv 1806.07421): starting from the baseline, the image's pixels are
 * put back in the order of the map; a higher area under the curve means a more faithful map.
 */
export function insertionCurve(model: unknown, doc: tf.Tensor, heatmap: Heatmap, options: CurveOptions): Promise<PerturbationCurve> {
  return curve('insertion', model, doc, heatmap, options);
}

/** What multiplying the image by the map does to the target's score. */
export interface ConfidenceChange {
  /** The target's score on the image. */
  readonly original: number;
  /** The target's score on the image multiplied by the (upsampled) map. */
  readonly masked: number;
  /** max(0, original − masked) / original: one image's share of Average Drop (Chattopadhyay et al.). */
  readonly drop: number;
  /** masked > original: counts toward "Increase in Confidence". */
  readonly increase: boolean;
}

/**
 * Confidence drop / increase when the preprocessed image is multiplied by the map, upsampled
 * bilinearly (pytorch-grad-cam's `CamMultImageConfidenceChange`; Average Drop and Increase in
 * Confidence of Grad-CAM++, arXiv 1710.11063). The map must lie in [0, 1].
 */
export async function confidenceChange(model: unknown, doc: tf.Tensor, heatmap: Heatmap, options: PerturbationOptions): Promise<ConfidenceChange> {
  const setup = perturbationSetup(model, doc, options);
  for (const v of heatmap.data)
    if (!(v >= 0 && v <= 1)) throw new InvalidInputError('confidenceChange needs a map in [0, 1] (relu and max or minmax normalisation).');
  const [, height, width] = setup.doc.shape;
  const result = tf.tidy(() => {
    const batch = tf.concat([setup.doc, tf.mul(setup.doc, upsampleHeatmap(heatmap, height, width))]) as tf.Tensor4D;
    return tf.gather(setup.score(batch), [options.target], 1);
  });
  const [original, masked] = await result.data();
  result.dispose();
  return { original, masked, drop: original > 0 ? Math.max(0, original - masked) / original : 0, increase: masked > original };
}

/** A seeded uniform random map (the "random explanation" baseline of the faithfulness metrics). */
export function randomHeatmap(width: number, height: number, seed = 0): Heatmap {
  let state = (seed >>> 0) + 0x9e3779b9;
  const next = () => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { width, height, data: Float32Array.from({ length: width * height }, next) };
}
