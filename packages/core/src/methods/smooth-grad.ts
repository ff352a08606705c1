import * as tf from '@tensorflow/tfjs-core';
import type { CamMethod } from '../cam-method.js';
import { checkCount, meanInputGradients } from '../input-gradients.js';
import { gaussianNoise } from '../random.js';

/** Options of smoothGrad. */
export interface SmoothGradOptions {
  /** Noisy copies (default 25). */
  readonly samples?: number;
  /** Noise standard deviation as a fraction of the input's range max(x) − min(x) (default 0.15). */
  readonly noise?: number;
  /** Seed of the noise (mulberry32 + Box–Muller, see gaussianNoise; default 0): maps reproduce. */
  readonly seed?: number;
}

/**
 * SmoothGrad (Smilkov et al., "SmoothGrad: removing noise by adding noise", arXiv 1706.03825):
 * vanilla gradients (Simonyan et al.) averaged over `samples` copies x + N(0, σ²), σ = noise ·
 * (max x − min x); map = max over channels of |mean gradient| (tf-keras-vis' Saliency with
 * smooth_samples), at the input's resolution. The same noise for every target. The layer does
 * not matter.
 */
export function smoothGrad(options: SmoothGradOptions = {}): CamMethod {
  const samples = options.samples ?? 25;
  const noise = options.noise ?? 0.15;
  const seed = options.seed ?? 0;
  checkCount('SmoothGrad', 'samples', samples);
  checkCount('SmoothGrad', 'noise', noise, false);
  return {
    id: 'smoothgrad',
    displayName: 'SmoothGrad',
    description: 'map = max_c |mean_n ∂score/∂x(x + ε_n)|, ε_n ~ N(0, (0.15·range)²) (Smilkov et al., arXiv 1706.03825)',
    usesGradients: true,
    usesModel: true,
    resolution: 'input',
    async compute(inputs) {
      const { input } = inputs;
      const size = input.size;
      const range = tf.tidy(() => tf.sub(tf.max(input), tf.min(input)));
      const sigma = noise * (await range.data())[0];
      range.dispose();
      const z = gaussianNoise(samples * size, seed);
      const mean = await meanInputGradients('SmoothGrad', inputs, samples, (start, count) =>
        tf.tidy(() => {
          const eps = tf.tensor4d(z.subarray(start * size, (start + count) * size), [count, ...input.shape.slice(1)] as [number, number, number, number]);
          return tf.add(input, tf.mul(eps, sigma)) as tf.Tensor4D;
        }),
      );
      const maps = tf.tidy(() => tf.max(tf.abs(mean), 3) as tf.Tensor3D);
      mean.dispose();
      return { maps };
    },
  };
}
