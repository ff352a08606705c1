import * as tf from '@tensorflow/tfjs-core';
import type { CamMethod } from '../cam-method.js';
import { InvalidInputError } from '../errors.js';
import { checkCount } from '../input-gradients.js';
import { type Baseline, baselineImage } from '../metrics/perturbation.js';
import { yieldToEventLoop } from '../yield.js';

/** Options of occlusionSensitivity. */
export interface OcclusionOptions {
  /** Side of the square patch in input pixels (default: an eighth of the shorter side, rounded). */
  readonly window?: number;
  /** Step between patches (default: half the window, rounded up). */
  readonly stride?: number;
  /** What the patch shows: 'mean' (default; the image's channel means), 'zero' or 'blur' (in the preprocessed space). */
  readonly baseline?: Baseline;
}

/** Patch positions along a side of `size`: every `stride`, plus one flush with the far edge, so every pixel is covered. */
function positions(size: number, window: number, stride: number): number[] {
  if (window >= size) return [0];
  const out: number[] = [];
  for (let p = 0; p + window < size; p += stride) out.push(p);
  out.push(size - window);
  return out;
}

/**
 * Occlusion sensitivity (Zeiler & Fergus, "Visualizing and Understanding Convolutional
 * Networks", arXiv 1311.2901), as Captum's Occlusion: a `window`² patch, moved by `stride`, is
 * replaced by the baseline; each pixel's value is the mean, over the patches covering it, of
 * score(x) − score(x occluded) — positive where hiding the region lowers the score. At the
 * input's resolution; one model call per patch position, `batchSize` per call. The layer does
 * not matter.
 */
export function occlusionSensitivity(options: OcclusionOptions = {}): CamMethod {
  if (options.window !== undefined) checkCount('Occlusion', 'window', options.window);
  if (options.stride !== undefined) checkCount('Occlusion', 'stride', options.stride);
  return {
    id: 'occlusion',
    displayName: 'Occlusion',
    description: 'map = mean over covering patches of score(x) − score(x with the patch replaced) (Zeiler & Fergus, arXiv 1311.2901)',
    usesGradients: false,
    usesModel: true,
    resolution: 'input',
    async compute({ input, targets, scoreTargets, batchSize, onProgress }) {
      if (scoreTargets === undefined) {
        throw new InvalidInputError("Occlusion runs the model on occluded images, but this model's adapter has no predict(); choose a gradient method.");
      }
      const [, height, width] = input.shape;
      const window = Math.min(options.window ?? Math.max(1, Math.round(Math.min(height, width) / 8)), Math.max(height, width));
      const stride = options.stride ?? Math.max(1, Math.ceil(window / 2));
      const patches = positions(height, window, stride).flatMap((y) => positions(width, window, stride).map((x) => [y, x] as const));
      const baseline = baselineImage(input, options.baseline ?? 'mean');
      const t = targets.length;
      const sums = new Float64Array(t * height * width);
      const counts = new Float64Array(height * width);
      try {
        const plain = scoreTargets(input);
        const original = await plain.data();
        plain.dispose();
        const chunk = Math.max(1, Math.floor(batchSize));
        for (let start = 0; start < patches.length; start += chunk) {
          const part = patches.slice(start, start + chunk);
          const scores = tf.tidy(() => {
            const masks = part.map(([y, x]) =>
              tf.pad(tf.ones([Math.min(window, height - y), Math.min(window, width - x), 1]), [
                [y, Math.max(0, height - y - window)],
                [x, Math.max(0, width - x - window)],
                [0, 0],
              ]),
            );
            const mask = tf.stack(masks); // [n, H, W, 1]: 1 = occluded
            return scoreTargets(tf.add(tf.mul(input, tf.sub(1, mask)), tf.mul(baseline, mask)) as tf.Tensor4D);
          });
          const data = await scores.data();
          scores.dispose();
          part.forEach(([y, x], k) => {
            for (let i = y; i < Math.min(y + window, height); i++) {
              for (let j = x; j < Math.min(x + window, width); j++) {
                counts[i * width + j] += 1;
                for (let q = 0; q < t; q++) sums[(q * height + i) * width + j] += original[q] - data[k * t + q];
              }
            }
          });
          onProgress?.(start + part.length, patches.length);
          await yieldToEventLoop();
        }
      } finally {
        baseline.dispose();
      }
      const maps = Float32Array.from(sums, (v, i) => v / counts[i % (height * width)]);
      return { maps: tf.tensor3d(maps, [t, height, width]) };
    },
  };
}
