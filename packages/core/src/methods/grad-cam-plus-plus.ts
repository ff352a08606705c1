import * as tf from '@tensorflow/tfjs-core';
import type { CamMethod } from '../cam-method.js';

/**
 * Grad-CAM++ (Chattopadhyay et al., "Grad-CAM++: Improved Visual Explanations for Deep
 * Convolutional Networks", arXiv 1710.11063, eq. 19), as pytorch-grad-cam's
 * `grad_cam_plusplus.py`: α_ijk = G²/(2G² + Σ_ij A_k·G³ + 1e-6), zero where G = 0;
 * w_k = Σ_ij α_ijk·ReLU(G_ijk); map = Σ_k w_k·A_k. Raw gradients (no L2 normalisation).
 */
export const gradCamPlusPlus: CamMethod = {
  id: 'gradcam++',
  displayName: 'Grad-CAM++',
  description: 'α = G²/(2G² + Σ_ij A·G³ + ε); w_k = Σ_ij α·ReLU(G); map = Σ_k w_k·A_k (Chattopadhyay et al., arXiv 1710.11063)',
  usesGradients: true,
  usesModel: false,
  compute: ({ activations, gradients }) => ({
    weights: tf.tidy(() => {
      const g2 = tf.square(gradients);
      const g3 = tf.mul(g2, gradients);
      const sumA = tf.sum(activations, [1, 2], true); // [1, 1, 1, c]
      const alpha = tf.div(g2, tf.add(tf.add(tf.mul(g2, 2), tf.mul(sumA, g3)), 1e-6));
      const gated = tf.where(tf.notEqual(gradients, 0), alpha, tf.zerosLike(alpha));
      return tf.sum(tf.mul(tf.relu(gradients), gated), [1, 2]) as tf.Tensor2D;
    }),
  }),
};
