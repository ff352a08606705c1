import * as tf from '@tensorflow/tfjs-core';
import type { CamMethod } from '../cam-method.js';

/**
 * Grad-CAM as ELI5 computes it (`eli5.keras.gradcam`; Selvaraju et al., "Grad-CAM: Visual
 * Explanations from Deep Networks via Gradient-based Localization", arXiv 1610.02391):
 * G is L2-normalised over the whole tensor (Keras `l2_normalize`), w_k = mean_ij G_ijk,
 * map = Σ_k w_k·A_k. The normalisation is ELI5's (pytorch-grad-cam's `grad_cam.py` has none);
 * it scales each target's map by a positive constant, which only matters through the 1e-7 of
 * the final division — so this method alone keeps ELI5's `/ (max + 1e-7)` (`scaling: 'keras'`).
 */
export const gradCam: CamMethod = {
  id: 'gradcam',
  displayName: 'Grad-CAM',
  description: 'w_k = mean_ij(G / ‖G‖₂); map = Σ_k w_k·A_k (ELI5; Selvaraju et al., arXiv 1610.02391)',
  usesGradients: true,
  usesModel: false,
  scaling: 'keras',
  compute: ({ gradients }) => ({
    weights: tf.tidy(() => {
      const sumSquares = tf.sum(tf.square(gradients), [1, 2, 3], true);
      const normalised = tf.div(gradients, tf.sqrt(tf.maximum(sumSquares, 1e-12)));
      return tf.mean(normalised, [1, 2]) as tf.Tensor2D;
    }),
  }),
};
