import type { RgbaImage } from '@gradcam/core';

/**
 * Reads the EXIF Orientation tag (1–8) from a TIFF-structured EXIF block; undefined when the
 * block is malformed or has no orientation. Never throws: a broken EXIF must not make an
 * otherwise readable image fail.
 */
export function readTiffOrientation(tiff: Uint8Array): number | undefined {
  if (tiff.length < 8) return undefined;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  const big = tiff[0] === 0x4d && tiff[1] === 0x4d;
  if (!little && !big) return undefined;
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength);
  const u16 = (o: number) => view.getUint16(o, little);
  const u32 = (o: number) => view.getUint32(o, little);
  if (u16(2) !== 42) return undefined;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return undefined;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    // Tag 0x0112 = Orientation, type SHORT (3), one value stored inline.
    if (u16(entry) === 0x0112 && u16(entry + 2) === 3) {
      const v = u16(entry + 8);
      return v >= 1 && v <= 8 ? v : undefined;
    }
  }
  return undefined;
}

/** EXIF orientation of a JPEG (APP1 'Exif' segment), if any. */
export function jpegOrientation(bytes: Uint8Array): number | undefined {
  let p = 2;
  while (p + 4 <= bytes.length && bytes[p] === 0xff) {
    const marker = bytes[p + 1];
    // Start of scan or end of image: metadata segments come before these.
    if (marker === 0xda || marker === 0xd9) return undefined;
    const len = (bytes[p + 2] << 8) | bytes[p + 3];
    if (
      marker === 0xe1 &&
      len >= 8 &&
      bytes[p + 4] === 0x45 && // E
      bytes[p + 5] === 0x78 && // x
      bytes[p + 6] === 0x69 && // i
      bytes[p + 7] === 0x66 && // f
      bytes[p + 8] === 0 &&
      bytes[p + 9] === 0
    ) {
      return readTiffOrientation(bytes.subarray(p + 10, Math.min(bytes.length, p + 2 + len)));
    }
    p += 2 + len;
  }
  return undefined;
}

/** EXIF orientation of a PNG (`eXIf` chunk), if any. */
export function pngOrientation(bytes: Uint8Array): number | undefined {
  let p = 8;
  while (p + 8 <= bytes.length) {
    const len = ((bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3]) >>> 0;
    const type = String.fromCharCode(bytes[p + 4], bytes[p + 5], bytes[p + 6], bytes[p + 7]);
    if (type === 'eXIf') return readTiffOrientation(bytes.subarray(p + 8, Math.min(bytes.length, p + 8 + len)));
    if (type === 'IDAT' || type === 'IEND') return undefined;
    p += 12 + len;
  }
  return undefined;
}

/**
 * Applies an EXIF orientation so the image displays upright, with the same transposition
 * Pillow's `ImageOps.exif_transpose` uses for each value (1 and unknown values: unchanged).
 */
export function applyOrientation(image: RgbaImage, orientation: number | undefined): RgbaImage {
  if (orientation === undefined || orientation < 2 || orientation > 8) return image;
  const { width: w, height: h, data } = image;
  const swap = orientation >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8ClampedArray(data.length);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      // (sx, sy): the source pixel shown at output (x, y).
      let sx: number;
      let sy: number;
      switch (orientation) {
        case 2: // mirror horizontally
          sx = w - 1 - x;
          sy = y;
          break;
        case 3: // rotate 180°
          sx = w - 1 - x;
          sy = h - 1 - y;
          break;
        case 4: // mirror vertically
          sx = x;
          sy = h - 1 - y;
          break;
        case 5: // transpose
          sx = y;
          sy = x;
          break;
        case 6: // rotate 90° clockwise
          sx = y;
          sy = h - 1 - x;
          break;
        case 7: // transverse
          sx = w - 1 - y;
          sy = h - 1 - x;
          break;
        default: // 8: rotate 90° counter-clockwise
          sx = w - 1 - y;
          sy = x;
          break;
      }
      const d = (y * ow + x) * 4;
      const s = (sy * w + sx) * 4;
      out[d] = data[s];
      out[d + 1] = data[s + 1];
      out[d + 2] = data[s + 2];
      out[d + 3] = data[s + 3];
    }
  }
  return { width: ow, height: oh, data: out };
}
