import type { RgbaImage } from '@gradcam/core';
import { InvalidInputError } from '@gradcam/core/errors';
import { straightTable, unpremultiplyTable } from './alpha';
import { assertRaster, ROW_GROUP, type RowSource } from './resample';

// Pillow's AlphaComposite.c keeps 7 extra bits in its blend coefficients.
const PRECISION_BITS = 7;
/** Bytes of source rows `alphaCompositeRows` reads at a time: a strip that stays in L2 cache. */
const STRIP_BYTES = 1 << 17;

// The loops below read and write whole RGBA pixels as 32-bit words: one bounds-checked access
// instead of four. Where channel k sits in a word depends on the host's byte order.
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
const R = LITTLE_ENDIAN ? 0 : 24;
const G = LITTLE_ENDIAN ? 8 : 16;
const B = LITTLE_ENDIAN ? 16 : 8;
const A = LITTLE_ENDIAN ? 24 : 0;

/**
 * Composites `src` over `dst` (both RGBA, same size), equal to Pillow's
 * `Image.alpha_composite(dst, src)` — its integer formula, byte for byte.
 * @throws InvalidInputError for malformed images or mismatched sizes.
 */
export function alphaComposite(dst: RgbaImage, src: RgbaImage): RgbaImage {
  assertRaster(dst, 4, 'dst');
  assertRaster(src, 4, 'src');
  checkSameSize(dst, src);
  const out = new Uint8ClampedArray(dst.data.length);
  compositeWords(words(dst.data), words(src.data), words(out), 0, dst.width * dst.height, straightTable());
  return { width: dst.width, height: dst.height, data: out };
}

/**
 * `alphaComposite(dst, src)` for a source produced row by row (a planned resize), read in strips.
 * With `premultiplied`, the source rows are RGBa and are converted to RGBA on the fly with
 * Pillow's `rgba2rgbA`, giving the same bytes as converting first and compositing after.
 * @throws InvalidInputError for a malformed dst or mismatched sizes.
 */
export function alphaCompositeRows(dst: RgbaImage, src: RowSource, premultiplied: boolean): RgbaImage {
  assertRaster(dst, 4, 'dst');
  checkSameSize(dst, src);
  if (src.channels !== 4) throw new InvalidInputError(`alphaComposite needs an RGBA source, got ${src.channels} channels.`);
  const { width, height } = dst;
  const d = words(dst.data);
  const out = new Uint8ClampedArray(dst.data.length);
  const o = words(out);
  const lut = premultiplied ? unpremultiplyTable() : straightTable();
  // Strips of whole row groups, so the vertical pass never has to split one.
  const fit = Math.floor(STRIP_BYTES / (width * 4 * ROW_GROUP)) * ROW_GROUP;
  const stripRows = Math.min(height, Math.max(ROW_GROUP, fit));
  const strip = new Uint8ClampedArray(stripRows * width * 4);
  const s = words(strip);
  for (let y0 = 0; y0 < height; y0 += stripRows) {
    const y1 = Math.min(height, y0 + stripRows);
    src.readRows(y0, y1, strip);
    compositeWords(d, s, o, y0 * width, (y1 - y0) * width, lut);
  }
  return { width, height, data: out };
}

function checkSameSize(dst: RgbaImage, src: { width: number; height: number }): void {
  if (dst.width !== src.width || dst.height !== src.height) {
    throw new InvalidInputError(`alphaComposite needs images of the same size, got dst ${dst.width}×${dst.height} and src ${src.width}×${src.height}.`);
  }
}

/** RGBA bytes as one 32-bit word per pixel; copied first if they don't start on a 4-byte boundary. */
function words(data: Uint8ClampedArray | Uint8Array): Uint32Array {
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
  return new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.length >> 2);
}

/**
 * Pillow's `ImagingAlphaComposite` on `count` pixels: `out` = `src` over `dst`, pixels from
 * `start` in `dst`/`out` and from 0 in `src`. Source colours go through `lut`
 * (`alpha << 8 | colour` → straight colour: the identity, or the unpremultiply table).
 */
function compositeWords(dst: Uint32Array, src: Uint32Array, out: Uint32Array, start: number, count: number, lut: Uint8Array): void {
  const coef = coefficientTable();
  // Module constants copied to locals: bundlers emit top-level consts as `var`s, which V8 cannot
  // treat as constants and re-reads inside the loop (measured ~1.5× slower).
  const shiftR = R;
  const shiftG = G;
  const shiftB = B;
  const shiftA = A;
  for (let j = 0, i = start; j < count; j++, i++) {
    const s = src[j];
    const d = dst[i];
    const sa = (s >>> shiftA) & 255;
    if (sa === 0) {
      out[i] = d;
      continue;
    }
    const da = (d >>> shiftA) & 255;
    const coef1 = coef[(da << 8) | sa];
    const row = sa << 8;
    const r = blend(lut[row | ((s >>> shiftR) & 255)], (d >>> shiftR) & 255, coef1);
    const g = blend(lut[row | ((s >>> shiftG) & 255)], (d >>> shiftG) & 255, coef1);
    const b = blend(lut[row | ((s >>> shiftB) & 255)], (d >>> shiftB) & 255, coef1);
    // outa255 = sa·255 + da·(255 − sa), divided by 255 with Pillow's rounding.
    const ta = sa * 255 + da * (255 - sa) + 0x80;
    out[i] = (r << shiftR) | (g << shiftG) | (b << shiftB) | ((((ta >> 8) + ta) >> 8) << shiftA);
  }
}

/**
 * One colour channel of Pillow's blend: SHIFTFORDIV255(s·coef1 + d·coef2 + (0x80 << 7)) >> 7 with
 * coef2 = (255 << 7) − coef1. The same integers, rearranged: s·coef1 + d·coef2 =
 * coef1·(s − d) + d·(255 << 7), and (x >> 8) >> 7 = x >> 15 for the non-negative x here.
 */
function blend(s: number, d: number, coef1: number): number {
  // Literals rather than module constants, for the reason given in compositeWords.
  const t = coef1 * (s - d) + d * (255 << 7) + (0x80 << 7);
  return ((t >> 8) + t) >> 15;
}

// Immutable once built and never handed out.
let coef1Table: Int32Array | undefined;

/**
 * Pillow's coef1 = ⌊sa·255·255·2^7 / outa255⌋ for every (dst alpha, src alpha > 0) pair, indexed
 * `da << 8 | sa`. 256 KiB built on first use: a lookup instead of a division per pixel.
 */
function coefficientTable(): Int32Array {
  if (!coef1Table) {
    const table = new Int32Array(256 * 256);
    for (let da = 0; da < 256; da++) {
      for (let sa = 1; sa < 256; sa++) {
        const outa255 = sa * 255 + da * (255 - sa);
        // Integer division of unsigned 32-bit values in C; all operands here stay below 2^32.
        table[(da << 8) | sa] = Math.floor((sa * 255 * 255 * (1 << PRECISION_BITS)) / outa255);
      }
    }
    coef1Table = table;
  }
  return coef1Table;
}
