import type { Heatmap, RgbaImage } from '@gradcam/core';
import { InvalidInputError } from '@gradcam/core/errors';
import { assertHeatmapShape } from './colormaps';
import { OVERLAY_DEFAULTS } from './overlay-defaults';
import { assertRaster, type ResamplingFilter, resize, resizeGray } from './resample';
import type { ColoredHeatmap, GrayImage } from './types';

/**
 * Checks that every heatmap value lies in [0, 1] (ELI5's `_validate_heatmap`); NaN fails too.
 * @throws InvalidInputError naming the offending minimum/maximum.
 */
export function validateHeatmap(heatmap: Heatmap | ColoredHeatmap, what = 'heatmap'): void {
  if (isColored(heatmap)) assertColoredShape(heatmap, what);
  else assertHeatmapShape(heatmap, what);
  const { data } = heatmap;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (Number.isNaN(v)) {
      throw new InvalidInputError(`${what} must contain values between 0 and 1 inclusive; found NaN at index ${i}.`);
    }
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (!(min >= 0 && max <= 1)) {
    throw new InvalidInputError(`${what} must contain values between 0 and 1 inclusive; got minimum ${min} and maximum ${max}.`);
  }
}

function isColored(h: Heatmap | ColoredHeatmap): h is ColoredHeatmap {
  return typeof h === 'object' && h !== null && 'channels' in h;
}

function assertColoredShape(h: ColoredHeatmap, what: string): void {
  const { width, height, channels, data } = h;
  if (channels !== 4) {
    throw new InvalidInputError(`${what} must have 4 channels (RGBA floats), got ${channels}.`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidInputError(`${what} must have positive integer width and height, got ${width}×${height}.`);
  }
  if (!ArrayBuffer.isView(data) || (data as unknown as ArrayLike<number>).length !== width * height * 4) {
    throw new InvalidInputError(`${what}.data must hold width×height×4 = ${width * height * 4} floats.`);
  }
}

/**
 * A [0, 1] float heatmap as an 8-bit image, ELI5's `heatmap_to_image`: `uint8(x * 255)`, which
 * truncates. A plain heatmap gives a gray ('L') image — the product is taken in float32 when the
 * data is a Float32Array, as NumPy does; a coloured one gives RGBA (float64 product).
 * @throws InvalidInputError if a value is outside [0, 1] or NaN.
 */
export function heatmapToImage(heatmap: Heatmap): GrayImage;
export function heatmapToImage(heatmap: ColoredHeatmap): RgbaImage;
export function heatmapToImage(heatmap: Heatmap | ColoredHeatmap): GrayImage | RgbaImage;
export function heatmapToImage(heatmap: Heatmap | ColoredHeatmap): GrayImage | RgbaImage {
  validateHeatmap(heatmap);
  const { width, height, data } = heatmap;
  const out = new Uint8ClampedArray(data.length);
  if (data instanceof Float32Array) {
    for (let i = 0; i < data.length; i++) out[i] = Math.trunc(Math.fround(data[i] * 255));
  } else {
    for (let i = 0; i < data.length; i++) out[i] = Math.trunc(data[i] * 255);
  }
  return { width, height, data: out };
}

/** Options of `expandHeatmap`. */
export interface ExpandHeatmapOptions {
  /** Filter used to scale the heatmap up; default 'lanczos' (ELI5's default). */
  readonly resamplingFilter?: ResamplingFilter | number;
}

/**
 * ELI5's `expand_heatmap`: converts the heatmap to an 8-bit image and resizes it to the size of
 * `image` with Pillow's algorithm. Gray in → gray out; coloured (RGBA) in → RGBA out.
 * @throws InvalidInputError for invalid values, a malformed image or an unknown filter.
 */
export function expandHeatmap(heatmap: Heatmap, image: RgbaImage, options?: ExpandHeatmapOptions): GrayImage;
export function expandHeatmap(heatmap: ColoredHeatmap, image: RgbaImage, options?: ExpandHeatmapOptions): RgbaImage;
export function expandHeatmap(heatmap: Heatmap | ColoredHeatmap, image: RgbaImage, options?: ExpandHeatmapOptions): GrayImage | RgbaImage;
export function expandHeatmap(heatmap: Heatmap | ColoredHeatmap, image: RgbaImage, options: ExpandHeatmapOptions = {}): GrayImage | RgbaImage {
  assertRaster(image, 4, 'image');
  const filter = options.resamplingFilter ?? OVERLAY_DEFAULTS.resamplingFilter;
  const size = { width: image.width, height: image.height };
  if (isColored(heatmap)) return resize(heatmapToImage(heatmap), size, filter);
  return resizeGray(heatmapToImage(heatmap), size, filter);
}
