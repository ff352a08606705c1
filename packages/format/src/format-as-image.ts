import type { Explanation, Heatmap, RgbaImage } from '@gradcam/core';
import { InvalidInputError, InvalidTargetError, listChoices } from '@gradcam/core/errors';
import { type Colormap, colorize, resolveColormap } from './colormaps';
import { alphaCompositeRows } from './composite';
import { heatmapToImage, validateHeatmap } from './heatmap';
import { checkAlphaLimit, OVERLAY_DEFAULTS } from './overlay-defaults';
import { assertRaster, planResize, type ResamplingFilter, resolveResamplingFilter } from './resample';

/** Options of `formatHeatmap`; defaults are ELI5's `format_as_image` defaults. */
export interface FormatHeatmapOptions {
  /** Cap on the overlay's opacity, in [0, 1]; `null` = no cap (alpha = heatmap). Default 0.65. */
  readonly alphaLimit?: number | null;
  /** Built-in colormap name, table or function. Default 'viridis'. */
  readonly colormap?: Colormap;
  /** Filter used to scale the coloured heatmap to the image. Default 'lanczos'. */
  readonly resamplingFilter?: ResamplingFilter | number;
}

/** Options of `formatAsImage`. */
export interface FormatAsImageOptions extends FormatHeatmapOptions {
  /** Class id of the target to draw (one of `expl.targets[i].target`); default the first target. */
  readonly target?: number;
}

/**
 * Overlays a [0, 1] heatmap on an image the way ELI5's `format_as_image` does: colourise the
 * small heatmap, set alpha = min(heatmap, alphaLimit), convert to 8 bits by truncating x·255,
 * resize to the image with Pillow's filter, then `Image.alpha_composite(image, heatmap)`.
 * @throws InvalidInputError for heatmap values outside [0, 1] or NaN, alphaLimit outside
 * [0, 1], an unknown colormap or filter, or a malformed image.
 */
export function formatHeatmap(heatmap: Heatmap, image: RgbaImage, options: FormatHeatmapOptions = {}): RgbaImage {
  assertRaster(image, 4, 'image');
  const alphaLimit = checkAlphaLimit(options.alphaLimit);
  const filter = resolveResamplingFilter(options.resamplingFilter ?? OVERLAY_DEFAULTS.resamplingFilter);
  const colormap = options.colormap ?? OVERLAY_DEFAULTS.colormap;
  resolveColormap(colormap);
  validateHeatmap(heatmap);

  const colored = colorize(heatmap, colormap);
  const rgba = colored.data;
  const values = heatmap.data;
  // NumPy's minimum of a float32 heatmap and a Python float is float32: cap in float32 too.
  const cap = alphaLimit === null ? null : values instanceof Float32Array ? Math.fround(alphaLimit) : alphaLimit;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    rgba[i * 4 + 3] = cap === null || v <= cap ? v : cap;
  }
  // Only a colormap function can produce colours outside [0, 1]; ELI5 rejects those here too.
  validateHeatmap(colored, 'the colourised heatmap (colormap output)');
  const small = heatmapToImage(colored);
  // resize + alpha_composite, with the resized overlay composited strip by strip as it is
  // computed and its RGBa → RGBA conversion done inside the composite loop.
  const overlay = planResize(small, { width: image.width, height: image.height }, filter);
  return alphaCompositeRows(image, overlay.rows, overlay.premultiplied);
}

/**
 * ELI5's `format_as_image`: the explanation's image with one target's heatmap overlaid.
 * Returns a copy of the image when there are no targets, as ELI5 does.
 * @throws InvalidInputError when `expl.image` is missing or an option/heatmap is invalid;
 * InvalidTargetError when `options.target` is not one of the explained targets.
 */
export function formatAsImage(expl: Explanation, options: FormatAsImageOptions = {}): RgbaImage {
  if (!expl || typeof expl !== 'object') {
    throw new InvalidInputError(`formatAsImage needs an Explanation object, got ${String(expl)}.`);
  }
  const { image, targets } = expl;
  if (!image) {
    throw new InvalidInputError(
      'The explanation has no image to overlay (expl.image is missing); pass the input image to ' +
        'explainPrediction, or call formatHeatmap(heatmap, image) directly.',
    );
  }
  assertRaster(image, 4, 'expl.image');
  if (!targets || targets.length === 0) {
    if (options.target !== undefined) {
      throw new InvalidTargetError(`Target ${options.target} is not in the explanation: it has no targets.`);
    }
    return { width: image.width, height: image.height, data: image.data.slice() };
  }
  let chosen = targets[0];
  if (options.target !== undefined) {
    const found = targets.find((t) => t.target === options.target);
    if (!found) {
      throw new InvalidTargetError(`Target ${options.target} is not in the explanation. Explained targets: ${listChoices(targets.map((t) => t.target))}.`);
    }
    chosen = found;
  }
  return formatHeatmap(chosen.heatmap, image, options);
}
