import { InvalidInputError, toExplainableModel } from '@gradcam/core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { isLoadedModel, type LoadedModel } from './load-model.js';

/** Options of predict. */
export interface PredictOptions {
  /** The pre-softmax scores instead of the model output (a model that ends in softmax). */
  readonly logits?: boolean;
}

/**
 * The model's predictions for preprocessed images — `x` of shape [n, h, w, c], or one image
 * [h, w, c] — as [n, classes] for a classifier (the model's own output shape otherwise), through the model's inference form: batch norms folded, bias and
 * activation fused, and on the 'tensorflow' backend one TensorFlow session run. The values equal
 * `model.predict(x)` up to float32 round-off; `model.model.predict` stays the tfjs model's own.
 * Synchronous like tfjs' predict; the caller disposes the result.
 */
export function predict(model: LoadedModel | LayersModel | GraphModel, x: tf.Tensor, options: PredictOptions = {}): tf.Tensor {
  const explainable = toExplainableModel(isLoadedModel(model) ? model.explainable : model);
  if (!explainable.predict) throw new InvalidInputError(`${explainable.name}'s adapter cannot predict; call the model's own predict().`);
  if (!(x instanceof tf.Tensor) || (x.rank !== 3 && x.rank !== 4)) {
    throw new InvalidInputError(
      `predict expects images of shape [n, height, width, channels] or [height, width, channels]; got ${x instanceof tf.Tensor ? `[${x.shape.join(', ')}]` : typeof x}.`,
    );
  }
  const batch = (x.rank === 3 ? tf.expandDims(x, 0) : x) as tf.Tensor4D;
  try {
    return explainable.predict(batch, { logits: options.logits ?? false });
  } finally {
    if (batch !== x) batch.dispose();
  }
}
