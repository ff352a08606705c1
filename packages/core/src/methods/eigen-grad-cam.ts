import * as tf from '@tensorflow/tfjs-core';
import type { CamMethod } from '../cam-method.js';
import { projectMaps } from '../principal-projection.js';

/**
 * Eigen-Grad-CAM, pytorch-grad-cam's `eigen_grad_cam.py`: Eigen-CAM (arXiv 2008.00299) on the
 * gradient-weighted activations G ⊙ A, so the map is class-specific. Raw gradients; sign
 * fixed so that the map correlates positively with Σ_k G_k ⊙ A_k (HiResCAM's map).
 */
export const eigenGradCam: CamMethod = {
  id: 'eigengradcam',
  displayName: 'Eigen-Grad-CAM',
  description: 'map = first principal component projection of G ⊙ A (pytorch-grad-cam; Eigen-CAM, arXiv 2008.00299)',
  usesGradients: true,
  usesModel: false,
  async compute({ activations, gradients }) {
    const weighted = tf.mul(gradients, activations) as tf.Tensor4D;
    try {
      return { maps: await projectMaps(weighted) };
    } finally {
      weighted.dispose();
    }
  },
};
