import * as tf from '@tensorflow/tfjs-core';
import type { CamMethod } from '../cam-method.js';
import { checkCount, meanInputGradients } from '../input-gradients.js';
import { type Baseline, baselineImage } from '../metrics/perturbation.js';

/** Options of integratedGradients. */
export interface IntegratedGradientsOptions {
  /** Riemann steps along the path (default 50, Captum's). */
  readonly steps?: number;
  /**
   * The starting point x′, in the preprocessed input's space: 'zero' (default; black for x/255
   * preprocessing, mid-grey for [−1, 1]), 'mean' (the image's channel means) or 'blur'.
   */
  readonly baseline?: Baseline;
}

/**
 * Integrated Gradients (Sundararajan et al., "Axiomatic Attribution for Deep Networks", arXiv
 * 1703.01365, eq. 3, right Riemann sum): IG = (x − x′) ⊙ (1/m) Σ_{k=1…m} ∂score/∂x at
 * x′ + (k/m)(x − x′); map = Σ_channels IG at the input's resolution — signed, so the default
 * ReLU keeps what raised the score (tf-explain sums |IG| instead). The layer does not matter.
 * m backward passes per target, `batchSize` per call.
 */
export function integratedGradients(options: IntegratedGradientsOptions = {}): CamMethod {
  const steps = options.steps ?? 50;
  checkCount('Integrated Gradients', 'steps', steps);
  const baselineKind = options.baseline ?? 'zero';
  return {
    id: 'integrated-gradients',
    displayName: 'Integrated Gradients',
    description: 'IG = (x − x′) ⊙ mean_k ∂score/∂x(x′ + k/m·(x − x′)); map = Σ_c IG (Sundararajan et al., arXiv 1703.01365)',
    usesGradients: true,
    usesModel: true,
    resolution: 'input',
    async compute(inputs) {
      const { input } = inputs;
      const baseline = baselineImage(input, baselineKind);
      const delta = tf.sub(input, baseline) as tf.Tensor4D;
      try {
        const mean = await meanInputGradients('Integrated Gradients', inputs, steps, (start, size) =>
          tf.tidy(() => {
            const alphas = tf.reshape(tf.div(tf.range(start + 1, start + size + 1), steps), [size, 1, 1, 1]);
            return tf.add(baseline, tf.mul(alphas, delta)) as tf.Tensor4D;
          }),
        );
        const maps = tf.tidy(() => tf.sum(tf.mul(mean, delta), 3) as tf.Tensor3D);
        mean.dispose();
        return { maps };
      } finally {
        tf.dispose([baseline, delta]);
      }
    },
  };
}
