import * as tf from '@tensorflow/tfjs-core';
import { InvalidInputError } from './errors.js';
import type { Heatmap } from './types.js';

/** A signed map with channels at the image's resolution (a guided-backprop gradient), row-major HWC. */
export interface ChannelMap {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Float32Array;
}

/**
 * Guided Grad-CAM (Selvaraju et al., arXiv 1610.02391, section 3): the guided-backprop gradient
 * times the CAM upsampled bilinearly to the image (pytorch-grad-cam's `cam_mask * gb`).
 */
export function guidedGradCam(gradient: ChannelMap, heatmap: Heatmap): ChannelMap {
  const { width, height, channels, data } = gradient;
  if (data.length !== width * height * channels) throw new InvalidInputError('gradient.data must hold width × height × channels values.');
  const product = tf.tidy(() => {
    const up = tf.image.resizeBilinear(tf.tensor4d(heatmap.data, [1, heatmap.height, heatmap.width, 1]), [height, width]);
    return tf.mul(tf.tensor4d(data, [1, height, width, channels]), up).dataSync() as Float32Array;
  });
  return { width, height, channels, data: product };
}

/** A channel map summed over channels and divided by max|·| (+1e-7): a signed heatmap in [−1, 1], for formatSignedHeatmap. */
export function channelSum(map: ChannelMap): Heatmap {
  const { width, height, channels, data } = map;
  const out = new Float32Array(width * height);
  let max = 0;
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += data[i * channels + c];
    out[i] = s;
    max = Math.max(max, Math.abs(s));
  }
  for (let i = 0; i < out.length; i++) out[i] /= max + 1e-7;
  return { width, height, data: out };
}
