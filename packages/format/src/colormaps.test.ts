import { describe, expect, it } from 'vitest';
import { readFixture } from './__fixtures__/fixtures';
import { type ColormapName, colorize, colormapIndex, colormapNames, createColormap, getColormap, mapColor } from './colormaps';

interface ColormapFixture {
  matplotlib: string;
  probes64: number[];
  probes32: number[];
  colormaps: Record<string, { table: number[]; probes64: number[]; probes32: number[]; nan: number[] }>;
}

const fx = readFixture<ColormapFixture>('colormaps.json');

describe('built-in colormaps equal matplotlib', () => {
  it('has the twelve tables', () => {
    expect([...colormapNames].sort()).toEqual(Object.keys(fx.colormaps).sort());
  });

  for (const name of colormapNames) {
    const ref = fx.colormaps[name];
    it(`${name}: 256-entry table`, () => {
      const t = getColormap(name);
      expect(t.lut.length).toBe(256 * 4);
      const rgb: number[] = [];
      for (let i = 0; i < 256; i++) rgb.push(t.lut[i * 4], t.lut[i * 4 + 1], t.lut[i * 4 + 2]);
      expect(rgb).toEqual(ref.table);
      for (let i = 0; i < 256; i++) expect(t.lut[i * 4 + 3]).toBe(1);
    });

    it(`${name}: float lookups (edges, out of range, NaN) as cmap(x)`, () => {
      const got64 = fx.probes64.flatMap((x) => [...mapColor(name, x)]);
      expect(got64).toEqual(ref.probes64);
      const heat = { width: fx.probes32.length, height: 1, data: Float32Array.from(fx.probes32) };
      expect([...colorize(heat, name).data]).toEqual(ref.probes32);
      expect([...mapColor(name, Number.NaN)]).toEqual(ref.nan);
    });
  }
});

describe('colormap lookup rule', () => {
  it('is floor(x·N) with x = 1 on the last row, under/over/bad outside', () => {
    expect(colormapIndex(0, 256)).toBe(0);
    expect(colormapIndex(1 / 256, 256)).toBe(1);
    expect(colormapIndex(0.999999, 256)).toBe(255);
    expect(colormapIndex(1, 256)).toBe(255);
    expect(colormapIndex(-1e-9, 256)).toBe(-1);
    expect(colormapIndex(1 + 1e-9, 256)).toBe(256);
    expect(colormapIndex(Number.NaN, 256)).toBe(-2);
    // NumPy multiplies a float32 array in float32: float32(0.7)·10 rounds up to 7.
    expect(colormapIndex(Math.fround(0.7), 10, true)).toBe(7);
    expect(colormapIndex(Math.fround(0.7), 10)).toBe(6);
  });

  it('uses custom tables and functions', () => {
    const two = createColormap([
      [1, 0, 0],
      [0, 0, 1, 0.5],
    ]);
    expect(mapColor(two, 0.49)).toEqual([1, 0, 0, 1]);
    expect(mapColor(two, 0.5)).toEqual([0, 0, 1, 0.5]);
    expect(mapColor(two, -1)).toEqual([1, 0, 0, 1]);
    expect(mapColor(two, Number.NaN)).toEqual([0, 0, 0, 0]);
    expect(mapColor((v) => [v, v, v], 0.25)).toEqual([0.25, 0.25, 0.25, 1]);
  });

  it('returns copies of built-in tables', () => {
    const a = getColormap('viridis');
    a.lut[0] = 42;
    expect(getColormap('viridis').lut[0]).toBe(0.267004);
  });

  it('rejects unknown names with the valid list', () => {
    expect(() => getColormap('Viridis')).toThrow(/Unknown colormap "Viridis".*'viridis', 'plasma'.*'RdBu_r'/);
    expect(() => colorize({ width: 1, height: 1, data: new Float32Array(1) }, 'nope' as ColormapName)).toThrowError(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
    expect(() => createColormap([[2, 0, 0]])).toThrow(/floats in \[0, 1\]/);
    expect(() => mapColor(() => [1, 2], 0.5)).toThrow(/expected \[r, g, b\]/);
  });
});
