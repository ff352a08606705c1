import { type Capture, type CaptureOptions, NotDifferentiableError } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs the model once with `delta` added to the chosen layer's output and returns the model
 * output. `keepActivations` receives that layer's output (before delta is added).
 */
export type DeltaForward = (x: tf.Tensor4D, delta: tf.Tensor4D, keepActivations: (a: tf.Tensor4D) => void) => tf.Tensor2D;

function targetCount(options: CaptureOptions): number {
  return Array.isArray(options.targets) ? options.targets.length : (options.targets as { top: number }).top;
}

function pickTargets(options: CaptureOptions, row: Float32Array | Int32Array | Uint8Array): number[] {
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

/**
 * One forward pass and one batched backward pass for all targets. The layer output A is
 * broadcast against delta of shape [targets, h, w, c], so everything after the layer runs
 * with a batch of `targets` and each batch row carries one target's gradient. When a layer
 * downstream cannot broadcast (a concatenation with an earlier branch), the input itself is
 * tiled instead.
 */
export function runTargetGradients(doc: tf.Tensor4D, options: CaptureOptions, forward: DeltaForward, activationShape: readonly (number | null)[]): Capture {
  const count = targetCount(options);
  let spatial = activationShape.slice(1) as number[];
  if (spatial.some((d) => d === null)) {
    // Fully-convolutional model: the layer's size depends on the input, so probe it once.
    tf.tidy(() => {
      forward(doc, tf.zeros([1, 1, 1, 1]) as tf.Tensor4D, (a) => {
        spatial = a.shape.slice(1);
      });
    });
  }
  const attempt = (x: tf.Tensor4D): Capture => {
    let activations: tf.Tensor4D | undefined;
    let outputs: tf.Tensor2D | undefined;
    let targets: number[] = [];
    const delta = tf.zeros([count, spatial[0], spatial[1], spatial[2]]) as tf.Tensor4D;
    try {
      const gradients = tf.grad((d: tf.Tensor) => {
        const y = forward(x, d as tf.Tensor4D, (a) => {
          activations?.dispose();
          activations = tf.keep(a.shape[0] === 1 ? a.clone() : (tf.slice(a, [0, 0, 0, 0], [1, spatial[0], spatial[1], spatial[2]]) as tf.Tensor4D));
        });
        outputs = tf.keep(tf.slice(y, [0, 0], [1, y.shape[1]]) as tf.Tensor2D);
        targets = pickTargets(options, outputs.dataSync());
        const mask = new Float32Array(count * y.shape[1]);
        targets.forEach((t, i) => {
          mask[i * y.shape[1] + t] = 1;
        });
        return tf.sum(tf.mul(y, tf.tensor2d(mask, [count, y.shape[1]])));
      })(delta) as tf.Tensor4D;
      const scores = outputs as unknown as tf.Tensor2D;
      const modelOutputs = options.logits ? tf.softmax(scores) : scores.clone();
      const kept = activations as unknown as tf.Tensor4D;
      return {
        activations: kept,
        scores,
        outputs: modelOutputs,
        targets,
        gradients,
        dispose() {
          tf.dispose([kept, scores, modelOutputs, gradients]);
        },
      };
    } catch (error) {
      if (activations) activations.dispose();
      if (outputs) outputs.dispose();
      throw error;
    } finally {
      delta.dispose();
    }
  };
  try {
    return attempt(doc);
  } catch (error) {
    if (count === 1 || error instanceof NotDifferentiableError) throw asNotDifferentiable(error);
    const tiled = tf.tile(doc, [count, 1, 1, 1]) as tf.Tensor4D;
    try {
      return attempt(tiled);
    } catch (retryError) {
      throw asNotDifferentiable(retryError);
    } finally {
      tiled.dispose();
    }
  }
}
