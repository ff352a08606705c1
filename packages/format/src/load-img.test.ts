import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentServer, staticServer } from '@gradcam/io/testing';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { DiffGroup, diff, fromBase64, readFixture, readFixtureBytes } from './__fixtures__/fixtures';
import { decodeImage } from './codecs';
import { loadImg } from './load-img';
import type { ResamplingFilter } from './resample';

interface LoadImgFixture {
  cases: {
    source: string;
    targetSize: [number, number];
    interpolation: ResamplingFilter;
    keepAspectRatio: boolean;
    expected: string;
  }[];
}

const fx = readFixture<LoadImgFixture>('load-img.json');
const examples = new URL('../../../examples/images/', import.meta.url);
const png = new URL('chelsea.png', examples);
const groups = { png: new DiffGroup(), jpeg: new DiffGroup() };

describe("loadImg reproduces Keras' load_img", () => {
  for (const c of fx.cases) {
    const isJpeg = c.source.endsWith('.jpg');
    it(`${c.source} → ${c.targetSize.join('×')} ${c.interpolation}${c.keepAspectRatio ? ' keepAspectRatio' : ''}`, async () => {
      const out = await loadImg(new URL(c.source, examples).pathname, {
        targetSize: c.targetSize,
        interpolation: c.interpolation,
        keepAspectRatio: c.keepAspectRatio,
      });
      expect([out.height, out.width]).toEqual(c.targetSize);
      const expected = decodeImage(readFixtureBytes(c.expected));
      const s = (isJpeg ? groups.jpeg : groups.png).add(diff(out, expected));
      if (isJpeg) {
        // jpeg-js is not libjpeg-turbo: allow its small IDCT/colour-conversion differences.
        expect(s.max).toBeLessThanOrEqual(4);
        expect(s.mean).toBeLessThan(1);
      } else {
        expect(s.max).toBeLessThanOrEqual(1);
        expect(s.mean).toBeLessThanOrEqual(0.05);
      }
    });
  }
  afterAll(() => {
    console.info(`[fixtures] loadImg PNG sources: ${groups.png}`);
    console.info(`[fixtures] loadImg JPEG source: ${groups.jpeg}`);
  });
});

describe("loadImg = Pillow's convert('RGB') for every PNG variant", () => {
  const variants = readFixture<Record<string, { png: string; pillowMode: string; rgb: string }>>('png-variants.json');
  for (const [name, v] of Object.entries(variants)) {
    if (v.pillowMode === 'I;16') {
      // A documented deviation: Pillow clips 16-bit gray ('I;16') to 255 (an almost white
      // image); we keep the high byte, as Pillow itself does for the other 16-bit modes.
      it(`${name}: keeps the high byte of each 16-bit sample (Pillow would clip to 255)`, async () => {
        const bytes = new Uint8Array(fromBase64(v.png));
        const raw = PNG.sync.read(Buffer.from(bytes), { skipRescale: true });
        const samples = raw.data as unknown as Uint16Array;
        const out = await loadImg(bytes);
        for (let p = 0; p < out.width * out.height; p++) {
          const high = samples[p * 4] >> 8;
          expect([out.data[p * 4], out.data[p * 4 + 1], out.data[p * 4 + 2]]).toEqual([high, high, high]);
        }
        const pillow = fromBase64(v.rgb);
        expect(pillow.some((b) => b === 255)).toBe(true);
      });
      continue;
    }
    it(name, async () => {
      const out = await loadImg(new Uint8Array(fromBase64(v.png)));
      const rgb = fromBase64(v.rgb);
      const ours = out.data.filter((_, i) => i % 4 !== 3);
      expect(Buffer.from(ours).equals(Buffer.from(rgb))).toBe(true);
    });
  }
});

describe('loadImg inputs and errors', () => {
  it('reads bytes, ArrayBuffers and file URLs alike, with opaque alpha', async () => {
    const bytes = readFixtureBytes('loadimg-coffee-100x150.png');
    const a = await loadImg(bytes);
    const b = await loadImg(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    const c = await loadImg(new URL('__fixtures__/loadimg-coffee-100x150.png', import.meta.url));
    expect(a.data).toEqual(b.data);
    expect(a.data).toEqual(c.data);
    expect([a.width, a.height]).toEqual([150, 100]);
    for (let i = 3; i < a.data.length; i += 4) expect(a.data[i]).toBe(255);
  });

  it('accepts an already decoded image, resizes it the same way and leaves it untouched', async () => {
    const decoded = decodeImage(new Uint8Array(readFileSync(png.pathname)));
    decoded.data[3] = 7; // a translucent pixel: convert('RGB') must make the copy opaque, not the original
    const before = Uint8ClampedArray.from(decoded.data);
    const fromImage = await loadImg(decoded, { targetSize: [224, 224] });
    const fromPath = await loadImg(png.pathname, { targetSize: [224, 224] });
    expect(fromImage.data).toEqual(fromPath.data);
    expect(decoded.data).toEqual(before);
  });

  it('keeps the decoded size without targetSize or when it already matches', async () => {
    const full = await loadImg(png.pathname);
    expect([full.width, full.height]).toEqual([451, 300]);
    const same = await loadImg(png.pathname, { targetSize: [300, 451], interpolation: 'lanczos' });
    expect(same.data).toEqual(full.data);
  });

  it('names the path of a missing file', async () => {
    await expect(loadImg('/no/such/image.png')).rejects.toThrowError(
      expect.objectContaining({ code: 'DECODE', message: expect.stringMatching(/'\/no\/such\/image.png': no such file/) }),
    );
  });

  it('reads only regular files within maxBytes: a FIFO is refused at once, /dev/zero is not read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gradcam-load-img-'));
    try {
      execFileSync('mkfifo', [join(dir, 'pipe.png')]);
      await expect(loadImg(join(dir, 'pipe.png'))).rejects.toThrowError(
        expect.objectContaining({ code: 'DECODE', message: expect.stringMatching(/'.*pipe\.png': it is a FIFO \(named pipe\), not a regular file/) }),
      );
      await expect(loadImg('/dev/zero')).rejects.toThrow(/'\/dev\/zero': it is a character device, not a regular file/);
      await expect(loadImg(png.pathname, { maxBytes: 1000 })).rejects.toThrow(/it is \d+ bytes, more than the limit of 1000 bytes/);
      // file: URLs are paths too; other schemes are refused.
      expect((await loadImg(pathToFileURL(png.pathname))).width).toBe(451);
      await expect(loadImg(new URL('ftp://example.com/cat.png'))).rejects.toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('URLs: the bytes of a local server, bounded in time and size', async () => {
    const bytes = new Uint8Array(readFileSync(png.pathname));
    const server = await staticServer(new Map([['/cat.png', bytes]]));
    const silent = await silentServer();
    try {
      expect((await loadImg(`${server.origin}/cat.png`)).data).toEqual((await loadImg(bytes)).data);
      await expect(loadImg(`${server.origin}/cat.png`, { maxBytes: 100 })).rejects.toThrow(/more than the limit of 100 bytes/);
      await expect(loadImg(`${server.origin}/dog.png`)).rejects.toThrowError(
        expect.objectContaining({ code: 'DECODE', message: expect.stringMatching(/HTTP 404/) }),
      );
      await expect(loadImg(`${silent.origin}/cat.png`, { timeoutMs: 200 })).rejects.toThrow(/nothing arrived for 0\.2 s/);
    } finally {
      await Promise.all([server.close(), silent.close()]);
    }
  });

  it('names the path of an undecodable file', async () => {
    const readme = new URL('README.md', examples).pathname;
    await expect(loadImg(readme)).rejects.toThrow(/Unknown image format.*README.md/);
  });

  it('validates options', async () => {
    await expect(loadImg(png.pathname, { targetSize: [0, 10] })).rejects.toThrow(/\[height, width\] positive integers/);
    await expect(loadImg(png.pathname, { interpolation: 'cubic' as ResamplingFilter })).rejects.toThrowError(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    await expect(loadImg(png.pathname, { maxPixels: 1000 })).rejects.toThrow(/exceeds the limit of 1000/);
    await expect(loadImg(42 as unknown as string)).rejects.toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
