import { afterAll, describe, expect, it } from 'vitest';
import { DiffGroup, diff, readFixture, type StoredImage, toImage } from './__fixtures__/fixtures';
import { planResize, premultiplyAlpha, type ResamplingFilter, resize, resizeGray, resolveResamplingFilter, unpremultiplyAlpha } from './resample';

interface ResizeFixture {
  inputs: Record<string, StoredImage>;
  cases: {
    input: string;
    filter: ResamplingFilter;
    size: [number, number];
    box: [number, number, number, number] | null;
    expected: StoredImage;
  }[];
}

const fx = readFixture<ResizeFixture>('resize.json');
const groups = new Map<string, DiffGroup>();

describe('resize / resizeGray match Pillow 12', () => {
  for (const c of fx.cases) {
    const gray = c.expected.mode === 'L';
    const name = `${c.filter} ${gray ? 'L' : 'RGBA'} ${c.input} → ${c.size.join('×')}${c.box ? ` box ${c.box.join(',')}` : ''}`;
    it(name, () => {
      const input = toImage(fx.inputs[c.input]);
      const size = { width: c.size[0], height: c.size[1] };
      const options = c.box ? { box: c.box } : {};
      const out = gray ? resizeGray(input, size, c.filter, options) : resize(input, size, c.filter, options);
      const key = `${c.filter} ${gray ? 'L' : 'RGBA'}`;
      if (!groups.has(key)) groups.set(key, new DiffGroup());
      const s = groups.get(key)?.add(diff(out, toImage(c.expected)));
      expect(s?.max).toBeLessThanOrEqual(1);
      expect(s?.mean).toBeLessThanOrEqual(0.05);
    });
  }
  afterAll(() => {
    for (const [k, g] of groups) console.info(`[fixtures] resize ${k}: ${g}`);
  });
});

describe('resize details', () => {
  const img = { width: 2, height: 1, data: new Uint8ClampedArray([10, 20, 30, 40, 50, 60, 70, 80]) };

  it('returns a copy (not the same buffer) for the same size', () => {
    const out = resize(img, { width: 2, height: 1 }, 'lanczos');
    expect(out.data).toEqual(img.data);
    expect(out.data).not.toBe(img.data);
  });

  it('accepts Pillow ids and upper-case names', () => {
    expect(resolveResamplingFilter(1)).toBe('lanczos');
    expect(resolveResamplingFilter(0)).toBe('nearest');
    expect(resolveResamplingFilter('BICUBIC')).toBe('bicubic');
    expect(resolveResamplingFilter('antialias')).toBe('lanczos');
  });

  it('rejects unknown filters, listing the valid ones', () => {
    expect(() => resize(img, { width: 3, height: 3 }, 'cubic' as ResamplingFilter)).toThrow(
      /Unknown resampling filter "cubic".*'nearest', 'box', 'bilinear', 'hamming', 'bicubic', 'lanczos'/,
    );
    expect(() => resolveResamplingFilter(9)).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('rejects bad sizes, boxes and buffers', () => {
    expect(() => resize(img, { width: 0, height: 3 })).toThrow(/positive integers/);
    expect(() => resize(img, { width: 2.5, height: 3 })).toThrow(/positive integers/);
    expect(() => resize(img, { width: 3, height: 3 }, 'bilinear', { box: [0, 0, 3, 1] })).toThrow(/exceeds/);
    expect(() => resize(img, { width: 3, height: 3 }, 'bilinear', { box: [-1, 0, 1, 1] })).toThrow(/negative/);
    expect(() => resize({ ...img, data: new Uint8ClampedArray(3) }, { width: 3, height: 3 })).toThrow(/8 bytes/);
    expect(() => resizeGray(img, { width: 3, height: 3 })).toThrow(/2 bytes/);
  });

  it('premultiplies and unpremultiplies with Pillow integer formulas', () => {
    const px = { width: 3, height: 1, data: new Uint8ClampedArray([200, 100, 3, 128, 9, 9, 9, 0, 255, 1, 2, 255]) };
    const p = premultiplyAlpha(px);
    // MULDIV255: (c·a + 128 + ((c·a + 128) >> 8)) >> 8
    expect([...p.data]).toEqual([100, 50, 2, 128, 0, 0, 0, 0, 255, 1, 2, 255]);
    const u = unpremultiplyAlpha(p);
    // floor(255·c / a): 100 → 199, 50 → 99, 2 → 3; alpha 0 and 255 keep the colour bytes.
    expect([...u.data]).toEqual([199, 99, 3, 128, 0, 0, 0, 0, 255, 1, 2, 255]);
  });
});

describe('planResize', () => {
  it('gives the rows of resize in any strips, before the final RGBa → RGBA', () => {
    const input = toImage(Object.values(fx.inputs).find((i) => i.mode !== 'L') ?? fx.inputs[fx.cases[0].input]);
    const size = { width: input.width * 3 + 1, height: input.height * 5 + 3 };
    for (const filter of ['nearest', 'bilinear', 'bicubic', 'lanczos'] as const) {
      const { rows, premultiplied } = planResize(input, size, filter);
      expect(premultiplied).toBe(filter !== 'nearest');
      const rowBytes = size.width * 4;
      const data = new Uint8ClampedArray(rowBytes * size.height);
      // Uneven strips, so row groups of the vertical pass get split at every possible place.
      for (let y0 = 0, step = 1; y0 < size.height; y0 += step, step = (step % 7) + 1) {
        const y1 = Math.min(size.height, y0 + step);
        const strip = new Uint8ClampedArray((y1 - y0) * rowBytes);
        rows.readRows(y0, y1, strip);
        data.set(strip, y0 * rowBytes);
      }
      const got = premultiplied ? unpremultiplyAlpha({ ...size, data }) : { ...size, data };
      expect(diff(got, resize(input, size, filter)).max).toBe(0);
    }
  });
});
