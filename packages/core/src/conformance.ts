import * as tf from '@tensorflow/tfjs-core';
import { explain } from './explain.js';
import { toExplainableModel } from './registry.js';

/**
 * The layers the conformance suite explains on the bundled MobileNetV2: the default layer, the
 * last convolution, and two inner expansions whose backward pass crosses residual additions,
 * depthwise convolutions, batch normalisations and ReLU6s.
 */
export const CONFORMANCE_LAYERS: readonly string[] = ['out_relu', 'Conv_1', 'block_9_expand', 'block_2_expand'];

/** The largest difference allowed between a backend's maps (and outputs) and the reference's. */
export const CONFORMANCE_TOLERANCE = 5e-3;

/** One explained (layer, softmax or logits) case: outputs and one heatmap per target. */
export interface ConformanceCase {
  readonly layer: string;
  readonly logits: boolean;
  readonly outputs: number[];
  readonly heatmaps: number[][];
  /** Tensors left behind by the explain call (must be 0). */
  readonly leakedTensors: number;
}

/** What one backend computed for every case: plain data, so it can cross a process or a page. */
export interface ConformanceMaps {
  readonly backend: string;
  readonly targets: number[];
  readonly cases: ConformanceCase[];
}

/** Options of computeConformanceMaps. */
export interface ConformanceRunOptions {
  /** Layers to explain; default CONFORMANCE_LAYERS. */
  readonly layers?: readonly string[];
  /** Classes to explain; default the two best classes of the first forward pass. */
  readonly targets?: readonly number[];
}

/**
 * Explains `doc` with `model` on the active backend at every conformance layer, for softmax and
 * logits, two targets each, and records each call's leaked tensors. The model is adapted first:
 * an adapter may build tensors it keeps for the model's lifetime (an inference form).
 */
export async function computeConformanceMaps(model: unknown, doc: tf.Tensor, options: ConformanceRunOptions = {}): Promise<ConformanceMaps> {
  toExplainableModel(model);
  const layers = options.layers ?? CONFORMANCE_LAYERS;
  let targets = options.targets ? [...options.targets] : undefined;
  const cases: ConformanceCase[] = [];
  for (const layer of layers) {
    for (const logits of [false, true]) {
      const before = tf.memory().numTensors;
      const explanation = await explain(model, doc, { layer, logits, targets: targets ?? { top: 2 } });
      const leakedTensors = tf.memory().numTensors - before;
      targets ??= explanation.targets.map((t) => t.target);
      cases.push({
        layer,
        logits,
        outputs: [...explanation.outputs],
        heatmaps: explanation.targets.map((t) => Array.from(t.heatmap.data)),
        leakedTensors,
      });
    }
  }
  return { backend: tf.getBackend(), targets: targets ?? [], cases };
}

/** How one backend compares with the reference. */
export interface ConformanceReport {
  readonly backend: string;
  readonly reference: string;
  /** Per case, the largest heatmap and output differences. */
  readonly cases: { layer: string; logits: boolean; maxHeatmapDiff: number; maxOutputDiff: number; leakedTensors: number }[];
  /** Human-readable failures; empty when the backend conforms. */
  readonly failures: string[];
}

function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return Number.isNaN(max) ? Number.POSITIVE_INFINITY : max;
}

/**
 * Compares a backend's maps with the reference's (usually cpu): every heatmap and output within
 * `tolerance`, the same targets, no leaked tensors, and maps that are not all zeros.
 */
export function compareConformance(reference: ConformanceMaps, actual: ConformanceMaps, tolerance = CONFORMANCE_TOLERANCE): ConformanceReport {
  const failures: string[] = [];
  if (actual.targets.join() !== reference.targets.join()) failures.push(`targets [${actual.targets}] differ from the reference's [${reference.targets}]`);
  const cases = reference.cases.map((ref) => {
    const name = `${ref.layer} ${ref.logits ? 'logits' : 'softmax'}`;
    const got = actual.cases.find((c) => c.layer === ref.layer && c.logits === ref.logits);
    if (!got) {
      failures.push(`${name}: missing`);
      return { layer: ref.layer, logits: ref.logits, maxHeatmapDiff: Number.POSITIVE_INFINITY, maxOutputDiff: Number.POSITIVE_INFINITY, leakedTensors: 0 };
    }
    const maxOutputDiff = maxAbsDiff(got.outputs, ref.outputs);
    const maxHeatmapDiff =
      got.heatmaps.length === ref.heatmaps.length ? Math.max(0, ...ref.heatmaps.map((map, i) => maxAbsDiff(got.heatmaps[i], map))) : Number.POSITIVE_INFINITY;
    if (!(maxHeatmapDiff <= tolerance)) failures.push(`${name}: heatmaps differ by ${maxHeatmapDiff} (allowed ${tolerance})`);
    if (!(maxOutputDiff <= tolerance)) failures.push(`${name}: outputs differ by ${maxOutputDiff} (allowed ${tolerance})`);
    if (got.leakedTensors !== 0) failures.push(`${name}: ${got.leakedTensors} tensors leaked`);
    if (ref.leakedTensors !== 0) failures.push(`${name}: the reference run leaked ${ref.leakedTensors} tensors`);
    if (ref.heatmaps.every((map) => !map.some((v) => v > 0))) failures.push(`${name}: the reference maps are all zeros, so the comparison proves nothing`);
    return { layer: ref.layer, logits: ref.logits, maxHeatmapDiff, maxOutputDiff, leakedTensors: got.leakedTensors };
  });
  return { backend: actual.backend, reference: reference.backend, cases, failures };
}

/** One line per case: its name and largest heatmap difference, for a test's log. */
export function summarizeConformance(report: ConformanceReport): string {
  return report.cases.map((c) => `${c.layer} ${c.logits ? 'logits' : 'softmax'}: max |Δ| ${c.maxHeatmapDiff.toExponential(1)}`).join('\n');
}

/** Options of runConformance. */
export interface ConformanceOptions extends ConformanceRunOptions {
  /** The backend under test; it must be registered. */
  readonly backend: string;
  /** The backend whose maps are the reference; default 'cpu'. Or maps computed elsewhere. */
  readonly reference?: string | ConformanceMaps;
  /** Default CONFORMANCE_TOLERANCE (5e-3). */
  readonly tolerance?: number;
}

/**
 * The backend conformance suite: explains `doc` on the reference backend and on the backend
 * under test, and compares. Leaves the backend under test active. Model weights move between
 * backends as tfjs reads them, so one loaded model serves both runs.
 */
export async function runConformance(model: unknown, doc: tf.Tensor, options: ConformanceOptions): Promise<ConformanceReport> {
  const reference = options.reference ?? 'cpu';
  let referenceMaps: ConformanceMaps;
  if (typeof reference === 'string') {
    if (!(await tf.setBackend(reference))) throw new Error(`The reference backend '${reference}' cannot start.`);
    referenceMaps = await computeConformanceMaps(model, doc, options);
  } else {
    referenceMaps = reference;
  }
  if (!(await tf.setBackend(options.backend))) throw new Error(`The backend under test '${options.backend}' cannot start.`);
  const actual = await computeConformanceMaps(model, doc, { ...options, targets: referenceMaps.targets });
  return compareConformance(referenceMaps, actual, options.tolerance);
}
