import { type Heatmap, heatmapToImage, type RgbaImage } from 'gradcam';

/**
 * The raw Grad-CAM map as a gray RGBA image, each cell a `scale`×`scale` block (nearest
 * neighbour), so a 7×7 map stays readable as 7×7 cells. Gray levels are ELI5's
 * `heatmap_to_image` values: uint8(x · 255), truncated.
 */
export function rawHeatmapImage(heatmap: Heatmap, scale: number): RgbaImage {
  if (!Number.isInteger(scale) || scale < 1) throw new RangeError(`scale must be a positive integer, got ${scale}.`);
  const gray = heatmapToImage(heatmap);
  const width = gray.width * scale;
  const height = gray.height * scale;
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / scale) * gray.width;
    for (let x = 0; x < width; x++) {
      const v = gray.data[row + Math.floor(x / scale)];
      const o = (y * width + x) * 4;
      data[o] = v;
      data[o + 1] = v;
      data[o + 2] = v;
      data[o + 3] = 255;
    }
  }
  return { width, height, data };
}

/** The integer scale that makes a `size`-cell side about `target` pixels (at least 1). */
export function cellScale(size: number, target: number): number {
  return Math.max(1, Math.floor(target / size));
}
