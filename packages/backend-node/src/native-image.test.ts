import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { decodeImage } from '@gradcam/format';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tensorflowJpegDecoder, useTensorflowBackend } from './index.js';

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
