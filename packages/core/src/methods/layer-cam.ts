import * as tf from '@tensorflow/tfjs-core';
import type { CamMethod } from '../cam-method.js';

/**
 * LayerCAM (Jiang et al., "LayerCAM: Exploring Hierarchical Class Activation Maps for
 * Localization", IEEE TIP 2021), as pytorch-grad-cam's `layer_cam.py`:
 * map = Σ_k ReLU(G_k) ⊙ A_k. Raw gradients.
 */
export const layerCam: CamMethod = {
  id: 'layercam',
  displayName: 'LayerCAM',
  description: 'map = Σ_k ReLU(G_k) ⊙ A_k (Jiang et al., IEEE TIP 2021)',
  usesGradients: true,
  usesModel: false,
  compute: ({ activations, gradients }) => ({ contributions: tf.tidy(() => tf.mul(tf.relu(gradients), activations) as tf.Tensor4D) }),
};
