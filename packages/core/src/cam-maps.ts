import * as tf from '@tensorflow/tfjs-core';
import type { CamInputs, CamMethod, CamResult } from './cam-method.js';
import { InvalidInputError } from './errors.js';
import { KERAS_EPSILON } from './grad-cam.js';
import { projectMaps } from './principal-projection.js';

/**
 * How raw maps become heatmaps: 'max' divides by the map's own max|map| ([0, 1] after ReLU,
 * [-1, 1] without it); 'minmax' maps [min, max] to [0, 1] (pytorch-grad-cam's `scale_cam_image`);
 * a zero or constant map stays zero; false keeps the raw map. A method with `scaling: 'keras'`
 * (ELI5's Grad-CAM) divides by (max + 1e-7) instead, bit for bit as ELI5 does.
 */
export type CamNormalization = 'max' | 'minmax' | false;

/** The normalisations `normalize` accepts. */
export const CAM_NORMALIZATIONS: readonly CamNormalization[] = Object.freeze(['max', 'minmax', false] as CamNormalization[]);

/** Post-processing of raw maps. */
export interface CamPostOptions {
  /** Keep only positive evidence (default true; false keeps the sign). */
  readonly relu?: boolean;
  /** Default 'max'. */
  readonly normalize?: CamNormalization;
  /**
   * 'relative' (default): divide by the map's own max|map| (or range), zero maps stay zero, so
   * every map peaks at 1 whatever the size of its raw values; 'keras': ELI5's / (max + 1e-7).
   */
  readonly scaling?: 'relative' | 'keras';
}

/** Checks a `normalize` option, throwing InvalidInputError with the valid values. */
export function checkNormalization(value: unknown): CamNormalization {
  if (value === undefined) return 'max';
  if (value === 'max' || value === 'minmax' || value === false) return value;
  throw new InvalidInputError(`normalize must be 'max', 'minmax' or false; got ${JSON.stringify(value)}.`);
}

/** ReLU (unless `relu: false`) and the normalisation, per map of `raw` [t, h, w]. Returns a new tensor. */
export function normalizeMaps(raw: tf.Tensor3D, options: CamPostOptions = {}): tf.Tensor3D {
  const normalize = checkNormalization(options.normalize);
  const keras = options.scaling === 'keras';
  // divNoNan: x / 0 = 0, so an all-zero (or constant, for minmax) map stays zero.
  const divide = (x: tf.Tensor, by: tf.Tensor) => (keras ? tf.div(x, tf.add(by, KERAS_EPSILON)) : tf.divNoNan(x, by));
  return tf.tidy(() => {
    const rectified = options.relu === false ? raw : tf.relu(raw);
    if (normalize === false) return rectified.clone();
    if (normalize === 'max') return divide(rectified, tf.max(tf.abs(rectified), [1, 2], true)) as tf.Tensor3D;
    const min = tf.min(rectified, [1, 2], true);
    return divide(tf.sub(rectified, min), tf.sub(tf.max(rectified, [1, 2], true), min)) as tf.Tensor3D;
  });
}

/** Raw maps [t, h, w] from a method's result: weights and contributions summed over channels, or projected (eigenSmooth). */
export async function rawMaps(result: CamResult, activations: tf.Tensor4D, eigenSmooth = false): Promise<tf.Tensor3D> {
  const [, h, w, c] = activations.shape;
  if (result.maps !== undefined) return result.maps.clone();
  if (result.weights !== undefined) {
    const t = result.weights.shape[0];
    if (!eigenSmooth) {
      return tf.tidy(() => tf.reshape(tf.matMul(result.weights, tf.reshape(activations, [h * w, c]) as tf.Tensor2D, false, true), [t, h, w]) as tf.Tensor3D);
    }
    const weighted = tf.tidy(() => tf.mul(tf.reshape(result.weights, [t, 1, 1, c]), activations) as tf.Tensor4D);
    try {
      return await projectMaps(weighted);
    } finally {
      weighted.dispose();
    }
  }
  return eigenSmooth ? projectMaps(result.contributions) : (tf.sum(result.contributions, 3) as tf.Tensor3D);
}

/** Options of camMaps. */
export interface CamMapsOptions extends CamPostOptions {
  /** Project the weighted activations on their first principal component instead of summing them. */
  readonly eigenSmooth?: boolean;
}

/**
 * Runs a CAM method and post-processes its maps: raw maps, then ReLU and normalisation.
 * Returns [targets, h, w]; disposes everything else it made.
 */
export async function camMaps(method: CamMethod, inputs: CamInputs, options: CamMapsOptions = {}): Promise<tf.Tensor3D> {
  const result = await method.compute(inputs);
  let raw: tf.Tensor3D | undefined;
  try {
    raw = await rawMaps(result, inputs.activations, options.eigenSmooth === true);
    return normalizeMaps(raw, { ...options, scaling: method.scaling ?? 'relative' });
  } finally {
    raw?.dispose();
    for (const t of [result.weights, result.contributions, result.maps]) t?.dispose();
  }
}
