import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DecodeError } from '@gradcam/core';
import { decodeImage } from '@gradcam/format';
import { fuzzSeedImages, mutateImages } from '@gradcam/format/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tensorflowJpegDecoder, tensorflowPngDecoder, useTensorflowBackend } from './index.js';

const examples = new URL('../../../examples/images/', import.meta.url);
const pillow = JSON.parse(readFileSync(new URL('../../format/src/__fixtures__/load-img.json', import.meta.url), 'utf8')) as {
  decoded: Record<string, { width: number; height: number; sha256: string }>;
};

describe.skipIf(process.env.GRADCAM_SKIP_TFJS_NODE === '1')('JPEG decoding through tfjs-node (libjpeg-turbo)', () => {
  it("gives Pillow's exact pixels for the sample photo, where jpeg-js does not", async () => {
    await useTensorflowBackend();
    const jpegDecoder = await tensorflowJpegDecoder();
    expect(jpegDecoder).toBeDefined();
    const bytes = new Uint8Array(readFileSync(new URL('rocket.jpg', examples)));
    const before = tf.memory().numTensors;
    const native = decodeImage(bytes, { jpegDecoder });
    expect(tf.memory().numTensors).toBe(before);
    const sha = (data: Uint8ClampedArray) => createHash('sha256').update(data).digest('hex');
    expect([native.width, native.height]).toEqual([pillow.decoded['rocket.jpg'].width, pillow.decoded['rocket.jpg'].height]);
    expect(sha(native.data)).toBe(pillow.decoded['rocket.jpg'].sha256);
    expect(sha(decodeImage(bytes).data)).not.toBe(pillow.decoded['rocket.jpg'].sha256);
  });

  it('is undefined unless tensorflow is the active backend', async () => {
    await tf.setBackend('cpu');
    expect(await tensorflowJpegDecoder()).toBeUndefined();
  });

  it('reports a corrupt JPEG as a DecodeError', async () => {
    await useTensorflowBackend();
    const jpegDecoder = await tensorflowJpegDecoder();
    const bytes = new Uint8Array(readFileSync(new URL('rocket.jpg', examples)));
    const corrupt = bytes.slice();
    // libjpeg (like Pillow) decodes garbage in the scan with a warning; a broken frame header fails.
    const sof = corrupt.findIndex((b, i) => b === 0xff && corrupt[i + 1] >= 0xc0 && corrupt[i + 1] <= 0xc2);
    corrupt[sof + 9] = 0; // no colour components
    expect(() => decodeImage(corrupt, { jpegDecoder })).toThrowError(expect.objectContaining({ code: 'DECODE' }));
    // TensorFlow's two-line status ("Invalid TF_Status: 3\nMessage: …") becomes one line.
    expect(() => decodeImage(corrupt, { jpegDecoder })).toThrowError(/^Cannot decode JPEG: libjpeg-turbo: [^\n]+$/);
  });
});

describe.skipIf(process.env.GRADCAM_SKIP_TFJS_NODE === '1')('PNG decoding through tfjs-node (libpng)', () => {
  const variants = JSON.parse(readFileSync(new URL('../../format/src/__fixtures__/png-variants.json', import.meta.url), 'utf8')) as Record<
    string,
    { png: string }
  >;

  it('gives the same pixels as the pure-JavaScript path (checked against Pillow in @gradcam/format) for every colour type and bit depth', async () => {
    await useTensorflowBackend();
    const pngDecoder = await tensorflowPngDecoder();
    expect(pngDecoder).toBeDefined();
    const before = tf.memory().numTensors;
    expect(Object.keys(variants).length).toBeGreaterThanOrEqual(20);
    for (const [name, { png }] of Object.entries(variants)) {
      const bytes = new Uint8Array(Buffer.from(png, 'base64'));
      const native = decodeImage(bytes, { pngDecoder });
      const pure = decodeImage(bytes);
      expect([native.width, native.height], name).toEqual([pure.width, pure.height]);
      expect(Buffer.from(native.data).equals(Buffer.from(pure.data)), name).toBe(true);
    }
    for (const name of ['chelsea.png', 'coffee.png', 'astronaut.png']) {
      const bytes = new Uint8Array(readFileSync(new URL(name, examples)));
      expect(Buffer.from(decodeImage(bytes, { pngDecoder }).data).equals(Buffer.from(decodeImage(bytes).data)), name).toBe(true);
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it('damaged PNGs (the seeded fuzz corpus): the same image or a DecodeError, as the pure-JavaScript path gives', async () => {
    await useTensorflowBackend();
    const pngDecoder = await tensorflowPngDecoder();
    const seeds = fuzzSeedImages().filter((s) => s.name.endsWith('.png'));
    const outcome = (bytes: Uint8Array, options: object) => {
      try {
        return Buffer.from(decodeImage(bytes, options).data).toString('base64');
      } catch (error) {
        expect(error).toBeInstanceOf(DecodeError);
        return 'DecodeError';
      }
    };
    const corpus = mutateImages(600, { seed: 17, seeds });
    const differing = corpus.filter((f) => outcome(f.bytes, { pngDecoder }) !== outcome(f.bytes, {}));
    // libpng and zlib are stricter or more lenient than pngjs on a few damaged files; none may
    // give different pixels where both decode.
    const bothDecoded = differing.filter((f) => outcome(f.bytes, { pngDecoder }) !== 'DecodeError' && outcome(f.bytes, {}) !== 'DecodeError');
    expect(bothDecoded.map((f) => f.name)).toEqual([]);
    expect(differing.length).toBeLessThan(corpus.length / 20);
  }, 120_000);
});
