// Decoder fuzzing: thousands of damaged PNG/JPEG files through decodeImage and loadImg must
// end in a decoded image or a typed DecodeError — never another error, a crash, a hang or
// unbounded memory. The corpus is seeded, so a failure names a file that can be rebuilt.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GradcamError } from '@gradcam/core/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromBase64, readFixture } from './__fixtures__/fixtures';
import { DEFAULT_MAX_PIXELS, decodeImage, imageSize } from './codecs';
import { fuzzSeedImages, type MutatedImage, mutateImages, type SeedImage } from './fuzz-corpus';
import { loadImg } from './load-img';

// The work a decode may do, in declared pixels per byte of input, for a file that is not
// refused from its header: deflate expands at most 1032:1 and a 1-bit PNG packs 8 pixels a byte;
// a Huffman-coded JPEG spends at least one bit per 8×8 block. A damaged file that declares more
// than this is refused before the decoder allocates or walks its raster — the deterministic form
// of "no file is slow" (a time bound would fail on a busy machine).
const PIXELS_PER_BYTE = 1032 * 8;
// Refusals that come from the header alone, before any pixel is decoded.
const HEADER_REFUSAL =
  /need at least \d+ bytes|exceeds the limit|no IHDR header|no frame header|declares an empty|Unknown image format|Unsupported image format/;
// The corpus holds declared sizes up to 9000×9000 (under the default pixel limit) whose pixel
// data is missing; decoding those must fail without allocating the whole raster for good.
const RSS_GROWTH_LIMIT = 512 * 2 ** 20;

function fixtureSeeds(): SeedImage[] {
  const variants = readFixture<Record<string, { png: string }>>('png-variants.json');
  const orientation = readFixture<Record<string, { file: string }>>('orientation.json');
  const png = ['gray1', 'rgb16', 'palette8', 'palette4-trns', 'rgba8-interlaced', 'gray2-interlaced'];
  return [
    ...png.map((name) => ({ name: `${name}.png`, bytes: new Uint8Array(fromBase64(variants[name].png)) })),
    { name: 'jpeg420.jpg', bytes: new Uint8Array(fromBase64(orientation.jpeg420.file)) },
    { name: 'exif6-pillow.jpg', bytes: new Uint8Array(fromBase64(orientation.jpeg6.file)) },
  ];
}

interface Outcome {
  readonly file: MutatedImage;
  readonly error?: unknown;
}

function expectTypedOrDecoded(outcomes: readonly Outcome[], decoded: (o: Outcome) => { width: number; height: number; data: ArrayLike<number> } | undefined) {
  const untyped = outcomes.filter((o) => o.error !== undefined && !(GradcamError.isInstance(o.error) && o.error.code === 'DECODE'));
  expect(
    untyped.map((o) => `${o.file.name}: ${String(o.error)}`),
    'every failure is a DecodeError',
  ).toEqual([]);
  const unbounded = outcomes.filter((o) => {
    if (o.error !== undefined && HEADER_REFUSAL.test((o.error as Error).message)) return false;
    const size = imageSize(o.file.bytes);
    return size !== undefined && size.width * size.height > PIXELS_PER_BYTE * o.file.bytes.length;
  });
  expect(
    unbounded.map((o) => `${o.file.name}: ${JSON.stringify(imageSize(o.file.bytes))} from ${o.file.bytes.length} bytes`),
    `every file the decoder works on declares at most ${PIXELS_PER_BYTE} pixels per byte`,
  ).toEqual([]);
  // The bound is not vacuous: the corpus has files that declare far more, and they are refused from the header.
  const bombs = outcomes.filter((o) => {
    const size = imageSize(o.file.bytes);
    return size !== undefined && size.width * size.height > PIXELS_PER_BYTE * o.file.bytes.length;
  });
  expect(bombs.length).toBeGreaterThan(0);
  for (const o of outcomes) {
    const img = decoded(o);
    if (!img) continue;
    expect(img.width * img.height * 4, o.file.name).toBe(img.data.length);
    expect(img.width * img.height, o.file.name).toBeLessThanOrEqual(DEFAULT_MAX_PIXELS);
  }
}

describe('decoder fuzzing (2 000 damaged PNG/JPEG files, seeded)', () => {
  const seeds = [...fuzzSeedImages(), ...fixtureSeeds()];
  const corpus = mutateImages(2_000, { seed: 9, seeds });

  it('the corpus covers every seed with every kind of damage, deterministically', () => {
    expect(new Set(corpus.map((f) => `${f.seed}/${f.mutation}`)).size).toBe(seeds.length * 5);
    expect(mutateImages(50, { seed: 9, seeds }).map((f) => Buffer.from(f.bytes).toString('base64'))).toEqual(
      corpus.slice(0, 50).map((f) => Buffer.from(f.bytes).toString('base64')),
    );
    // Every seed decodes undamaged, so the failures come from the damage.
    for (const s of seeds) expect(() => decodeImage(s.bytes), s.name).not.toThrow();
  });

  it('decodeImage: a decoded image or a DecodeError for each file, work bounded by the input, memory bounded', () => {
    const rssBefore = process.memoryUsage().rss;
    const results = new Map<MutatedImage, ReturnType<typeof decodeImage>>();
    const outcomes: Outcome[] = corpus.map((file) => {
      try {
        results.set(file, decodeImage(file.bytes));
        return { file };
      } catch (error) {
        return { file, error };
      }
    });
    expectTypedOrDecoded(outcomes, (o) => results.get(o.file));
    // Deterministic: a second decode gives the same pixels or the same error. (pngjs once
    // returned uninitialised memory for corrupt deflate streams: random pixels, random errors.)
    const differing = corpus.filter((file) => {
      let again: string;
      try {
        again = Buffer.from(decodeImage(file.bytes).data).toString('base64');
      } catch (error) {
        again = String(error);
      }
      const first = results.get(file);
      const error = outcomes.find((o) => o.file === file)?.error;
      return again !== (first ? Buffer.from(first.data).toString('base64') : String(error));
    });
    expect(differing.map((f) => f.name)).toEqual([]);
    results.clear();
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT);
    // Both outcomes occur: the damage is neither always fatal nor always harmless.
    const failed = outcomes.filter((o) => o.error).length;
    expect(failed).toBeGreaterThan(corpus.length / 4);
    expect(failed).toBeLessThan(corpus.length);
  }, 120_000);

  describe('loadImg from files', () => {
    let dir: string;
    // Every 4th file (500) through the file path, decoded and resized as Keras' load_img.
    const subset = corpus.filter((_, i) => i % 4 === 0);
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'gradcam-fuzz-'));
      await Promise.all(subset.map((f) => writeFile(join(dir, f.name), f.bytes)));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('gives a 24×24 image or a DecodeError naming the file', async () => {
      const rssBefore = process.memoryUsage().rss;
      const outcomes: Outcome[] = [];
      for (const file of subset) {
        try {
          const img = await loadImg(join(dir, file.name), { targetSize: [24, 24] });
          expect([img.width, img.height, img.data.length]).toEqual([24, 24, 24 * 24 * 4]);
          outcomes.push({ file });
        } catch (error) {
          outcomes.push({ file, error });
          if (GradcamError.isInstance(error)) expect(error.message).toContain(file.name);
        }
      }
      expectTypedOrDecoded(outcomes, () => undefined);
      expect(process.memoryUsage().rss - rssBefore).toBeLessThan(RSS_GROWTH_LIMIT);
    }, 120_000);
  });
});
