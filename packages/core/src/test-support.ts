import * as tf from '@tensorflow/tfjs-core';
import type { ExplainableModel, LayerInfo } from './explainable-model.js';

/** What linearModel builds from. */
export interface LinearModelOptions {
  readonly name: string;
  /** W [classes, h, w, c], kept by the caller for as long as the model is used. */
  readonly weights: tf.Tensor4D;
  /** b_t, one per class (none: no bias term). */
  readonly bias?: readonly number[];
}

/**
 * A linear toy classifier for core's tests (in no package entry): score_t(x) = Σ W_t ⊙ x (+ b_t),
 * so dScore_t/dx = W_t and the explained layer is the input itself, whose attributions and maps
 * are known in closed form. Without explicit targets it explains its top class.
 */
export function linearModel({ name, weights, bias }: LinearModelOptions): ExplainableModel {
  const [classes, height, width, channels] = weights.shape;
  const layer: LayerInfo = { name: 'input', className: 'Toy', outputShape: [null, height, width, channels], paramCount: 0, index: 0 };
  const predict = (batch: tf.Tensor4D) =>
    tf.tidy(() => {
      const scores = tf.matMul(tf.reshape(batch, [batch.shape[0], -1]), tf.reshape(weights, [classes, -1]), false, true);
      return (bias ? tf.add(scores, tf.tensor1d([...bias])) : scores) as tf.Tensor2D;
    });
  return {
    specificationVersion: 'v1',
    name,
    inputShape: [null, height, width, channels],
    numClasses: classes,
    layers: () => [layer],
    defaultLayer: () => layer,
    capture(doc, _layer, options) {
      const scores = predict(doc);
      const row = scores.dataSync();
      const targets = Array.isArray(options.targets) ? [...options.targets] : [row.indexOf(Math.max(...row))];
      const activations = doc.clone();
      const gradients = tf.gather(weights, targets as number[]) as tf.Tensor4D;
      const outputs = scores.clone();
      return { activations, scores, outputs, targets, gradients, dispose: () => tf.dispose([activations, scores, outputs, gradients]) };
    },
    predict,
    // The explained layer is the input: replacing its output is running the model on the rows.
    predictAt: (_doc, _layer, activations) => predict(activations),
  };
}
