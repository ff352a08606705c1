// Big inputs: an 8000×8000 PNG (64 M pixels, under Pillow's default limit of 89.5 M) is refused
// from its header under a lower limit, and otherwise decoded and downscaled with bounded memory
// — never an out-of-memory crash.
import { deflateSync } from 'node:zlib';
import { DecodeError } from '@gradcam/core/errors';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PIXELS, decodeImage, imageSize } from './codecs';
import { loadImg } from './load-img';

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  let c = 0xffffffff;
  for (const b of out.subarray(4, 8 + data.length)) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0, 8 + data.length);
  return out;
}

/** An 8-bit grayscale PNG, each row a horizontal ramp (filter 0): about 100 kB for 8000². */
function bigGrayPng(width: number, height: number): Uint8Array {
  const raw = Buffer.alloc((width + 1) * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw[y * (width + 1) + 1 + x] = x & 255;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', new Uint8Array())]));
}

describe('big inputs: an 8000×8000 PNG', () => {
  const png = bigGrayPng(8000, 8000);

  it('is refused from its header when over maxPixels, before any pixel is decoded', () => {
    const rss = process.memoryUsage().rss;
    expect(imageSize(png)).toEqual({ format: 'png', width: 8000, height: 8000 });
    expect(() => decodeImage(png, { maxPixels: 50_000_000 })).toThrow(DecodeError);
    expect(() => decodeImage(png, { maxPixels: 50_000_000 })).toThrow(/8000×8000 = 64000000 pixels exceeds the limit of 50000000/);
    // The header check allocates nothing like the 256 MB raster (nor pngjs' 64 MB inflate buffer).
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 2 ** 20);
  });

  it('under the default limit, loadImg decodes and downscales it to 224×224 with bounded memory', async () => {
    expect(8000 * 8000).toBeLessThan(DEFAULT_MAX_PIXELS);
    const peakBefore = process.resourceUsage().maxRSS * 1024;
    const img = await loadImg(png, { targetSize: [224, 224], interpolation: 'bilinear' });
    expect([img.width, img.height]).toEqual([224, 224]);
    // Gray and opaque, and every row the same (the source rows are identical ramps).
    const row = img.data.subarray(0, 224 * 4);
    for (let i = 0; i < img.data.length; i += 4) {
      expect([img.data[i + 1], img.data[i + 2], img.data[i + 3]]).toEqual([img.data[i], img.data[i], 255]);
      expect(img.data[i]).toBe(row[i % (224 * 4)]);
    }
    // The decoded RGBA raster alone is 256 MB; pngjs' inflate and filter buffers add 2 × 64 MB.
    // Allow for that plus slack, and nothing like a second copy of everything.
    const peakGrowth = process.resourceUsage().maxRSS * 1024 - peakBefore;
    expect(peakGrowth).toBeLessThan(900 * 2 ** 20);
  }, 120_000);
});
