import { describe, expect, it } from 'vitest';
import { cellScale, rawHeatmapImage } from './heatmap-view';

describe('rawHeatmapImage', () => {
  it('draws each cell as a scale×scale gray block of uint8(x·255), truncated, opaque', () => {
    const image = rawHeatmapImage({ width: 2, height: 1, data: new Float32Array([0.5, 1]) }, 3);
    expect([image.width, image.height]).toEqual([6, 3]);
    const reds = Array.from({ length: 18 }, (_, i) => image.data[i * 4]);
    expect(reds).toEqual([127, 127, 127, 255, 255, 255, 127, 127, 127, 255, 255, 255, 127, 127, 127, 255, 255, 255]);
    expect(Array.from(image.data.subarray(0, 4))).toEqual([127, 127, 127, 255]);
  });

  it('rejects a scale that is not a positive integer, and values outside [0, 1]', () => {
    expect(() => rawHeatmapImage({ width: 1, height: 1, data: new Float32Array([0]) }, 0)).toThrow(/positive integer/);
    expect(() => rawHeatmapImage({ width: 1, height: 1, data: new Float32Array([2]) }, 1)).toThrow(/between 0 and 1/);
  });
});

describe('cellScale', () => {
  it('fits a map to about the target size, never below 1', () => {
    expect(cellScale(7, 224)).toBe(32);
    expect(cellScale(8, 224)).toBe(28);
    expect(cellScale(300, 224)).toBe(1);
  });
});
