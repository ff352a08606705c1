/** An 8-bit single-channel raster (Pillow mode 'L'), row-major, one byte per pixel. */
export interface GrayImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/**
 * A colourised heatmap before 8-bit conversion: RGBA floats in [0, 1], row-major, 4 values per
 * pixel (ELI5's rank-3 float array). float64, because ELI5 truncates `x * 255` of matplotlib's
 * float64 table values and float32 storage would move some of them across an integer.
 */
export interface ColoredHeatmap {
  readonly width: number;
  readonly height: number;
  readonly channels: 4;
  readonly data: Float64Array;
}

/** Output size of a resize, in pixels. */
export interface Size {
  readonly width: number;
  readonly height: number;
}

/** An RGBA colour as floats in [0, 1]. */
export type Rgba = readonly [number, number, number, number];
