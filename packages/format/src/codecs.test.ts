import { readFileSync } from 'node:fs';
import { InvalidInputError } from '@gradcam/core/errors';
import { describe, expect, it } from 'vitest';
import { diff, fromBase64, readFixture, type StoredImage, toImage } from './__fixtures__/fixtures';
import { DEFAULT_MAX_PIXELS, decodeImage, encodePng, sniffImageFormat } from './codecs';
import { applyOrientation } from './exif';

interface PngVariant {
  png: string;
  pillowMode: string;
  rgba: StoredImage;
  rgb: string;
}

const variants = readFixture<Record<string, PngVariant>>('png-variants.json');
const orientation = readFixture<Record<string, { file: string; decoded: StoredImage; upright?: StoredImage }>>('orientation.json');
const examples = new URL('../../../examples/images/', import.meta.url);

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

function bytesOf(b64: string): Uint8Array {
  return new Uint8Array(fromBase64(b64));
}

describe('decodeImage: PNG variants equal Pillow', () => {
  for (const [name, v] of Object.entries(variants)) {
    it(`${name} (Pillow mode ${v.pillowMode})`, () => {
      const img = decodeImage(bytesOf(v.png));
      const expected = toImage(v.rgba);
      if (v.pillowMode === 'I;16') {
        // Pillow clips 16-bit gray to 255 when converting to 8 bits; we keep the high byte.
        const raw = img.data;
        expect(img.width).toBe(expected.width);
        for (let i = 0; i < raw.length; i += 4) expect(raw[i]).toBe(raw[i + 1]);
        return;
      }
      expect(diff(img, expected).max).toBe(0);
    });
  }
});

describe('decodeImage: example photos', () => {
  const load = readFixture<{ decoded: Record<string, { width: number; height: number; sha256: string }> }>('load-img.json');
  for (const [file, ref] of Object.entries(load.decoded)) {
    if (file.endsWith('.jpg')) continue;
    it(`${file} decodes to Pillow's pixels`, async () => {
      const { createHash } = await import('node:crypto');
      const img = decodeImage(new Uint8Array(readFileSync(new URL(file, examples))));
      expect([img.width, img.height]).toEqual([ref.width, ref.height]);
      expect(createHash('sha256').update(img.data).digest('hex')).toBe(ref.sha256);
    });
  }
});

describe('decodeImage: errors', () => {
  const png = bytesOf(variants.rgb8.png);
  const jpg = bytesOf(orientation.jpeg1.file);

  it('sniffs formats', () => {
    expect(sniffImageFormat(png)).toBe('png');
    expect(sniffImageFormat(jpg)).toBe('jpeg');
    expect(sniffImageFormat(new TextEncoder().encode('GIF89a......'))).toBe('gif');
    expect(sniffImageFormat(new Uint8Array([1, 2, 3]))).toBeUndefined();
  });

  it.each([
    ['empty', new Uint8Array(0), /empty/],
    ['unknown', new TextEncoder().encode('hello world'), /Unknown image format \(first bytes: 68 65 6c/],
    ['gif', new TextEncoder().encode('GIF89a\x01\x00\x01\x00'), /Unsupported image format 'gif'/],
    ['truncated PNG header', png.subarray(0, 20), /PNG.*truncated/],
    ['truncated PNG data', png.subarray(0, png.length - 20), /Cannot decode PNG: the file is truncated/],
    ['corrupt PNG (CRC)', Uint8Array.from(png, (b, i) => (i === 40 ? b ^ 0xff : b)), /Cannot decode PNG/],
    ['truncated JPEG', jpg.subarray(0, Math.floor(jpg.length / 2)), /JPEG.*truncated/],
    ['JPEG without frame', jpg.subarray(0, 20), /JPEG.*no frame header/],
  ])('%s → DecodeError', (_name, bytes, message) => {
    expect(() => decodeImage(bytes)).toThrowError(expect.objectContaining({ code: 'DECODE', message: expect.stringMatching(message) }));
  });

  it('corrupt JPEG scan data → DecodeError, never a raw exception', () => {
    const bad = jpg.slice();
    for (let i = 200; i < bad.length - 2; i += 7) bad[i] = 0xff;
    let thrown: unknown;
    try {
      decodeImage(bad);
    } catch (err) {
      thrown = err;
    }
    // jpeg-js may decode garbage without noticing; if it throws, it must be typed.
    if (thrown) expect(thrown).toEqual(expect.objectContaining({ code: 'DECODE' }));
  });

  it('enforces the pixel limit from the header, before decoding', () => {
    expect(DEFAULT_MAX_PIXELS).toBe(89_478_485);
    expect(() => decodeImage(png, { maxPixels: 19 })).toThrow(/5×4 = 20 pixels exceeds the limit of 19/);
    expect(() => decodeImage(jpg, { maxPixels: 100 })).toThrow(/JPEG: 24×16 = 384 pixels exceeds/);
    expect(decodeImage(png, { maxPixels: 20 }).width).toBe(5);
    // A header claiming 100000×100000 is refused without allocating anything.
    const bomb = png.slice();
    new DataView(bomb.buffer).setUint32(16, 100000);
    new DataView(bomb.buffer).setUint32(20, 100000);
    expect(() => decodeImage(bomb)).toThrow(/10000000000 pixels exceeds the limit of 89478485/);
  });

  it('refuses a file far too short for the size its header declares, before allocating it', () => {
    // Found by the decoder fuzzing: jpeg-js walked a 9000×9000 raster for 20 s, and pngjs
    // (with valid CRCs) returned 324 MB of zeros, for files of about 2 kB.
    const jpgBomb = jpg.slice();
    const sof = jpgBomb.findIndex((b, i) => b === 0xff && jpgBomb[i + 1] === 0xc0);
    new DataView(jpgBomb.buffer).setUint16(sof + 5, 9000);
    new DataView(jpgBomb.buffer).setUint16(sof + 7, 9000);
    expect(() => decodeImage(jpgBomb)).toThrow(
      /JPEG: the header declares 9000×9000 pixels, which need at least \d+ bytes of coded data, but the file has \d+ bytes/,
    );
    const pngBomb = png.slice();
    const view = new DataView(pngBomb.buffer);
    view.setUint32(16, 9000);
    view.setUint32(20, 9000);
    view.setUint32(29, crc32(pngBomb.subarray(12, 29)));
    expect(() => decodeImage(pngBomb)).toThrow(/PNG: the header declares 9000×9000 pixels, which need at least \d+ bytes of compressed data/);
  });

  it('a corrupt deflate stream with valid CRCs → the same DecodeError every time, never random pixels', () => {
    // Found by the decoder fuzzing: pngjs' sync inflate ignores zlib errors and returned
    // uninitialised memory as pixel data.
    const broken = png.slice();
    const view = new DataView(broken.buffer);
    const idat = broken.findIndex((b, i) => String.fromCharCode(b, broken[i + 1], broken[i + 2], broken[i + 3]) === 'IDAT');
    const length = view.getUint32(idat - 4);
    broken.fill(0xff, idat + 6, idat + 4 + length - 4); // keep the zlib header, break the blocks
    view.setUint32(idat + 4 + length, crc32(broken.subarray(idat, idat + 4 + length)));
    const messages = new Set<string>();
    for (let i = 0; i < 5; i++) {
      try {
        decodeImage(broken);
        messages.add('decoded');
      } catch (err) {
        messages.add((err as Error).message);
      }
    }
    expect([...messages]).toEqual([expect.stringMatching(/^Cannot decode PNG: the compressed pixel data is corrupt \(zlib: .+\)\.$/)]);
  });

  it('rejects non-bytes', () => {
    expect(() => decodeImage('abc' as unknown as Uint8Array)).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('JPEG decoding (jpeg-js vs libjpeg-turbo)', () => {
  // Different IDCT and chroma-upsampling code: close, not bit-exact. Reported for information.
  it('4:4:4 is within a few levels of Pillow', () => {
    const s = diff(decodeImage(bytesOf(orientation.jpeg1.file)), toImage(orientation.jpeg1.decoded));
    console.info(`[fixtures] jpeg 4:4:4 decode vs Pillow: max ${s.max}, mean ${s.mean.toFixed(4)}`);
    expect(s.max).toBeLessThanOrEqual(4);
    expect(s.mean).toBeLessThan(0.5);
  });

  it('4:2:0 differs at sharp colour edges (simple vs fancy chroma upsampling)', () => {
    const s = diff(decodeImage(bytesOf(orientation.jpeg420.file)), toImage(orientation.jpeg420.decoded));
    console.info(`[fixtures] jpeg 4:2:0 decode vs Pillow (hard colour edges): max ${s.max}, mean ${s.mean.toFixed(4)}`);
    expect(s.mean).toBeLessThan(10);
  });
});

describe('decodeImage with a JPEG decoder of the caller (jpegDecoder)', () => {
  const jpg = bytesOf(orientation.jpeg6.file);

  it('uses it for the pixels and still applies the EXIF orientation', () => {
    const seen: number[] = [];
    const native = (bytes: Uint8Array) => {
      seen.push(bytes.length);
      return decodeImage(bytes, { applyExifOrientation: false });
    };
    const img = decodeImage(jpg, { jpegDecoder: native });
    expect(seen).toEqual([jpg.length]);
    expect(img).toEqual(decodeImage(jpg));
    expect([img.width, img.height]).toEqual([16, 24]); // orientation 6 turns the 24×16 frame
  });

  it('keeps the size limit and the truncation check before calling it', () => {
    const never = () => {
      throw new Error('must not be called');
    };
    expect(() => decodeImage(jpg, { jpegDecoder: never, maxPixels: 100 })).toThrowError(/exceeds the limit of 100/);
    expect(() => decodeImage(jpg.subarray(0, jpg.length - 40), { jpegDecoder: never })).toThrowError(/truncated/);
  });

  it('turns its failures and wrong sizes into DecodeErrors', () => {
    expect(() =>
      decodeImage(jpg, {
        jpegDecoder: () => {
          throw new Error('bad Huffman code');
        },
      }),
    ).toThrowError(expect.objectContaining({ code: 'DECODE', message: 'Cannot decode JPEG: bad Huffman code.' }));
    // Messages stay on one line (the CLI prints one line per failed file).
    const multiline = () => {
      throw new Error('Invalid TF_Status: 3\nMessage: jpeg::Uncompress failed.\n');
    };
    expect(() => decodeImage(jpg, { jpegDecoder: multiline })).toThrowError(
      expect.objectContaining({ message: 'Cannot decode JPEG: Invalid TF_Status: 3 Message: jpeg::Uncompress failed.' }),
    );
    const tiny = { width: 1, height: 1, data: new Uint8ClampedArray(4) };
    expect(() => decodeImage(jpg, { jpegDecoder: () => tiny })).toThrowError(/returned 1×1 pixels for a 24×16 frame/);
  });
});

describe('EXIF orientation', () => {
  for (let o = 1; o <= 8; o++) {
    // PNG is lossless, so the transposition itself is checked exactly; JPEG checks the APP1 parsing.
    for (const fmt of ['jpeg', 'png']) {
      it(`${fmt} orientation ${o} matches ImageOps.exif_transpose`, () => {
        const c = orientation[`${fmt}${o}`];
        const plain = decodeImage(bytesOf(c.file), { applyExifOrientation: false });
        expect([plain.width, plain.height]).toEqual([c.decoded.width, c.decoded.height]);
        const upright = decodeImage(bytesOf(c.file)); // applied by default
        const s = diff(upright, toImage(c.upright as StoredImage));
        if (fmt === 'png') expect(s.max).toBe(0);
        else expect(s.max).toBeLessThanOrEqual(4);
      });
    }
  }

  it('leaves orientation 1 and unknown values alone', () => {
    const img = { width: 1, height: 1, data: new Uint8ClampedArray([1, 2, 3, 4]) };
    expect(applyOrientation(img, 1)).toBe(img);
    expect(applyOrientation(img, 9)).toBe(img);
  });
});

describe('encodePng', () => {
  it('round-trips RGBA exactly', () => {
    const img = toImage(variants.rgba8.rgba);
    const png = encodePng(img);
    expect(png).toBeInstanceOf(Uint8Array);
    expect(sniffImageFormat(png)).toBe('png');
    expect(diff(decodeImage(png), img).max).toBe(0);
  });

  it('validates the image', () => {
    expect(() => encodePng({ width: 2, height: 2, data: new Uint8ClampedArray(3) })).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

describe('decodeImage never leaks raw exceptions', () => {
  // Deterministic mutations (truncations and byte flips) of a PNG and a JPEG.
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (const [name, file] of [
    ['png', variants['rgba8-interlaced'].png],
    ['jpeg', orientation.jpeg420.file],
  ] as const) {
    it(`${name}: 300 corrupted copies decode or throw DecodeError`, () => {
      const orig = bytesOf(file);
      for (let k = 0; k < 300; k++) {
        let bytes = orig.slice();
        if (k % 3 === 0) bytes = bytes.subarray(0, rand(bytes.length));
        else for (let j = 0; j <= k % 5; j++) bytes[8 + rand(bytes.length - 8)] = rand(256);
        try {
          const img = decodeImage(bytes);
          expect(img.data.length).toBe(img.width * img.height * 4);
        } catch (err) {
          expect(err).toEqual(expect.objectContaining({ code: 'DECODE' }));
        }
      }
    });
  }
});

describe('encodePng', () => {
  it('writes RGBA and grayscale images that decode to the same pixels', () => {
    const rgba = { width: 3, height: 2, data: new Uint8ClampedArray(Array.from({ length: 24 }, (_, i) => (i * 37) % 256)) };
    expect(decodeImage(encodePng(rgba)).data).toEqual(rgba.data);
    const gray = { width: 3, height: 2, data: new Uint8ClampedArray([0, 50, 100, 150, 200, 255]) };
    const back = decodeImage(encodePng(gray));
    expect(Array.from(back.data)).toEqual([0, 50, 100, 150, 200, 255].flatMap((v) => [v, v, v, 255]));
    expect(() => encodePng({ width: 3, height: 2, data: new Uint8ClampedArray(7) })).toThrow(InvalidInputError);
  });
});
