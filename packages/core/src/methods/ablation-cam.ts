import * as tf from '@tensorflow/tfjs-core';
import type { CamMethod } from '../cam-method.js';
import { InvalidInputError } from '../errors.js';
import { yieldToEventLoop } from '../yield.js';

/**
 * Ablation-CAM (Desai & Ramaswamy, "Ablation-CAM: Visual Explanations for Deep Convolutional
 * Network via Gradient-free Localization", WACV 2020), as pytorch-grad-cam's `ablation_cam.py`:
 * each channel k of the layer output is ablated in turn — set to 0, or to min(A) − 1e7 when the
 * activations are not ReLU-like (min(A) ≠ 0) — the rest of the model runs on it, and
 * w_k = (y − y_k) / y, the relative drop of the target's score y (the plain drop where y = 0);
 * map = Σ_k w_k·A_k. One model pass per channel from the layer on (the adapter's `predictAt`),
 * `batchSize` channels per call, with progress.
 */
export const ablationCam: CamMethod = {
  id: 'ablationcam',
  displayName: 'AblationCAM',
  description: 'w_k = (y − y with channel k ablated) / y; map = Σ_k w_k·A_k (Desai & Ramaswamy, WACV 2020)',
  usesGradients: false,
  usesModel: true,
  async compute({ activations, targets, scoreAt, batchSize, onProgress }) {
    if (scoreAt === undefined) {
      throw new InvalidInputError("AblationCAM reruns the model from the layer on, but this model's adapter has no predictAt(); choose another method.");
    }
    const c = activations.shape[3];
    const t = targets.length;
    const min = tf.min(activations);
    const lowest = (await min.data())[0];
    const ablated = lowest === 0 ? 0 : lowest - 1e7;
    min.dispose();
    const original = scoreAt(activations);
    const y = (await original.data()) as Float32Array; // [t]
    original.dispose();
    const chunk = Math.max(1, Math.floor(batchSize));
    const weights = new Float32Array(t * c); // [t, c]
    for (let start = 0; start < c; start += chunk) {
      const size = Math.min(chunk, c - start);
      const scores = tf.tidy(() => {
        // Row k ablates channel start + k.
        const mask = tf.reshape(tf.oneHot(tf.range(start, start + size, 1, 'int32') as tf.Tensor1D, c), [size, 1, 1, c]);
        const batch = tf.add(tf.mul(activations, tf.sub(1, mask)), tf.mul(mask, ablated)) as tf.Tensor4D;
        return scoreAt(batch); // [size, t]
      });
      const data = await scores.data();
      scores.dispose();
      for (let k = 0; k < size; k++) {
        for (let j = 0; j < t; j++) {
          const drop = y[j] - data[k * t + j];
          weights[j * c + start + k] = y[j] !== 0 ? drop / y[j] : drop;
        }
      }
      onProgress?.(start + size, c);
      await yieldToEventLoop();
    }
    return { weights: tf.tensor2d(weights, [t, c]) };
  },
};
