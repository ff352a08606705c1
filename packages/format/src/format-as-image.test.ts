import type { Explanation, Heatmap } from '@gradcam/core';
import { afterAll, describe, expect, it } from 'vitest';
import { DiffGroup, diff, readFixture, type StoredImage, toImage } from './__fixtures__/fixtures';
import { type ColormapName, colorize } from './colormaps';
import { alphaComposite } from './composite';
import { formatAsImage, formatHeatmap } from './format-as-image';
import { expandHeatmap, heatmapToImage } from './heatmap';
import { type ResamplingFilter, resize } from './resample';

interface FormatFixture {
  heatmaps: Record<string, { width: number; height: number; values: number[] }>;
  images: Record<string, StoredImage>;
  cases: {
    heatmap: string;
    image: string;
    colormap: ColormapName;
    alphaLimit: number | null;
    filter: ResamplingFilter;
    small: StoredImage;
    expected: StoredImage;
  }[];
  gray: { heatmap: string; image: StoredImage; expanded: Record<string, StoredImage> }[];
}

const fx = readFixture<FormatFixture>('format.json');

function heatmap(name: string): Heatmap {
  const h = fx.heatmaps[name];
  return { width: h.width, height: h.height, data: Float32Array.from(h.values) };
}

function explanation(h: Heatmap, image = toImage(fx.images.cat37x23)): Explanation {
  return {
    estimator: 'test',
    description: '',
    method: 'Grad-CAM',
    layer: 'conv',
    backend: 'cpu',
    image,
    outputs: [0, 0, 0, 0.9, 0, 0, 0, 0.1],
    targets: [
      { target: 3, score: 0.9, heatmap: h },
      { target: 7, score: 0.1, heatmap: { width: 1, height: 1, data: new Float32Array([1]) } },
    ],
  };
}

const overall = new DiffGroup();
const byFilter = new Map<string, DiffGroup>();

describe('formatAsImage reproduces ELI5 format_as_image', () => {
  for (const c of fx.cases) {
    it(`${c.heatmap} on ${c.image}, ${c.colormap}, alpha ${c.alphaLimit}, ${c.filter}`, () => {
      const expl = explanation(heatmap(c.heatmap), toImage(fx.images[c.image]));
      const out = formatAsImage(expl, { colormap: c.colormap, alphaLimit: c.alphaLimit, resamplingFilter: c.filter });
      const s = overall.add(diff(out, toImage(c.expected)));
      if (!byFilter.has(c.filter)) byFilter.set(c.filter, new DiffGroup());
      byFilter.get(c.filter)?.add(s);
      expect(s.max).toBeLessThanOrEqual(1);
      expect(s.mean).toBeLessThanOrEqual(0.05);
    });
  }
  afterAll(() => {
    console.info(`[fixtures] formatAsImage all: ${overall}`);
    for (const [k, g] of byFilter) console.info(`[fixtures] formatAsImage ${k}: ${g}`);
  });
});

describe('heatmapToImage / expandHeatmap (gray) match ELI5', () => {
  for (const g of fx.gray) {
    it(`${g.heatmap}`, () => {
      const h = heatmap(g.heatmap);
      expect(diff(heatmapToImage(h), toImage(g.image)).max).toBe(0);
      const target = { width: 37, height: 23, data: new Uint8ClampedArray(37 * 23 * 4) };
      for (const [filter, expected] of Object.entries(g.expanded)) {
        const out = expandHeatmap(h, target, { resamplingFilter: filter as ResamplingFilter });
        expect(diff(out, toImage(expected)).max).toBe(0);
      }
    });
  }
});

describe('formatAsImage options and validation', () => {
  const h = heatmap('random7x7');

  it('defaults to the first target, ELI5 defaults (viridis, 0.65, lanczos)', () => {
    const ref = fx.cases.find((c) => c.heatmap === 'random7x7' && c.image === 'cat37x23');
    expect(ref?.colormap).toBe('viridis');
    const out = formatAsImage(explanation(h));
    expect(diff(out, toImage(ref?.expected as StoredImage)).max).toBe(0);
  });

  it('selects a target by class id, and rejects unknown ones listing the explained targets', () => {
    const image = toImage(fx.images.cat37x23);
    const viaTarget = formatAsImage(explanation(h), { target: 7 });
    const direct = formatHeatmap({ width: 1, height: 1, data: new Float32Array([1]) }, image);
    expect(viaTarget.data).toEqual(direct.data);
    expect(() => formatAsImage(explanation(h), { target: 5 })).toThrowError(
      expect.objectContaining({ code: 'INVALID_TARGET', message: expect.stringMatching(/Target 5.*3, 7/) }),
    );
  });

  it('returns a copy of the image when there are no targets', () => {
    const expl = { ...explanation(h), targets: [] };
    const out = formatAsImage(expl);
    expect(out.data).toEqual(expl.image?.data);
    expect(out.data).not.toBe(expl.image?.data);
  });

  it('requires an image', () => {
    const { image: _image, ...rest } = explanation(h);
    expect(() => formatAsImage(rest)).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/no image/) }));
  });

  it('rejects heatmap values outside [0, 1] and NaN', () => {
    const image = toImage(fx.images.cat37x23);
    const bad = { width: 2, height: 1, data: new Float32Array([0.5, 1.5]) };
    expect(() => formatHeatmap(bad, image)).toThrow(/between 0 and 1.*maximum 1.5/);
    const nan = { width: 2, height: 1, data: new Float32Array([0.5, Number.NaN]) };
    expect(() => formatHeatmap(nan, image)).toThrow(/NaN at index 1/);
    const short = { width: 2, height: 2, data: new Float32Array(3) };
    expect(() => formatHeatmap(short, image)).toThrow(/4 values, got 3/);
  });

  it('rejects alphaLimit outside [0, 1], unknown colormaps and filters', () => {
    const image = toImage(fx.images.cat37x23);
    expect(() => formatHeatmap(h, image, { alphaLimit: 1.2 })).toThrow(/alphaLimit.*between 0 and 1.*1.2/);
    expect(() => formatHeatmap(h, image, { alphaLimit: -0.1 })).toThrowError(expect.objectContaining({ code: 'INVALID_INPUT' }));
    expect(() => formatHeatmap(h, image, { colormap: 'jett' as ColormapName })).toThrow(/'jet'/);
    expect(() => formatHeatmap(h, image, { resamplingFilter: 'cubic' as ResamplingFilter })).toThrow(/'bicubic'/);
    expect(() => formatHeatmap(h, image, { colormap: () => [2, 0, 0, 1] })).toThrow(/colormap output/);
  });

  it('accepts a colormap function (alpha replaced by the heatmap)', () => {
    const image = { width: 7, height: 7, data: new Uint8ClampedArray(7 * 7 * 4).fill(255) };
    const out = formatHeatmap(h, image, { colormap: () => [0, 0, 0, 1], alphaLimit: null, resamplingFilter: 'nearest' });
    for (let i = 0; i < 49; i++) {
      // Black over white with alpha = trunc(h·255)/255.
      const a = Math.trunc(h.data[i] * 255);
      expect(Math.abs(out.data[i * 4] - (255 - a))).toBeLessThanOrEqual(1);
      expect(out.data[i * 4 + 3]).toBe(255);
    }
  });
});

describe('formatHeatmap on images larger than one composite strip', () => {
  it('equals colorize → heatmapToImage → resize → alphaComposite done step by step', () => {
    const h = heatmap('random7x7');
    const width = 301;
    const height = 457;
    const data = new Uint8ClampedArray(width * height * 4);
    for (let i = 0; i < data.length; i++) data[i] = (i * 2654435761) >>> 24;
    // A few translucent and transparent pixels in the photo too.
    for (let i = 3; i < data.length; i += 4) data[i] = i % 28 === 3 ? data[i] : 255;
    const image = { width, height, data };
    for (const filter of ['lanczos', 'bilinear', 'nearest'] as const) {
      const colored = colorize(h, 'viridis');
      for (let i = 0; i < h.data.length; i++) colored.data[i * 4 + 3] = Math.min(h.data[i], Math.fround(0.65));
      const overlay = resize(heatmapToImage(colored), { width, height }, filter);
      const expected = alphaComposite(image, overlay);
      expect(diff(formatHeatmap(h, image, { resamplingFilter: filter }), expected).max).toBe(0);
    }
  });
});
