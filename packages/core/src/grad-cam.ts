import * as tf from '@tensorflow/tfjs-core';

/** Keras' epsilon: ELI5 divides by max + 1e-7, which matters at inner layers. */
export const KERAS_EPSILON = 1e-7;

/**
 * ELI5's Grad-CAM on tensors (Selvaraju et al., arXiv 1610.02391), for several targets at once.
 * Each target's gradient is L2-normalised over the whole tensor (Keras `l2_normalize`),
 * averaged over space into channel weights; the map is ReLU(Σ_k w_k·A_k) / (max + 1e-7).
 * @param activations the layer output, [1, h, w, c]
 * @param gradients one gradient per target, [targets, h, w, c]
 * @returns maps in [0, 1], [targets, h, w]; an all-zero map stays zero
 */
export function gradCamMaps(activations: tf.Tensor4D, gradients: tf.Tensor4D): tf.Tensor3D {
  return tf.tidy(() => {
    const [, h, w, c] = activations.shape;
    const t = gradients.shape[0];
    const sumSquares = tf.sum(tf.square(gradients), [1, 2, 3], true);
    const normalised = tf.div(gradients, tf.sqrt(tf.maximum(sumSquares, 1e-12)));
    const weights = tf.mean(normalised, [1, 2]) as tf.Tensor2D; // [t, c]
    const flat = tf.reshape(activations, [h * w, c]) as tf.Tensor2D;
    const raw = tf.relu(tf.matMul(weights, flat, false, true)); // [t, h*w]
    const max = tf.max(raw, 1, true);
    return tf.reshape(tf.div(raw, tf.add(max, KERAS_EPSILON)), [t, h, w]) as tf.Tensor3D;
  });
}

/**
 * gradCamMaps for a batch: the maps of every gradient row at once, [rows, h, w]. `activations`
 * [N, h, w, c] holds the N images' layer outputs and `gradients` [rows, h, w, c] their targets'
 * gradients image-major, `perImage` rows for each image (K each: rows = N·K). The same arithmetic
 * as gradCamMaps, row by row.
 */
export function gradCamRows(activations: tf.Tensor4D, gradients: tf.Tensor4D, perImage: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, h, w, c] = activations.shape;
    const rows = gradients.shape[0];
    const sumSquares = tf.sum(tf.square(gradients), [1, 2, 3], true);
    const normalised = tf.div(gradients, tf.sqrt(tf.maximum(sumSquares, 1e-12)));
    const weights = tf.reshape(tf.mean(normalised, [1, 2]), [n, perImage, c]); // [N, K, c]
    const flat = tf.reshape(activations, [n, h * w, c]);
    const raw = tf.relu(tf.reshape(tf.matMul(weights, flat, false, true), [rows, h * w])); // [N·K, h*w]
    const max = tf.max(raw, 1, true);
    return tf.reshape(tf.div(raw, tf.add(max, KERAS_EPSILON)), [rows, h, w]) as tf.Tensor3D;
  });
}
