import * as tf from '@tensorflow/tfjs-core';
import type { CamMethod } from '../cam-method.js';
import { projectMaps } from '../principal-projection.js';

/**
 * Eigen-CAM (Muhammad & Yeasin, "Eigen-CAM: Class Activation Map using Principal Components",
 * arXiv 2008.00299), as pytorch-grad-cam's `eigen_cam.py` (`get_2d_projection`): the
 * activations, centred over positions, projected on their first principal component. No
 * gradients, so the map is the same for every target. The component's sign is fixed so that
 * the map correlates positively with Σ_k A_k (pytorch-grad-cam leaves it to the SVD).
 */
export const eigenCam: CamMethod = {
  id: 'eigencam',
  displayName: 'Eigen-CAM',
  description: 'map = (A − mean_ij A)·v₁, v₁ the first principal component of A (Muhammad & Yeasin, arXiv 2008.00299)',
  usesGradients: false,
  usesModel: false,
  async compute({ activations, targets }) {
    const single = await projectMaps(activations);
    try {
      return { maps: tf.tile(single, [targets.length, 1, 1]) as tf.Tensor3D };
    } finally {
      single.dispose();
    }
  },
};
