/**
 * Pillow's integer conversions between straight RGBA and premultiplied RGBa ('RGBa' mode), as
 * flat loops over interleaved bytes. Shared by `resize` (which filters in RGBa) and the fused
 * unpremultiply + composite of `formatHeatmap`.
 */

/** Pillow's MULDIV255: c·a/255 rounded, with a shift instead of a division. */
function mulDiv255(c: number, a: number): number {
  const t = c * a + 128;
  return ((t >> 8) + t) >> 8;
}

/** RGBA → RGBa, Pillow's `rgbA2rgba`. `out` may be `src` (in place). */
export function premultiplyInto(src: Uint8ClampedArray, out: Uint8ClampedArray): void {
  for (let i = 0; i < src.length; i += 4) {
    const a = src[i + 3];
    out[i] = mulDiv255(src[i], a);
    out[i + 1] = mulDiv255(src[i + 1], a);
    out[i + 2] = mulDiv255(src[i + 2], a);
    out[i + 3] = a;
  }
}

// Both tables are immutable once built and never handed out to users.
let unpremultiplyLut: Uint8Array | undefined;
let straightLut: Uint8Array | undefined;

/**
 * Pillow's `rgba2rgbA` for every (alpha, colour) pair, indexed `alpha << 8 | colour`:
 * CLIP8(⌊255·c / a⌋), and c itself for alpha 0 and 255. 64 KiB, built on first use, so the
 * per-pixel work is a lookup instead of three divisions.
 */
export function unpremultiplyTable(): Uint8Array {
  if (!unpremultiplyLut) {
    const lut = new Uint8Array(256 * 256);
    for (let a = 0; a < 256; a++) {
      for (let c = 0; c < 256; c++) lut[(a << 8) | c] = a === 0 || a === 255 ? c : Math.min(255, Math.floor((255 * c) / a));
    }
    unpremultiplyLut = lut;
  }
  return unpremultiplyLut;
}

/**
 * The identity in `unpremultiplyTable`'s layout (straight colours stay as they are), so loops
 * that take either kind of source need no second copy.
 */
export function straightTable(): Uint8Array {
  if (!straightLut) {
    const lut = new Uint8Array(256 * 256);
    for (let i = 0; i < lut.length; i++) lut[i] = i & 255;
    straightLut = lut;
  }
  return straightLut;
}

/** RGBa → RGBA, Pillow's `rgba2rgbA` (see `unpremultiplyTable`). `out` may be `src` (in place). */
export function unpremultiplyInto(src: Uint8ClampedArray, out: Uint8ClampedArray): void {
  const lut = unpremultiplyTable();
  for (let i = 0; i < src.length; i += 4) {
    const a = src[i + 3];
    const row = a << 8;
    out[i] = lut[row | src[i]];
    out[i + 1] = lut[row | src[i + 1]];
    out[i + 2] = lut[row | src[i + 2]];
    out[i + 3] = a;
  }
}
