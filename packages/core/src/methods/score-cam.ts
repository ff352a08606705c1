import * as tf from '@tensorflow/tfjs-core';
import type { CamMethod } from '../cam-method.js';
import { InvalidInputError } from '../errors.js';
import { yieldToEventLoop } from '../yield.js';

/**
 * Score-CAM (Wang et al., "Score-CAM: Score-Weighted Visual Explanations for Convolutional
 * Neural Networks", arXiv 1910.01279), as pytorch-grad-cam's `score_cam.py`: each channel A_k
 * is upsampled to the input size (bilinear, align_corners as torch's UpsamplingBilinear2d),
 * min–max scaled to [0, 1] (+1e-8), and multiplies the preprocessed input; the model scores
 * each masked input; w = softmax over channels of the target's scores; map = Σ_k w_k·A_k.
 * One model call per channel, run in chunks of `batchSize` masks with a progress callback.
 * On a model that ends in softmax the masked inputs are scored on the pre-softmax outputs unless
 * the caller sets `logits: false` (`prefersLogits`): on probabilities the softmax over channels
 * is nearly flat (the top weight about 2× uniform on MobileNetV2, against 40× on logits), so the
 * map barely depends on the class. Target functions score the masked outputs like any other.
 */
export const scoreCam: CamMethod = {
  id: 'scorecam',
  displayName: 'Score-CAM',
  description: 'w = softmax_k(score(x ⊙ upsample(norm(A_k)))); map = Σ_k w_k·A_k (Wang et al., arXiv 1910.01279)',
  usesGradients: false,
  usesModel: true,
  prefersLogits: true,
  async compute({ activations, input, targets, scoreTargets, batchSize, onProgress }) {
    if (scoreTargets === undefined) {
      throw new InvalidInputError("Score-CAM runs the model on masked images, but this model's adapter has no predict(); choose a gradient method.");
    }
    const [, h, w, c] = activations.shape;
    const [, height, width] = input.shape;
    const chunk = Math.max(1, Math.floor(batchSize));
    const scores = new Float32Array(targets.length * c); // [t, c]
    for (let start = 0; start < c; start += chunk) {
      const size = Math.min(chunk, c - start);
      const chunkScores = tf.tidy(() => {
        const a = tf.slice(activations, [0, 0, 0, start], [1, h, w, size]);
        const up = tf.image.resizeBilinear(a, [height, width], true);
        const min = tf.min(up, [1, 2], true);
        const max = tf.max(up, [1, 2], true);
        const masks = tf.div(tf.sub(up, min), tf.add(tf.sub(max, min), 1e-8));
        const batch = tf.mul(input, tf.transpose(masks, [3, 1, 2, 0])) as tf.Tensor4D; // [size, H, W, C]
        return scoreTargets(batch); // [size, t]
      });
      const data = await chunkScores.data();
      chunkScores.dispose();
      for (let k = 0; k < size; k++) for (let t = 0; t < targets.length; t++) scores[t * c + start + k] = data[k * targets.length + t];
      onProgress?.(start + size, c);
      await yieldToEventLoop();
    }
    return { weights: tf.tidy(() => tf.softmax(tf.tensor2d(scores, [targets.length, c]), -1) as tf.Tensor2D) };
  },
};
