import * as tf from '@tensorflow/tfjs-core';
import type { CamMethod } from '../cam-method.js';

/**
 * HiResCAM (Draelos & Carin, "Use HiResCAM instead of Grad-CAM for faithful explanations of
 * convolutional neural networks", arXiv 2011.08891), as pytorch-grad-cam's `hirescam.py`:
 * map = Σ_k G_k ⊙ A_k — the gradients multiply the activations element-wise instead of being
 * averaged first. Raw gradients.
 */
export const hiResCam: CamMethod = {
  id: 'hirescam',
  displayName: 'HiResCAM',
  description: 'map = Σ_k G_k ⊙ A_k (Draelos & Carin, arXiv 2011.08891)',
  usesGradients: true,
  usesModel: false,
  compute: ({ activations, gradients }) => ({ contributions: tf.mul(gradients, activations) as tf.Tensor4D }),
};
