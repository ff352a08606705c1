import type { Explanation, Heatmap, RgbaImage } from '@gradcam/core';
import { InvalidInputError, InvalidTargetError, listChoices } from '@gradcam/core/errors';
import { type Colormap, colorize, resolveColormap } from './colormaps';
import { alphaCompositeRows } from './composite';
import { heatmapToImage, validateHeatmap } from './heatmap';
import { checkAlphaLimit, OVERLAY_DEFAULTS } from './overlay-defaults';
import { assertRaster, planResize, type ResamplingFilter, resolveResamplingFilter } from './resample';

/** Options of `formatSignedHeatmap`. */
export interface FormatSignedOptions {
  /** Cap on the overlay's opacity, in [0, 1]; `null` = no cap. Default 0.65. */
  readonly alphaLimit?: number | null;
  /** A diverging colormap: −1 → its low end, 0 → its middle, +1 → its high end. Default 'RdBu_r'. */
  readonly colormap?: Colormap;
  /** Filter used to scale the coloured map to the image. Default 'lanczos'. */
  readonly resamplingFilter?: ResamplingFilter | number;
  /** Values are divided by this before drawing; default max|value| (0 stays 0), so the map spans [−1, 1]. */
  readonly scale?: number;
}

/** Options of `formatSignedAsImage`. */
export interface FormatSignedAsImageOptions extends FormatSignedOptions {
  /** Class id of the target to draw; default the first target. */
  readonly target?: number;
}

/**
 * Overlays a signed map (a CAM with `relu: false`, a guided-backprop map) on an image: value v
 * (scaled to [−1, 1]) gets the diverging colormap's colour at (v + 1)/2 and opacity
 * min(|v|, alphaLimit), so evidence for the class and against it show in opposite colours and
 * zero is transparent. Then the same 8-bit conversion, Pillow resize and alpha composite as
 * `formatHeatmap`.
 * @throws InvalidInputError for NaN values, a non-positive scale, alphaLimit outside [0, 1] or a
 * bad image, colormap or filter.
 */
export function formatSignedHeatmap(heatmap: Heatmap, image: RgbaImage, options: FormatSignedOptions = {}): RgbaImage {
  assertRaster(image, 4, 'image');
  const alphaLimit = checkAlphaLimit(options.alphaLimit);
  const filter = resolveResamplingFilter(options.resamplingFilter ?? OVERLAY_DEFAULTS.resamplingFilter);
  const colormap = options.colormap ?? OVERLAY_DEFAULTS.signedColormap;
  resolveColormap(colormap);
  const values = heatmap.data;
  let maxAbs = 0;
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) throw new InvalidInputError(`signed heatmap has NaN at index ${i}.`);
    maxAbs = Math.max(maxAbs, Math.abs(values[i]));
  }
  const scale = options.scale ?? (maxAbs > 0 ? maxAbs : 1);
  if (!(scale > 0)) throw new InvalidInputError(`scale must be a positive number; got ${String(options.scale)}.`);
  const scaled = Float32Array.from(values, (v) => Math.max(-1, Math.min(1, v / scale)));
  const shifted: Heatmap = { width: heatmap.width, height: heatmap.height, data: scaled.map((v) => (v + 1) / 2) };
  validateHeatmap(shifted, 'the rescaled signed heatmap');
  const colored = colorize(shifted, colormap);
  const rgba = colored.data;
  for (let i = 0; i < scaled.length; i++) {
    const a = Math.abs(scaled[i]);
    rgba[i * 4 + 3] = alphaLimit === null || a <= alphaLimit ? a : alphaLimit;
  }
  validateHeatmap(colored, 'the colourised heatmap (colormap output)');
  const overlay = planResize(heatmapToImage(colored), { width: image.width, height: image.height }, filter);
  return alphaCompositeRows(image, overlay.rows, overlay.premultiplied);
}

/**
 * `formatAsImage` for signed maps (explanations made with `relu: false`): the explanation's
 * image with one target's map drawn by `formatSignedHeatmap`.
 * @throws InvalidInputError without `expl.image`; InvalidTargetError for a target not explained.
 */
export function formatSignedAsImage(expl: Explanation, options: FormatSignedAsImageOptions = {}): RgbaImage {
  if (!expl?.image) throw new InvalidInputError('The explanation has no image to overlay (expl.image is missing); call formatSignedHeatmap(heatmap, image).');
  const chosen = options.target === undefined ? expl.targets[0] : expl.targets.find((t) => t.target === options.target);
  if (chosen === undefined) {
    throw new InvalidTargetError(`Target ${options.target} is not in the explanation. Explained targets: ${listChoices(expl.targets.map((t) => t.target))}.`);
  }
  return formatSignedHeatmap(chosen.heatmap, expl.image, options);
}
