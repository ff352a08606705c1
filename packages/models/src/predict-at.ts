import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** The part of a tfjs-layers Layer whose call is replaced. */
interface CallableLayer {
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor | tf.Tensor[];
}

/**
 * The model's output for `doc` [1, h, w, c] repeated once per row of `activations` [n, …], with
 * `layer`'s output replaced by those rows (the layers after it run on them; earlier branches
 * that join later are fed from the repeated doc). For AblationCAM's `predictAt`; no tape.
 */
export function predictWithLayerOutput(model: LayersModel, layer: CallableLayer, doc: tf.Tensor4D, activations: tf.Tensor4D): tf.Tensor {
  const own = Object.hasOwn(layer, 'call');
  const previous = layer.call;
  // A copy: tfjs-layers' executor disposes the intermediate outputs it is handed.
  layer.call = () => tf.clone(activations);
  try {
    return tf.tidy(() => model.apply(tf.tile(doc, [activations.shape[0], 1, 1, 1]), { training: false }) as tf.Tensor);
  } finally {
    if (own) layer.call = previous;
    else delete (layer as Partial<CallableLayer>).call;
  }
}
