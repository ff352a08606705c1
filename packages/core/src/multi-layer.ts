import * as tf from '@tensorflow/tfjs-core';
import { type CamPostOptions, normalizeMaps } from './cam-maps.js';
import type { Explanation, TargetExplanation } from './types.js';

/**
 * One Explanation from the Explanations of the same image and targets at several layers, as
 * pytorch-grad-cam aggregates target layers: each target's post-processed map is resized to the
 * largest map (bilinear, half-pixel centres — OpenCV's INTER_LINEAR), the maps are averaged, and
 * the average is normalised again (`normalize`, relative to its own range; ReLU already applied
 * per layer). Scores and outputs are the first layer's (they do not depend on the layer).
 */
export function combineLayerExplanations(explanations: readonly Explanation[], options: Pick<CamPostOptions, 'normalize'>): Explanation {
  const [first] = explanations;
  if (explanations.length === 1) return first;
  const sizes = explanations.map((e) => e.targets[0].heatmap);
  const largest = sizes.reduce((best, h) => (h.width * h.height > best.width * best.height ? h : best));
  const { width, height } = largest;
  const targets: TargetExplanation[] = first.targets.map((target, t) => {
    const combined = tf.tidy(() => {
      const maps = explanations.map((e) => {
        const h = e.targets[t].heatmap;
        const map = tf.tensor4d(h.data, [1, h.height, h.width, 1]);
        return h.width === width && h.height === height ? map : tf.image.resizeBilinear(map, [height, width], false, true);
      });
      const mean = tf.reshape(tf.div(tf.addN(maps), maps.length), [1, height, width]) as tf.Tensor3D;
      return normalizeMaps(mean, { relu: false, normalize: options.normalize ?? 'max', scaling: 'relative' });
    });
    const data = combined.dataSync() as Float32Array;
    combined.dispose();
    return { ...target, heatmap: { width, height, data } };
  });
  const names = explanations.map((e) => e.layer);
  const warnings = [...new Set(explanations.flatMap((e) => e.warnings ?? []))];
  const { warnings: _dropped, ...rest } = first;
  return { ...rest, layer: names.join('+'), layers: names, targets, ...(warnings.length > 0 ? { warnings } : {}) };
}
