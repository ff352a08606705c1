import * as tf from '@tensorflow/tfjs-core';
import type { CamInputs } from './cam-method.js';
import { InvalidInputError } from './errors.js';
import { yieldToEventLoop } from './yield.js';

/** Checks that an integer option is ≥ 1 (or positive, `integer: false`), naming the method. */
export function checkCount(method: string, what: string, value: number, integer = true): void {
  if (!(Number.isFinite(value) && value > 0 && (!integer || Number.isInteger(value)))) {
    throw new InvalidInputError(`${method}: ${what} must be ${integer ? 'an integer ≥ 1' : 'a positive number'}; got ${value}.`);
  }
}

/**
 * The mean over `count` inputs of ∂score_t/∂input for every target t → [t, H, W, C]. `make(start,
 * size)` builds inputs start … start + size − 1 as one batch; `batchSize` inputs per backward
 * pass; progress counts inputs × targets.
 */
export async function meanInputGradients(
  method: string,
  inputs: CamInputs,
  count: number,
  make: (start: number, size: number) => tf.Tensor4D,
): Promise<tf.Tensor4D> {
  const { inputGradients, targets, batchSize, onProgress } = inputs;
  if (inputGradients === undefined) {
    throw new InvalidInputError(
      `${method} differentiates the model with respect to its input, but this model's adapter has no predict(); choose a CAM method.`,
    );
  }
  const chunk = Math.max(1, Math.floor(batchSize));
  const means: tf.Tensor3D[] = [];
  try {
    for (let t = 0; t < targets.length; t++) {
      let sum = tf.zeros(inputs.input.shape.slice(1) as [number, number, number]) as tf.Tensor3D;
      for (let start = 0; start < count; start += chunk) {
        const size = Math.min(chunk, count - start);
        const next = tf.tidy(() => tf.add(sum, tf.sum(inputGradients(make(start, size), t), 0)) as tf.Tensor3D);
        sum.dispose();
        sum = next;
        // Let other work run between backward passes (and a progress bar draw).
        await yieldToEventLoop();
        onProgress?.(t * count + start + size, targets.length * count);
      }
      means.push(tf.tidy(() => tf.div(sum, count) as tf.Tensor3D));
      sum.dispose();
    }
    return tf.stack(means) as tf.Tensor4D;
  } finally {
    tf.dispose(means);
  }
}
