import type { RgbaImage } from '@gradcam/core';
import { InvalidInputError, listChoices } from '@gradcam/core/errors';
import { premultiplyInto, unpremultiplyInto } from './alpha';
import type { GrayImage, Size } from './types';

/**
 * Resampling filters, named like Pillow's `Image.Resampling` members (lower case).
 * Pillow's integer ids (NEAREST 0, LANCZOS 1, BILINEAR 2, BICUBIC 3, BOX 4, HAMMING 5) are
 * accepted too, so values ported from Python code keep working.
 */
export type ResamplingFilter = 'nearest' | 'box' | 'bilinear' | 'hamming' | 'bicubic' | 'lanczos';

/** All resampling filter names. */
export const resamplingFilters: readonly ResamplingFilter[] = Object.freeze(['nearest', 'box', 'bilinear', 'hamming', 'bicubic', 'lanczos']);

const PILLOW_IDS: Readonly<Record<number, ResamplingFilter>> = {
  0: 'nearest',
  1: 'lanczos',
  2: 'bilinear',
  3: 'bicubic',
  4: 'box',
  5: 'hamming',
};

/** A source region (x0, y0, x1, y1) in input pixels, as Pillow's `resize(box=…)`. */
export type ResizeBox = readonly [number, number, number, number];

/** Options of `resize` / `resizeGray`. */
export interface ResizeOptions {
  /** Source region to scale; default the whole image. Stored as float32, as Pillow does. */
  readonly box?: ResizeBox;
}

/**
 * Resolves a filter name (case-insensitive) or Pillow id.
 * @throws InvalidInputError listing the valid filters.
 */
export function resolveResamplingFilter(filter: ResamplingFilter | string | number): ResamplingFilter {
  if (typeof filter === 'number' && filter in PILLOW_IDS) return PILLOW_IDS[filter];
  if (typeof filter === 'string') {
    const f = filter.toLowerCase();
    if ((resamplingFilters as readonly string[]).includes(f)) return f as ResamplingFilter;
    // Pillow < 10 spelled LANCZOS as ANTIALIAS; keep ported code working.
    if (f === 'antialias') return 'lanczos';
  }
  throw new InvalidInputError(`Unknown resampling filter ${JSON.stringify(filter)}. Expected one of ${listChoices(resamplingFilters)} (or a Pillow id 0–5).`);
}

interface Kernel {
  readonly support: number;
  readonly fn: (x: number) => number;
}

// Single-precision constants, because Pillow's C source writes them as `0.54f` and `0.46f`.
const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

const KERNELS: Readonly<Record<Exclude<ResamplingFilter, 'nearest'>, Kernel>> = {
  box: { support: 0.5, fn: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  bilinear: {
    support: 1,
    fn: (x) => {
      const a = Math.abs(x);
      return a < 1 ? 1 - a : 0;
    },
  },
  hamming: {
    support: 1,
    fn: (x) => {
      const a = Math.abs(x);
      if (a === 0) return 1;
      if (a >= 1) return 0;
      const px = a * Math.PI;
      return (Math.sin(px) / px) * (HAMMING_A + HAMMING_B * Math.cos(px));
    },
  },
  bicubic: {
    support: 2,
    fn: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  lanczos: { support: 3, fn: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
};

// Pillow's fixed-point scale for 8-bit data: 32 bits minus 8 for the value and 2 for the
// overshoot of negative-lobe filters.
const PRECISION_BITS = 22;
const HALF = 1 << (PRECISION_BITS - 1);

interface Coefficients {
  /** Max taps per output pixel. */
  readonly ksize: number;
  /** Per output pixel: first input index, tap count. */
  readonly bounds: Int32Array;
  /** Fixed-point taps, ksize per output pixel. */
  readonly kk: Int32Array;
}

/** Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc`, for one axis. */
function precompute(inSize: number, in0: number, in1: number, outSize: number, kernel: Kernel): Coefficients {
  // The box is a C float array and in1 - in0 is float arithmetic before the division.
  const scale = Math.fround(in1 - in0) / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = kernel.support * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const kk = new Int32Array(outSize * ksize);
  const w = new Float64Array(ksize);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = in0 + (xx + 0.5) * scale;
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const v = kernel.fn((x + xmin - center + 0.5) * ss);
      w[x] = v;
      ww += v;
    }
    for (let x = 0; x < xmax; x++) {
      const k = ww !== 0 ? w[x] / ww : w[x];
      kk[xx * ksize + x] = k < 0 ? Math.trunc(-0.5 + k * (1 << PRECISION_BITS)) : Math.trunc(0.5 + k * (1 << PRECISION_BITS));
    }
    bounds[xx * 2] = xmin;
    bounds[xx * 2 + 1] = xmax;
  }
  return { ksize, bounds, kk };
}

/** Interleaved 8-bit raster with `channels` bytes per pixel. */
interface Raster {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Uint8ClampedArray;
}

/**
 * The rows of a resampled raster, computed on demand. Upscaling a 7×7 heatmap to a photo makes
 * the output the only large buffer, so a consumer that reads it strip by strip (formatHeatmap's
 * composite) works on cached data and never holds the whole intermediate image.
 */
export interface RowSource {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** Writes rows [y0, y1) into `out`, row y0 at offset 0. */
  readRows(y0: number, y1: number, out: Uint8ClampedArray): void;
}

/** A computed raster as a RowSource. */
function rasterRows(r: Raster): RowSource {
  const rowBytes = r.width * r.channels;
  return { ...dims(r), readRows: (y0, y1, out) => out.set(r.data.subarray(y0 * rowBytes, y1 * rowBytes)) };
}

/** Reads every row of `rows` into a new raster. */
function readAll(rows: RowSource): Raster {
  const data = new Uint8ClampedArray(rows.width * rows.height * rows.channels);
  rows.readRows(0, rows.height, data);
  return { ...dims(rows), data };
}

function dims(r: Raster | RowSource): { width: number; height: number; channels: number } {
  return { width: r.width, height: r.height, channels: r.channels };
}

// Stores into a Uint8ClampedArray clamp to [0, 255], which is Pillow's clip8 for the integer
// `sum >> PRECISION_BITS` the passes below store.
// The hot loops copy module constants to locals first: bundlers emit top-level consts as `var`s,
// which V8 cannot treat as constants and re-reads inside the loop (measurably slower).

function horizontalPass(src: Raster, rowOffset: number, rows: number, outWidth: number, c: Coefficients): Raster {
  const { channels: ch, width: inW, data: inp } = src;
  const out = new Uint8ClampedArray(outWidth * rows * ch);
  const { ksize, bounds, kk } = c;
  const half = HALF;
  const bits = PRECISION_BITS;
  for (let yy = 0; yy < rows; yy++) {
    const rowBase = (yy + rowOffset) * inW * ch;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2];
      const xmax = bounds[xx * 2 + 1];
      const kBase = xx * ksize;
      const o = (yy * outWidth + xx) * ch;
      if (ch === 4) {
        // Four accumulators in one sweep: the hot path for RGBA, about twice as fast.
        let s0 = half;
        let s1 = half;
        let s2 = half;
        let s3 = half;
        for (let x = 0, p = rowBase + xmin * 4; x < xmax; x++, p += 4) {
          const k = kk[kBase + x];
          s0 += inp[p] * k;
          s1 += inp[p + 1] * k;
          s2 += inp[p + 2] * k;
          s3 += inp[p + 3] * k;
        }
        out[o] = s0 >> bits;
        out[o + 1] = s1 >> bits;
        out[o + 2] = s2 >> bits;
        out[o + 3] = s3 >> bits;
      } else {
        for (let b = 0; b < ch; b++) {
          let ss = half;
          for (let x = 0, p = rowBase + xmin * ch + b; x < xmax; x++, p += ch) ss += inp[p] * kk[kBase + x];
          out[o + b] = ss >> bits;
        }
      }
    }
  }
  return { width: outWidth, height: rows, channels: ch, data: out };
}

/**
 * Taps the fast vertical kernels take. Upscaling needs at most 6 (lanczos' support is 3 input
 * rows each side), bicubic 4, bilinear 2; shorter windows are padded with zero taps, which add
 * nothing to the integer sums. Longer windows (downscaling) take `accumulateRow`.
 */
const TAPS = 6;
/**
 * Output rows `fourRowsSixTaps` computes per sweep. When upscaling, hundreds of consecutive output
 * rows read the same input rows: loading each input byte once for four outputs is ~1.6× faster.
 * Readers of a RowSource get the most out of it with strips of whole groups.
 */
export const ROW_GROUP = 4;

/**
 * Pillow's vertical pass (`ImagingResampleVertical_8bpc`) for output rows [y0, y1) into `out`.
 * `src` holds input rows from `rowShift` on (the horizontal pass only filters the rows needed).
 * Rows are filled row-major: the same sums as Pillow's per-pixel loop, in an order that streams.
 */
function verticalPass(src: Raster, c: Coefficients, rowShift: number, y0: number, y1: number, out: Uint8ClampedArray): void {
  const { bounds, ksize, kk } = c;
  const stride = src.width * src.channels;
  const inp = src.data;
  const rows = new Int32Array(TAPS);
  const taps = new Int32Array(TAPS * ROW_GROUP);
  let acc: Int32Array | undefined;
  for (let yy = y0; yy < y1; ) {
    const ymin = bounds[yy * 2] - rowShift;
    const n = bounds[yy * 2 + 1];
    const o = (yy - y0) * stride;
    if (n > TAPS) {
      acc ??= new Int32Array(stride);
      accumulateRow(inp, ymin * stride, stride, kk.subarray(yy * ksize, yy * ksize + n), acc, out, o);
      yy++;
      continue;
    }
    const group = sameWindowRows(bounds, yy, y1) >= ROW_GROUP ? ROW_GROUP : 1;
    // Unused taps read the first row with weight 0.
    for (let t = 0; t < TAPS; t++) rows[t] = (t < n ? ymin + t : ymin) * stride;
    for (let g = 0; g < group; g++) {
      for (let t = 0; t < TAPS; t++) taps[g * TAPS + t] = t < n ? kk[(yy + g) * ksize + t] : 0;
    }
    if (group === ROW_GROUP) fourRowsSixTaps(inp, rows, taps, stride, out, o);
    else rowSixTaps(inp, rows, taps, stride, out, o);
    yy += group;
  }
}

/** How many output rows from `yy` (up to ROW_GROUP, before `y1`) read the same input window. */
function sameWindowRows(bounds: Int32Array, yy: number, y1: number): number {
  let g = 1;
  while (g < ROW_GROUP && yy + g < y1 && bounds[(yy + g) * 2] === bounds[yy * 2] && bounds[(yy + g) * 2 + 1] === bounds[yy * 2 + 1]) g++;
  return g;
}

/** One output row: out[o + i] = Σ taps[t]·inp[rows[t] + i], for the TAPS = 6 taps. */
function rowSixTaps(inp: Uint8ClampedArray, rows: Int32Array, taps: Int32Array, len: number, out: Uint8ClampedArray, o: number): void {
  const half = HALF;
  const bits = PRECISION_BITS;
  const [r0, r1, r2, r3, r4, r5] = rows;
  const [k0, k1, k2, k3, k4, k5] = taps;
  for (let i = 0; i < len; i++) {
    out[o + i] = (half + inp[r0 + i] * k0 + inp[r1 + i] * k1 + inp[r2 + i] * k2 + inp[r3 + i] * k3 + inp[r4 + i] * k4 + inp[r5 + i] * k5) >> bits;
  }
}

/** ROW_GROUP = 4 consecutive output rows over the same six input rows; taps[g·6 + t] is row g's tap t. */
function fourRowsSixTaps(inp: Uint8ClampedArray, rows: Int32Array, taps: Int32Array, len: number, out: Uint8ClampedArray, o: number): void {
  const half = HALF;
  const bits = PRECISION_BITS;
  const [r0, r1, r2, r3, r4, r5] = rows;
  const [a0, a1, a2, a3, a4, a5, b0, b1, b2, b3, b4, b5, c0, c1, c2, c3, c4, c5, d0, d1, d2, d3, d4, d5] = taps;
  for (let i = 0, oa = o, ob = o + len, oc = o + 2 * len, od = o + 3 * len; i < len; i++) {
    const v0 = inp[r0 + i];
    const v1 = inp[r1 + i];
    const v2 = inp[r2 + i];
    const v3 = inp[r3 + i];
    const v4 = inp[r4 + i];
    const v5 = inp[r5 + i];
    out[oa + i] = (half + v0 * a0 + v1 * a1 + v2 * a2 + v3 * a3 + v4 * a4 + v5 * a5) >> bits;
    out[ob + i] = (half + v0 * b0 + v1 * b1 + v2 * b2 + v3 * b3 + v4 * b4 + v5 * b5) >> bits;
    out[oc + i] = (half + v0 * c0 + v1 * c1 + v2 * c2 + v3 * c3 + v4 * c4 + v5 * c5) >> bits;
    out[od + i] = (half + v0 * d0 + v1 * d1 + v2 * d2 + v3 * d3 + v4 * d4 + v5 * d5) >> bits;
  }
}

/** One output row with any number of taps: whole input rows accumulated tap by tap in `acc`. */
function accumulateRow(inp: Uint8ClampedArray, first: number, len: number, taps: Int32Array, acc: Int32Array, out: Uint8ClampedArray, o: number): void {
  const half = HALF;
  const bits = PRECISION_BITS;
  acc.fill(half);
  for (let t = 0; t < taps.length; t++) {
    const k = taps[t];
    const rowBase = first + t * len;
    for (let i = 0; i < len; i++) acc[i] += inp[rowBase + i] * k;
  }
  for (let i = 0; i < len; i++) out[o + i] = acc[i] >> bits;
}

/** Pillow's `ImagingResampleInner` on 8-bit data: horizontal pass first, passes skipped when not needed. */
function convolve(src: Raster, outW: number, outH: number, kernel: Kernel, box: ResizeBox): RowSource {
  const needH = outW !== src.width || box[0] !== 0 || box[2] !== outW;
  const needV = outH !== src.height || box[1] !== 0 || box[3] !== outH;
  const vert = precompute(src.height, box[1], box[3], outH, kernel);
  // Only the source rows the vertical pass reads are filtered horizontally.
  const yFirst = vert.bounds[0];
  const yLast = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
  let cur = src;
  let shift = 0;
  if (needH) {
    // A square source scaled to a square (a heatmap onto a square image) has the same taps on both axes.
    const sameAxes = src.width === src.height && outW === outH && box[0] === box[1] && box[2] === box[3];
    const horiz = sameAxes ? vert : precompute(src.width, box[0], box[2], outW, kernel);
    cur = horizontalPass(src, yFirst, yLast - yFirst, outW, horiz);
    shift = yFirst;
  }
  if (!needV) return rasterRows(cur);
  const filtered = cur;
  return { width: outW, height: outH, channels: src.channels, readRows: (y0, y1, out) => verticalPass(filtered, vert, shift, y0, y1, out) };
}

/** Pillow's NEAREST resize: `ImagingScaleAffine`, coordinates accumulated in float64. */
function nearest(src: Raster, outW: number, outH: number, box: ResizeBox): Raster {
  const { width: inW, height: inH, channels: ch, data: inp } = src;
  const a0 = Math.fround(box[2] - box[0]) / outW;
  const a4 = Math.fround(box[3] - box[1]) / outH;
  const xin = new Int32Array(outW);
  let xo = box[0] + a0 * 0.5;
  for (let x = 0; x < outW; x++) {
    xin[x] = xo < 0 ? -1 : Math.trunc(xo);
    xo += a0;
  }
  const out = new Uint8ClampedArray(outW * outH * ch);
  let yo = box[1] + a4 * 0.5;
  for (let y = 0; y < outH; y++) {
    const yi = yo < 0 ? -1 : Math.trunc(yo);
    yo += a4;
    if (yi < 0 || yi >= inH) continue;
    for (let x = 0; x < outW; x++) {
      const xi = xin[x];
      if (xi < 0 || xi >= inW) continue;
      const s = (yi * inW + xi) * ch;
      const d = (y * outW + x) * ch;
      for (let b = 0; b < ch; b++) out[d + b] = inp[s + b];
    }
  }
  return { width: outW, height: outH, channels: ch, data: out };
}

/** A w×h window of `src` at (x0, y0), copied row by row when read. */
function crop(src: Raster, x0: number, y0: number, w: number, h: number): RowSource {
  const { channels: ch } = src;
  const rowBytes = w * ch;
  return {
    width: w,
    height: h,
    channels: ch,
    readRows: (r0, r1, out) => {
      for (let y = r0; y < r1; y++) {
        const s = ((y + y0) * src.width + x0) * ch;
        out.set(src.data.subarray(s, s + rowBytes), (y - r0) * rowBytes);
      }
    },
  };
}

/** The C `_resize` entry point: crop shortcut, nearest, or convolution. */
function resizeCore(src: Raster, outW: number, outH: number, filter: ResamplingFilter, box: ResizeBox): RowSource {
  const [x0, y0, x1, y1] = box;
  if (Number.isInteger(x0) && Number.isInteger(y0) && x1 - x0 === outW && y1 - y0 === outH) {
    return crop(src, x0, y0, outW, outH);
  }
  if (filter === 'nearest') return rasterRows(nearest(src, outW, outH, box));
  return convolve(src, outW, outH, KERNELS[filter], box);
}

/** Python-level `Image.resize` after mode handling: the very-tall-image path resizes vertically first. */
function resizeRaster(src: Raster, outW: number, outH: number, filter: ResamplingFilter, box: ResizeBox): RowSource {
  if (src.height > src.width * 100 && outH < src.height) {
    const tall = readAll(resizeCore(src, src.width, outH, filter, [0, box[1], src.width, box[3]]));
    return resizeCore(tall, outW, outH, filter, [box[0], 0, box[2], outH]);
  }
  return resizeCore(src, outW, outH, filter, box);
}

function checkSize(size: Size): void {
  const { width, height } = size ?? ({} as Size);
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidInputError(`Resize size must be positive integers {width, height}, got ${width}×${height}.`);
  }
}

function checkBox(box: ResizeBox | undefined, width: number, height: number): ResizeBox {
  if (box === undefined) return [0, 0, width, height];
  if (!Array.isArray(box) || box.length !== 4 || box.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new InvalidInputError(`Resize box must be [x0, y0, x1, y1] numbers, got ${JSON.stringify(box)}.`);
  }
  const b = box.map(Math.fround) as unknown as ResizeBox;
  if (b[0] < 0 || b[1] < 0) throw new InvalidInputError(`Resize box offset can't be negative, got ${JSON.stringify(box)}.`);
  if (b[2] > width || b[3] > height) {
    throw new InvalidInputError(`Resize box ${JSON.stringify(box)} exceeds the ${width}×${height} image.`);
  }
  if (b[2] - b[0] < 0 || b[3] - b[1] < 0) throw new InvalidInputError(`Resize box can't be empty, got ${JSON.stringify(box)}.`);
  return b;
}

/** Checks an image's dimensions and buffer length for `channels` bytes per pixel. */
export function assertRaster(image: { width: number; height: number; data: ArrayLike<number> } | undefined, channels: number, what: string): void {
  if (!image || typeof image !== 'object') {
    throw new InvalidInputError(`${what} must be an object {width, height, data}, got ${String(image)}.`);
  }
  const { width, height, data } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidInputError(`${what} must have positive integer width and height, got ${width}×${height}.`);
  }
  if (!(data instanceof Uint8ClampedArray || data instanceof Uint8Array) || data.length !== width * height * channels) {
    const got = data instanceof Uint8ClampedArray || data instanceof Uint8Array ? `${data.length} bytes` : 'no byte array';
    throw new InvalidInputError(`${what}.data must be a Uint8ClampedArray of ${width}×${height}×${channels} = ${width * height * channels} bytes, got ${got}.`);
  }
}

/** A view of the bytes as Uint8ClampedArray (no copy), so the loops see one array type. */
function asClamped(data: Uint8ClampedArray | Uint8Array): Uint8ClampedArray {
  return data instanceof Uint8ClampedArray ? data : new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
}

/** RGBA → premultiplied RGBa, Pillow's `rgbA2rgba`: c·a/255 rounded via its MULDIV255 trick. */
export function premultiplyAlpha(image: RgbaImage): RgbaImage {
  assertRaster(image, 4, 'image');
  const out = new Uint8ClampedArray(image.data.length);
  premultiplyInto(asClamped(image.data), out);
  return { width: image.width, height: image.height, data: out };
}

/** Premultiplied RGBa → RGBA, Pillow's `rgba2rgbA`: floor(255·c/a), clipped; a ∈ {0, 255} kept. */
export function unpremultiplyAlpha(image: RgbaImage): RgbaImage {
  assertRaster(image, 4, 'image');
  const out = new Uint8ClampedArray(image.data.length);
  unpremultiplyInto(asClamped(image.data), out);
  return { width: image.width, height: image.height, data: out };
}

/** A resize before it runs: its rows, and whether they are still premultiplied (RGBa). */
export interface PlannedResize {
  readonly rows: RowSource;
  /** True when the rows are RGBa (every filter but nearest on RGBA) and need `rgba2rgbA`. */
  readonly premultiplied: boolean;
}

/**
 * `resize` up to, not including, the final RGBa → RGBA conversion, with the output rows computed
 * on demand. For callers that consume the resized image once (formatHeatmap composites it) and can
 * fuse that conversion into their own loop.
 * @throws InvalidInputError as `resize`.
 */
export function planResize(image: RgbaImage, size: Size, filter: ResamplingFilter | number = 'bicubic', options: ResizeOptions = {}): PlannedResize {
  return planChecked(image, 4, size, filter, options);
}

/**
 * Resizes an RGBA image exactly as Pillow 12's `Image.resize(size, filter, box)` does for mode
 * 'RGBA': non-nearest filters run in premultiplied alpha (RGBA → RGBa → resize → RGBA).
 * The default filter is Pillow's, bicubic.
 * @throws InvalidInputError for a malformed image, size, box or an unknown filter.
 */
export function resize(image: RgbaImage, size: Size, filter: ResamplingFilter | number = 'bicubic', options: ResizeOptions = {}): RgbaImage {
  const { rows, premultiplied } = planChecked(image, 4, size, filter, options);
  const { data } = readAll(rows);
  if (premultiplied) unpremultiplyInto(data, data);
  return { width: rows.width, height: rows.height, data };
}

/**
 * Resizes a grayscale image exactly as Pillow 12 resizes a mode 'L' image. Default filter bicubic.
 * @throws InvalidInputError for a malformed image, size, box or an unknown filter.
 */
export function resizeGray(image: GrayImage, size: Size, filter: ResamplingFilter | number = 'bicubic', options: ResizeOptions = {}): GrayImage {
  const { rows } = planChecked(image, 1, size, filter, options);
  return { width: rows.width, height: rows.height, data: readAll(rows).data };
}

/**
 * The validation, same-size shortcut and premultiplication both resizes share. The same-size
 * shortcut reads the input as is (so the result is a copy, never the caller's buffer).
 */
function planChecked(
  image: { width: number; height: number; data: Uint8ClampedArray | Uint8Array },
  channels: 1 | 4,
  size: Size,
  filter: ResamplingFilter | number,
  options: ResizeOptions,
): PlannedResize {
  assertRaster(image, channels, 'image');
  checkSize(size);
  const f = resolveResamplingFilter(filter);
  const box = checkBox(options.box, image.width, image.height);
  const { width, height } = size;
  const src: Raster = { width: image.width, height: image.height, channels, data: asClamped(image.data) };
  if (width === image.width && height === image.height && box[0] === 0 && box[1] === 0 && box[2] === width && box[3] === height) {
    return { rows: rasterRows(src), premultiplied: false };
  }
  const premultiplied = channels === 4 && f !== 'nearest';
  let input = src;
  if (premultiplied) {
    input = { ...src, data: new Uint8ClampedArray(src.data.length) };
    premultiplyInto(src.data, input.data);
  }
  return { rows: resizeRaster(input, width, height, f, box), premultiplied };
}
