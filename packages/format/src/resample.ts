import type { RgbaImage } from '@gradcam/core';
import { InvalidInputError, listChoices } from '@gradcam/core/errors';
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

function clip8(ss: number): number {
  const v = ss >> PRECISION_BITS;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Interleaved 8-bit raster with `channels` bytes per pixel. */
interface Raster {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly data: Uint8ClampedArray;
}

function horizontalPass(src: Raster, rowOffset: number, rows: number, outWidth: number, c: Coefficients): Raster {
  const { channels: ch, width: inW, data: inp } = src;
  const out = new Uint8ClampedArray(outWidth * rows * ch);
  const { ksize, bounds, kk } = c;
  for (let yy = 0; yy < rows; yy++) {
    const rowBase = (yy + rowOffset) * inW * ch;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[xx * 2];
      const xmax = bounds[xx * 2 + 1];
      const kBase = xx * ksize;
      const o = (yy * outWidth + xx) * ch;
      if (ch === 4) {
        // Four accumulators in one sweep: the hot path for RGBA, about twice as fast.
        let s0 = HALF;
        let s1 = HALF;
        let s2 = HALF;
        let s3 = HALF;
        for (let x = 0, p = rowBase + xmin * 4; x < xmax; x++, p += 4) {
          const k = kk[kBase + x];
          s0 += inp[p] * k;
          s1 += inp[p + 1] * k;
          s2 += inp[p + 2] * k;
          s3 += inp[p + 3] * k;
        }
        out[o] = clip8(s0);
        out[o + 1] = clip8(s1);
        out[o + 2] = clip8(s2);
        out[o + 3] = clip8(s3);
      } else {
        for (let b = 0; b < ch; b++) {
          let ss = HALF;
          for (let x = 0, p = rowBase + xmin * ch + b; x < xmax; x++, p += ch) ss += inp[p] * kk[kBase + x];
          out[o + b] = clip8(ss);
        }
      }
    }
  }
  return { width: outWidth, height: rows, channels: ch, data: out };
}

function verticalPass(src: Raster, outHeight: number, c: Coefficients, rowShift: number): Raster {
  const { channels: ch, width: w, data: inp } = src;
  const stride = w * ch;
  const out = new Uint8ClampedArray(stride * outHeight);
  const { ksize, bounds, kk } = c;
  // Accumulate whole rows tap by tap: same sums as Pillow's per-pixel loop, read row-major.
  const acc = new Int32Array(stride);
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[yy * 2] - rowShift;
    const ymax = bounds[yy * 2 + 1];
    const kBase = yy * ksize;
    acc.fill(HALF);
    for (let y = 0; y < ymax; y++) {
      const k = kk[kBase + y];
      const rowBase = (ymin + y) * stride;
      for (let i = 0; i < stride; i++) acc[i] += inp[rowBase + i] * k;
    }
    const o = yy * stride;
    for (let i = 0; i < stride; i++) out[o + i] = clip8(acc[i]);
  }
  return { width: w, height: outHeight, channels: ch, data: out };
}

/** Pillow's `ImagingResampleInner` on 8-bit data: horizontal pass first, passes skipped when not needed. */
function convolve(src: Raster, outW: number, outH: number, kernel: Kernel, box: ResizeBox): Raster {
  const needH = outW !== src.width || box[0] !== 0 || box[2] !== outW;
  const needV = outH !== src.height || box[1] !== 0 || box[3] !== outH;
  const vert = precompute(src.height, box[1], box[3], outH, kernel);
  // Only the source rows the vertical pass reads are filtered horizontally.
  const yFirst = vert.bounds[0];
  const yLast = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
  let cur = src;
  let shift = 0;
  if (needH) {
    const horiz = precompute(src.width, box[0], box[2], outW, kernel);
    cur = horizontalPass(src, yFirst, yLast - yFirst, outW, horiz);
    shift = yFirst;
  }
  if (needV) cur = verticalPass(cur, outH, vert, shift);
  return cur === src ? { ...src, data: src.data.slice() } : cur;
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

function crop(src: Raster, x0: number, y0: number, w: number, h: number): Raster {
  const { channels: ch } = src;
  const out = new Uint8ClampedArray(w * h * ch);
  for (let y = 0; y < h; y++) {
    const s = ((y + y0) * src.width + x0) * ch;
    out.set(src.data.subarray(s, s + w * ch), y * w * ch);
  }
  return { width: w, height: h, channels: ch, data: out };
}

/** The C `_resize` entry point: crop shortcut, nearest, or convolution. */
function resizeCore(src: Raster, outW: number, outH: number, filter: ResamplingFilter, box: ResizeBox): Raster {
  const [x0, y0, x1, y1] = box;
  if (Number.isInteger(x0) && Number.isInteger(y0) && x1 - x0 === outW && y1 - y0 === outH) {
    return crop(src, x0, y0, outW, outH);
  }
  if (filter === 'nearest') return nearest(src, outW, outH, box);
  return convolve(src, outW, outH, KERNELS[filter], box);
}

/** Python-level `Image.resize` after mode handling: the very-tall-image path resizes vertically first. */
function resizeRaster(src: Raster, outW: number, outH: number, filter: ResamplingFilter, box: ResizeBox): Raster {
  if (src.height > src.width * 100 && outH < src.height) {
    const tall = resizeCore(src, src.width, outH, filter, [0, box[1], src.width, box[3]]);
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

function asClamped(data: Uint8ClampedArray | Uint8Array): Uint8ClampedArray {
  return data instanceof Uint8ClampedArray ? data : new Uint8ClampedArray(data.buffer, data.byteOffset, data.length);
}

/** RGBA → premultiplied RGBa, Pillow's `rgbA2rgba`: c·a/255 rounded via its MULDIV255 trick. */
export function premultiplyAlpha(image: RgbaImage): RgbaImage {
  assertRaster(image, 4, 'image');
  const src = image.data;
  const out = new Uint8ClampedArray(src.length);
  for (let i = 0; i < src.length; i += 4) {
    const a = src[i + 3];
    for (let b = 0; b < 3; b++) {
      const t = src[i + b] * a + 128;
      out[i + b] = ((t >> 8) + t) >> 8;
    }
    out[i + 3] = a;
  }
  return { width: image.width, height: image.height, data: out };
}

/** Premultiplied RGBa → RGBA, Pillow's `rgba2rgbA`: floor(255·c/a), clipped; a ∈ {0, 255} kept. */
export function unpremultiplyAlpha(image: RgbaImage): RgbaImage {
  assertRaster(image, 4, 'image');
  const src = image.data;
  const out = new Uint8ClampedArray(src.length);
  for (let i = 0; i < src.length; i += 4) {
    const a = src[i + 3];
    for (let b = 0; b < 3; b++) {
      const c = src[i + b];
      out[i + b] = a === 0 || a === 255 ? c : Math.min(255, Math.floor((255 * c) / a));
    }
    out[i + 3] = a;
  }
  return { width: image.width, height: image.height, data: out };
}

/**
 * Resizes an RGBA image exactly as Pillow 12's `Image.resize(size, filter, box)` does for mode
 * 'RGBA': non-nearest filters run in premultiplied alpha (RGBA → RGBa → resize → RGBA).
 * The default filter is Pillow's, bicubic.
 * @throws InvalidInputError for a malformed image, size, box or an unknown filter.
 */
export function resize(image: RgbaImage, size: Size, filter: ResamplingFilter | number = 'bicubic', options: ResizeOptions = {}): RgbaImage {
  return resizeChecked(image, 4, size, filter, options, (f, run) => {
    const premultiplied = f !== 'nearest';
    const out = run(premultiplied ? premultiplyAlpha(image) : image);
    return premultiplied ? unpremultiplyAlpha(out) : out;
  });
}

/**
 * Resizes a grayscale image exactly as Pillow 12 resizes a mode 'L' image. Default filter bicubic.
 * @throws InvalidInputError for a malformed image, size, box or an unknown filter.
 */
export function resizeGray(image: GrayImage, size: Size, filter: ResamplingFilter | number = 'bicubic', options: ResizeOptions = {}): GrayImage {
  return resizeChecked(image, 1, size, filter, options, (_f, run) => run(image));
}

/**
 * The validation and same-size shortcut both resizes share; `body` gets the resolved filter and
 * a `run(source)` that resamples a raster with the requested size and box.
 */
function resizeChecked<T extends { width: number; height: number; data: Uint8ClampedArray }>(
  image: T,
  channels: 1 | 4,
  size: Size,
  filter: ResamplingFilter | number,
  options: ResizeOptions,
  body: (f: ResamplingFilter, run: (source: T) => T) => T,
): T {
  assertRaster(image, channels, 'image');
  checkSize(size);
  const f = resolveResamplingFilter(filter);
  const box = checkBox(options.box, image.width, image.height);
  const { width, height } = size;
  if (width === image.width && height === image.height && box[0] === 0 && box[1] === 0 && box[2] === width && box[3] === height) {
    return { width, height, data: image.data.slice() } as T;
  }
  return body(f, (source) => ({ width, height, data: resizeRaster({ ...source, data: asClamped(source.data), channels }, width, height, f, box).data }) as T);
}
