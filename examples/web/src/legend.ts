import type { RgbaImage } from '@gradcam/core';
import { type Colormap, colorize, formatHeatmap, heatmapToImage, resize } from '@gradcam/format';

const CHECKER = 6;
const CHECKER_SHADES = [236, 196] as const;

/** A gray checkerboard, the usual picture of "transparent" behind a colour. */
function checkerboard(width: number, height: number): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const shade = CHECKER_SHADES[(Math.floor(x / CHECKER) + Math.floor(y / CHECKER)) % 2];
      data.set([shade, shade, shade, 255], (y * width + x) * 4);
    }
  }
  return { width, height, data };
}

/**
 * The colour legend of an overlay: heatmap values 0 … 1 from left to right. The upper half is
 * the colormap itself; the lower half is what the overlay puts over the image for each value —
 * formatAsImage's own blend (opacity = value, capped at `alphaLimit`) over a checkerboard.
 */
export function legendImage(colormap: Colormap, alphaLimit: number, width: number, height: number): RgbaImage {
  const ramp = { width, height: 1, data: Float32Array.from({ length: width }, (_, i) => i / (width - 1)) };
  const top = Math.floor(height / 2);
  const colours = resize(heatmapToImage(colorize(ramp, colormap)), { width, height: top }, 'nearest');
  const blended = formatHeatmap(ramp, checkerboard(width, height - top), { colormap, alphaLimit, resamplingFilter: 'nearest' });
  const data = new Uint8ClampedArray(width * height * 4);
  data.set(colours.data, 0);
  data.set(blended.data, colours.data.length);
  return { width, height, data };
}
