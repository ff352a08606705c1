import * as tf from '@tensorflow/tfjs-core';
import { explainBatch } from './explain.js';
import type { RgbaImage } from './types.js';

/**
 * The fidelity rule: Grad-CAM maps about as close to the exact (float64) answer as
 * TensorFlow's own float32 modes (eager, tf.function, XLA) are, over a golden set of maps —
 * the median of the per-map mean errors, their 90th percentile and their maximum — and scores
 * and probabilities within `scoreError`.
 */
export const FIDELITY_RULE = Object.freeze({ medianMeanError: 1e-5, p90MeanError: 2e-4, maxMeanError: 1.5e-3, scoreError: 1e-5 });

/** One golden map: image `image`'s map of `target` at `layer`, `values[offset…]` ([h, w] row-major). */
export interface FidelityCase {
  readonly image: number;
  readonly layer: string;
  readonly logits: boolean;
  readonly target: number;
  /** The explained score: the probability, or the logit with `logits`. */
  readonly score: number;
  readonly shape: readonly [number, number];
  readonly offset: number;
}

/** A float64 golden set (tools/golden/fidelity_golden.py): its index, per-image data and the maps. */
export interface FidelityGolden {
  readonly layers: readonly string[];
  /** Each input: the 224×224 PNG it was made from, whether it is mirrored, its top-2 classes and probabilities. */
  readonly images: readonly {
    readonly resized: string;
    readonly mirrored: boolean;
    readonly targets: readonly number[];
    readonly probabilities: readonly number[];
  }[];
  readonly cases: readonly FidelityCase[];
  /** Every map's values, at each case's offset. */
  readonly values: Float32Array;
}

/** What a backend computed for the golden set (plain data: it crosses from a browser page). */
export interface FidelityMaps {
  readonly backend: string;
  /** The layers explained (the golden set's, or some of them). */
  readonly layers: readonly string[];
  /** The model output (probabilities) of each image. */
  readonly outputs: number[][];
  readonly cases: { image: number; layer: string; logits: boolean; target: number; score: number; heatmap: number[] }[];
}

/** How far a backend's maps are from the golden set, and which parts of the rule they break. */
export interface FidelityReport {
  readonly backend: string;
  readonly maps: number;
  readonly medianMeanError: number;
  readonly p90MeanError: number;
  readonly maxMeanError: number;
  /** The map with the largest mean error, e.g. 'image 3 block_9_expand logits target 2'. */
  readonly worstMap: string;
  readonly maxCellError: number;
  readonly maxScoreError: number;
  readonly maxProbabilityError: number;
  /** Each violated part of the rule, in words; empty when the backend passes. */
  readonly failures: string[];
}

/**
 * The golden set's inputs [N, h, w, 3] from its decoded images: the pixels / 255 in float32,
 * mirrored ones flipped along the width (exactly, as numpy's x[:, :, ::-1, :]).
 */
export function fidelityInputs(images: readonly { readonly image: RgbaImage; readonly mirrored: boolean }[]): tf.Tensor4D {
  return tf.tidy(() => {
    const rows = images.map(({ image, mirrored }) => {
      const rgba = tf.tensor3d(Int32Array.from(image.data), [image.height, image.width, 4], 'int32');
      const x = tf.div(tf.cast(tf.slice(rgba, [0, 0, 0], [-1, -1, 3]), 'float32'), 255);
      return mirrored ? tf.reverse(x, 1) : x;
    });
    return tf.stack(rows) as tf.Tensor4D;
  });
}

/**
 * Explains `docs` [N, h, w, c] (the golden set's first N images, in order) at each of
 * `layers`, for probabilities and logits, with each image's two best classes, by explainBatch
 * (`chunkSize` image × target rows per pass: a slow synchronous backend blocks its thread for
 * one pass at a time).
 */
export async function computeFidelityMaps(
  model: unknown,
  docs: tf.Tensor4D,
  layers: readonly string[],
  backend: string,
  { chunkSize }: { readonly chunkSize?: number } = {},
): Promise<FidelityMaps> {
  const cases: FidelityMaps['cases'] = [];
  let outputs: number[][] = [];
  for (const layer of layers) {
    for (const logits of [false, true]) {
      const explained = await explainBatch(model, docs, { layer, logits, targets: { top: 2 }, chunkSize });
      if (!logits && outputs.length === 0) outputs = explained.map((e) => [...e.outputs]);
      explained.forEach((e, image) => {
        for (const t of e.targets) cases.push({ image, layer, logits, target: t.target, score: t.score, heatmap: Array.from(t.heatmap.data) });
      });
    }
  }
  return { backend, layers: [...layers], outputs, cases };
}

const quantile = (sorted: readonly number[], q: number) => {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
};

/** Compares a backend's maps with the golden set's cases of the images and layers it explained. */
export function compareFidelity(golden: FidelityGolden, actual: FidelityMaps, rule = FIDELITY_RULE): FidelityReport {
  const failures: string[] = [];
  const errors: { error: number; label: string }[] = [];
  let maxCellError = 0;
  let maxScoreError = 0;
  let maxProbabilityError = 0;
  actual.outputs.forEach((row, image) => {
    row.forEach((p, k) => {
      maxProbabilityError = Math.max(maxProbabilityError, Math.abs(p - golden.images[image].probabilities[k]));
    });
  });
  for (const g of golden.cases.filter((c) => c.image < actual.outputs.length && actual.layers.includes(c.layer))) {
    const label = `image ${g.image} ${g.layer}${g.logits ? ' logits' : ''} target ${g.target}`;
    const ours = actual.cases.find((c) => c.image === g.image && c.layer === g.layer && c.logits === g.logits && c.target === g.target);
    const size = g.shape[0] * g.shape[1];
    if (!ours || ours.heatmap.length !== size) {
      failures.push(`${label}: ${ours ? `${ours.heatmap.length} cells, expected ${size}` : 'not explained (another top-2)'}`);
      continue;
    }
    let sum = 0;
    for (let i = 0; i < size; i++) {
      const d = Math.abs(ours.heatmap[i] - golden.values[g.offset + i]);
      sum += d;
      maxCellError = Math.max(maxCellError, d);
    }
    errors.push({ error: sum / size, label });
    maxScoreError = Math.max(maxScoreError, Math.abs(ours.score - g.score));
  }
  const sorted = errors.map((e) => e.error).sort((a, b) => a - b);
  const worst = errors.reduce((a, b) => (b.error > a.error ? b : a), { error: 0, label: '—' });
  const report = {
    backend: actual.backend,
    maps: errors.length,
    medianMeanError: sorted.length ? quantile(sorted, 0.5) : Number.NaN,
    p90MeanError: sorted.length ? quantile(sorted, 0.9) : Number.NaN,
    maxMeanError: worst.error,
    worstMap: worst.label,
    maxCellError,
    maxScoreError,
    maxProbabilityError,
  };
  const check = (value: number, bound: number, what: string) => {
    if (!(value <= bound)) failures.push(`${what} ${value.toExponential(2)} > ${bound.toExponential(1)}`);
  };
  check(report.medianMeanError, rule.medianMeanError, 'median per-map mean error');
  check(report.p90MeanError, rule.p90MeanError, '90th percentile of the per-map mean errors');
  check(report.maxMeanError, rule.maxMeanError, `largest per-map mean error (${worst.label})`);
  check(maxScoreError, rule.scoreError, 'largest score error');
  check(maxProbabilityError, rule.scoreError, 'largest probability error');
  return { ...report, failures };
}

/** One line per report, for test logs and the bench README. */
export function summarizeFidelity(report: FidelityReport): string {
  const e = (x: number) => x.toExponential(1);
  return (
    `fidelity ${report.backend}: ${report.maps} maps vs float64, per-map mean error median ${e(report.medianMeanError)}, ` +
    `p90 ${e(report.p90MeanError)}, max ${e(report.maxMeanError)} (${report.worstMap}); max cell ${e(report.maxCellError)}, ` +
    `score ${e(report.maxScoreError)}, probability ${e(report.maxProbabilityError)}${report.failures.length ? `; FAILS: ${report.failures.join('; ')}` : ''}`
  );
}
