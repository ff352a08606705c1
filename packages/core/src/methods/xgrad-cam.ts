import * as tf from '@tensorflow/tfjs-core';
import type { CamMethod } from '../cam-method.js';

/**
 * XGrad-CAM (Fu et al., "Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation
 * of CNNs", arXiv 2008.02312), as pytorch-grad-cam's `xgrad_cam.py`:
 * w_k = Σ_ij G_ijk·A_ijk / (Σ_ij A_ijk + 1e-7); map = Σ_k w_k·A_k. Raw gradients.
 */
export const xGradCam: CamMethod = {
  id: 'xgradcam',
  displayName: 'XGrad-CAM',
  description: 'w_k = Σ_ij G·A / (Σ_ij A + ε); map = Σ_k w_k·A_k (Fu et al., arXiv 2008.02312)',
  usesGradients: true,
  usesModel: false,
  compute: ({ activations, gradients }) => ({
    weights: tf.tidy(() => {
      const sumA = tf.sum(activations, [1, 2], true);
      return tf.sum(tf.div(tf.mul(gradients, activations), tf.add(sumA, 1e-7)), [1, 2]) as tf.Tensor2D;
    }),
  }),
};
