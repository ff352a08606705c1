import { describe, expect, it } from 'vitest';
import { mapColor } from './colormaps';
import { formatSignedAsImage, formatSignedHeatmap } from './format-signed';

const image = { width: 2, height: 1, data: new Uint8ClampedArray([255, 255, 255, 255, 255, 255, 255, 255]) };

describe('formatSignedHeatmap (diverging colormap for signed maps)', () => {
  it('positive and negative evidence get opposite ends of the colormap; zero is transparent', () => {
    const out = formatSignedHeatmap({ width: 2, height: 1, data: Float32Array.from([1, -1]) }, image, { alphaLimit: 1, resamplingFilter: 'nearest' });
    const high = mapColor('RdBu_r', 1);
    const low = mapColor('RdBu_r', 0);
    expect(out.data[0]).toBe(Math.trunc(high[0] * 255)); // red for +1
    expect(out.data[6]).toBe(Math.trunc(low[2] * 255)); // blue for −1
    expect(out.data[0]).toBeGreaterThan(out.data[2]);
    expect(out.data[6]).toBeGreaterThan(out.data[4]);
    const zero = formatSignedHeatmap({ width: 2, height: 1, data: Float32Array.from([0, 0]) }, image, { resamplingFilter: 'nearest' });
    expect(Array.from(zero.data)).toEqual(Array.from(image.data));
  });

  it('scales by max|value| by default and rejects NaN', () => {
    const a = formatSignedHeatmap({ width: 2, height: 1, data: Float32Array.from([0.2, -0.1]) }, image, { resamplingFilter: 'nearest' });
    const b = formatSignedHeatmap({ width: 2, height: 1, data: Float32Array.from([1, -0.5]) }, image, { resamplingFilter: 'nearest' });
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(() => formatSignedHeatmap({ width: 2, height: 1, data: Float32Array.from([Number.NaN, 0]) }, image)).toThrow(/NaN/);
  });

  it('formatSignedAsImage draws a chosen target of an explanation', () => {
    const expl = {
      estimator: 'm',
      description: '',
      method: 'HiResCAM',
      layer: 'l',
      backend: 'cpu',
      image,
      outputs: [0.5, 0.5],
      targets: [
        { target: 0, score: 0.5, heatmap: { width: 2, height: 1, data: Float32Array.from([1, -1]) } },
        { target: 1, score: 0.5, heatmap: { width: 2, height: 1, data: Float32Array.from([-1, 1]) } },
      ],
    };
    const first = formatSignedAsImage(expl, { resamplingFilter: 'nearest' });
    const second = formatSignedAsImage(expl, { target: 1, resamplingFilter: 'nearest' });
    expect(Array.from(first.data.slice(0, 4))).toEqual(Array.from(second.data.slice(4, 8)));
    expect(() => formatSignedAsImage(expl, { target: 7 })).toThrow(/Explained targets: 0, 1/);
  });
});
