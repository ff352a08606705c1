import { type BatchCapture, type Capture, type CaptureOptions, NotDifferentiableError, type Target } from '@gradcam/core';
import { targetScores } from '@gradcam/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import { releaseFailedTape } from './tfjs-internals.js';

/** One forward pass of the model as runTargetGradients asks for it. */
export interface ForwardPass {
  /** The model input: the N docs, or on the retry each doc repeated `repeats` times in a row. */
  readonly input: tf.Tensor4D;
  /** How many times each doc appears in `input`: 1, or the number of targets on the retry. */
  readonly repeats: number;
  /**
   * Repeats each row of `t` (a tensor computed from the un-repeated docs, e.g. a kept layer
   * output) the way `input` repeats the docs. Returns `t` itself when `repeats` is 1.
   */
  repeatRows<T extends tf.Tensor>(t: T): T;
  /**
   * Call with the chosen layer's output `a` for `input` ([N, h, w, c], or one row per row of
   * `input`); returns what the rest of the model must get instead: `a` + delta with one row per
   * (image, target), [N·targets, h, w, c], image-major.
   */
  inject(a: tf.Tensor4D): tf.Tensor4D;
}

/**
 * Runs the model once, the chosen layer's output passed through `pass.inject`, and returns the
 * model output for the rows inject returned ([N·targets, …]: classes for a classifier).
 */
export type DeltaForward = (pass: ForwardPass) => tf.Tensor;

/** A capture for one image, from a batch capture of that image alone. */
export function singleCapture(batch: BatchCapture): Capture {
  return {
    activations: batch.activations,
    scores: batch.scores,
    outputs: batch.outputs,
    get targets() {
      return batch.targets[0];
    },
    gradients: batch.gradients,
    ...(batch.maps ? { maps: batch.maps } : {}),
    dispose: () => batch.dispose(),
  };
}

function targetCount(options: CaptureOptions): number {
  return Array.isArray(options.targets) ? options.targets.length : (options.targets as { top: number }).top;
}

/** Top-k target choices up to this k are made on the device (k rounds of argMax). */
const DEVICE_TOP_K = 8;

/**
 * Each image's k best classes, [n, k] int32, on the device: k rounds of argMax, each round's pick
 * masked out with −∞ for the next. Ties go to the lower class id, as pickTargets does.
 */
function topTargets(rows: tf.Tensor2D, k: number): tf.Tensor2D {
  return tf.tidy(() => {
    let left: tf.Tensor2D = rows;
    const picks: tf.Tensor1D[] = [];
    for (let j = 0; j < k; j++) {
      const best = tf.argMax(left, 1) as tf.Tensor1D;
      picks.push(best);
      if (j + 1 < k) left = tf.where(tf.cast(tf.oneHot(best, rows.shape[1]), 'bool'), tf.fill(rows.shape, Number.NEGATIVE_INFINITY), left) as tf.Tensor2D;
    }
    return tf.stack(picks, 1) as tf.Tensor2D;
  });
}

function pickTargets(options: CaptureOptions, row: Float32Array | Int32Array | Uint8Array): Target[] {
  if (Array.isArray(options.targets)) return [...options.targets];
  const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b);
  return order.slice(0, (options.targets as { top: number }).top);
}

function asNotDifferentiable(error: unknown): unknown {
  const message = error instanceof Error ? error.message : String(error);
  if (/Cannot compute gradient of y=f\(x\)/.test(message)) {
    return new NotDifferentiableError(
      "The gradient does not reach the chosen layer: the model's output does not depend on that layer's output in this forward pass (a branch that is not used, or a layer of another model).",
      { cause: error },
    );
  }
  if (/Cannot compute gradient|gradient function not found|not registered for backend/i.test(message)) {
    return new NotDifferentiableError(
      `The backward pass failed on backend '${tf.getBackend()}': ${message}. Choose a later layer, or run on the 'cpu' or 'tensorflow' backend.`,
      { cause: error },
    );
  }
  return error;
}

/** The int32 row index [0, step, 2·step, …] of `count` rows, or with `repeat`: each row `repeat` times [0, 0, 1, 1, …]. */
export function rowIndex(count: number, step: number, repeat = 1): tf.Tensor1D {
  return tf.tensor1d(
    Int32Array.from({ length: count * repeat }, (_, i) => Math.floor(i / repeat) * step),
    'int32',
  );
}

/**
 * One forward pass and one batched backward pass for N images × K targets. The layer output A
 * [N, h, w, c] gets delta [N·K, h, w, c] (zeros) added as A[i] + delta[i·K + k], so everything
 * after the layer runs with a batch of N·K rows and row i·K + k carries the gradient of image
 * i's target k (for N = 1, a broadcast against delta). When a layer downstream cannot combine
 * those rows with an earlier branch's N rows (a concatenation; for N > 1 also an addition),
 * the input is retried with each doc repeated K times, so every branch has N·K rows.
 * `repeatFirst` (an adapter that knows an earlier branch joins later) skips the first try.
 */
export function runTargetGradients(
  docs: tf.Tensor4D,
  options: CaptureOptions,
  forward: DeltaForward,
  activationShape: readonly (number | null)[],
  { repeatFirst = false }: { readonly repeatFirst?: boolean } = {},
): BatchCapture {
  const n = docs.shape[0];
  const k = targetCount(options);
  let spatial = activationShape.slice(1) as number[];
  if (spatial.some((d) => d === null)) {
    // Fully-convolutional model: the layer's size depends on the input, so probe it once.
    tf.tidy(() => {
      forward({
        input: docs,
        repeats: 1,
        repeatRows: (t) => t,
        inject: (a) => {
          spatial = a.shape.slice(1);
          return a;
        },
      });
    });
  }
  const [h, w, c] = spatial;
  /** Rows 0, K, 2K, … of N·K rows: each image's first row (the same values as its other rows). */
  const firstRows = (t: tf.Tensor): tf.Tensor => (k === 1 ? t.clone() : tf.gather(t, rowIndex(n, k)));
  const attempt = (repeats: number): BatchCapture => {
    let activations: tf.Tensor4D | undefined;
    let outputs: tf.Tensor2D | undefined;
    let targets: Target[][] | undefined;
    let picked: tf.Tensor2D | undefined;
    const delta = tf.zeros([n * k, h, w, c]) as tf.Tensor4D;
    const repeatIndex = rowIndex(n, 1, repeats);
    const input = repeats === 1 ? docs : (tf.gather(docs, repeatIndex) as tf.Tensor4D);
    try {
      const gradients = tf.grad((d: tf.Tensor) => {
        const y = forward({
          input,
          repeats,
          repeatRows: <T extends tf.Tensor>(t: T) => (repeats === 1 ? t : (tf.gather(t, repeatIndex) as T)),
          inject: (a) => {
            activations?.dispose();
            activations = tf.keep((a.shape[0] === n ? a.clone() : firstRows(a)) as tf.Tensor4D);
            if (a.shape[0] === n * k) return tf.add(a, d) as tf.Tensor4D;
            return tf.reshape(tf.add(tf.expandDims(a, 1), tf.reshape(d, [n, k, h, w, c])), [n * k, h, w, c]) as tf.Tensor4D;
          },
        });
        outputs = tf.keep(firstRows(y) as tf.Tensor2D);
        if (!Array.isArray(options.targets) && k <= DEVICE_TOP_K && y.rank === 2) {
          // Each image's best classes picked on the device: no read in the middle of the pass
          // (a synchronous read stalls webgl's pipeline); the ids are read when first asked for.
          const classes = y.shape[1] as number;
          picked = tf.keep(topTargets(outputs, k));
          const mask = tf.reshape(tf.oneHot(tf.reshape(picked, [-1]), classes), [n * k, classes]);
          return tf.sum(tf.mul(y, mask));
        }
        const explicit = options.targets;
        let chosen: Target[][];
        if (Array.isArray(explicit)) chosen = Array.from({ length: n }, () => [...(explicit as readonly Target[])]);
        else {
          const classes = y.shape[1] as number;
          const rows = outputs.dataSync();
          chosen = Array.from({ length: n }, (_, i) => pickTargets(options, rows.subarray(i * classes, (i + 1) * classes)));
        }
        targets = chosen;
        // The scalar differentiated: row i·K + j scored by image i's target j (class id or target function).
        return tf.sum(targetScores(y, chosen.flat()));
      })(delta) as tf.Tensor4D;
      const scores = outputs as unknown as tf.Tensor2D;
      const modelOutputs = options.logits ? tf.softmax(scores) : scores.clone();
      const kept = activations as unknown as tf.Tensor4D;
      const ids = picked;
      const readTargets = (): Target[][] => {
        if (targets === undefined && ids) {
          const flat = ids.dataSync();
          targets = Array.from({ length: n }, (_, i) => Array.from(flat.subarray(i * k, (i + 1) * k)));
          ids.dispose();
        }
        return targets as Target[][];
      };
      return {
        activations: kept,
        scores,
        outputs: modelOutputs,
        get targets() {
          return readTargets();
        },
        gradients,
        dispose() {
          readTargets();
          tf.dispose([kept, scores, modelOutputs, gradients]);
        },
      };
    } catch (error) {
      releaseFailedTape();
      if (activations) activations.dispose();
      if (outputs) outputs.dispose();
      picked?.dispose();
      throw error;
    } finally {
      tf.dispose([delta, repeatIndex]);
      if (input !== docs) input.dispose();
    }
  };
  try {
    return attempt(repeatFirst ? k : 1);
  } catch (error) {
    if (k === 1 || repeatFirst || error instanceof NotDifferentiableError) throw asNotDifferentiable(error);
    try {
      return attempt(k);
    } catch (retryError) {
      throw asNotDifferentiable(retryError);
    }
  }
}
