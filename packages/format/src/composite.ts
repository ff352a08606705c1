import type { RgbaImage } from '@gradcam/core';
import { InvalidInputError } from '@gradcam/core/errors';
import { assertRaster } from './resample';

// Pillow's AlphaComposite.c keeps 7 extra bits in its blend coefficients.
const PRECISION_BITS = 7;

/**
 * Composites `src` over `dst` (both RGBA, same size), equal to Pillow's
 * `Image.alpha_composite(dst, src)` — its integer formula, byte for byte.
 * @throws InvalidInputError for malformed images or mismatched sizes.
 */
export function alphaComposite(dst: RgbaImage, src: RgbaImage): RgbaImage {
  assertRaster(dst, 4, 'dst');
  assertRaster(src, 4, 'src');
  if (dst.width !== src.width || dst.height !== src.height) {
    throw new InvalidInputError(`alphaComposite needs images of the same size, got dst ${dst.width}×${dst.height} and src ${src.width}×${src.height}.`);
  }
  const d = dst.data;
  const s = src.data;
  const out = new Uint8ClampedArray(d.length);
  for (let i = 0; i < d.length; i += 4) {
    const sa = s[i + 3];
    if (sa === 0) {
      out[i] = d[i];
      out[i + 1] = d[i + 1];
      out[i + 2] = d[i + 2];
      out[i + 3] = d[i + 3];
      continue;
    }
    const blend = d[i + 3] * (255 - sa);
    const outa255 = sa * 255 + blend;
    // Integer division of unsigned 32-bit values in C; all operands here stay below 2^32.
    const coef1 = Math.floor((sa * 255 * 255 * (1 << PRECISION_BITS)) / outa255);
    const coef2 = 255 * (1 << PRECISION_BITS) - coef1;
    for (let b = 0; b < 3; b++) {
      const t = s[i + b] * coef1 + d[i + b] * coef2 + (0x80 << PRECISION_BITS);
      out[i + b] = (((t >> 8) + t) >> 8) >> PRECISION_BITS;
    }
    const ta = outa255 + 0x80;
    out[i + 3] = ((ta >> 8) + ta) >> 8;
  }
  return { width: dst.width, height: dst.height, data: out };
}
