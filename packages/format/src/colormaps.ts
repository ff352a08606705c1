import type { Heatmap } from '@gradcam/core';
import { InvalidInputError, listChoices } from '@gradcam/core/errors';
import { COLORMAP_DATA, COLORMAP_NAMES } from './colormap-data';
import { OVERLAY_DEFAULTS } from './overlay-defaults';
import type { ColoredHeatmap, Rgba } from './types';

/** Name of a built-in colormap (matplotlib's tables, 256 entries each). */
export type ColormapName = (typeof COLORMAP_NAMES)[number];

/**
 * A user colormap: maps a heatmap value (float, normally in [0, 1]) to RGBA floats in [0, 1].
 * Three components mean an opaque colour. It is called once per heatmap pixel; the alpha it
 * returns is replaced by the heatmap-derived alpha in `formatAsImage`.
 */
export type ColormapFunction = (value: number) => readonly number[];

/**
 * A lookup-table colormap with matplotlib's semantics: `lut` holds N rows of RGBA floats (flat,
 * length N·4); values below 0 map to `under`, above 1 to `over`, NaN to `bad`.
 */
export interface ColormapTable {
  readonly name: string;
  readonly lut: Float64Array;
  readonly under: Rgba;
  readonly over: Rgba;
  readonly bad: Rgba;
}

/** Anything accepted where a colormap is expected. */
export type Colormap = ColormapName | ColormapTable | ColormapFunction;

/** Names of the built-in colormaps. */
export const colormapNames: readonly ColormapName[] = Object.freeze([...COLORMAP_NAMES]);

const TRANSPARENT: Rgba = [0, 0, 0, 0];

// Parsed tables, filled on first use. It only memoises immutable data and is never handed out.
const parsed = new Map<ColormapName, ColormapTable>();

function isColormapName(name: string): name is ColormapName {
  return (COLORMAP_NAMES as readonly string[]).includes(name);
}

function builtinTable(name: ColormapName): ColormapTable {
  const cached = parsed.get(name);
  if (cached) return cached;
  const rgb = COLORMAP_DATA[name].split(',').map(Number);
  const n = rgb.length / 3;
  const lut = new Float64Array(n * 4);
  for (let i = 0; i < n; i++) {
    lut[i * 4] = rgb[i * 3];
    lut[i * 4 + 1] = rgb[i * 3 + 1];
    lut[i * 4 + 2] = rgb[i * 3 + 2];
    lut[i * 4 + 3] = 1;
  }
  const table: ColormapTable = { name, lut, under: row(lut, 0), over: row(lut, n - 1), bad: TRANSPARENT };
  parsed.set(name, table);
  return table;
}

function row(lut: Float64Array, i: number): Rgba {
  return [lut[i * 4], lut[i * 4 + 1], lut[i * 4 + 2], lut[i * 4 + 3]];
}

function unknownColormap(name: unknown): InvalidInputError {
  return new InvalidInputError(
    `Unknown colormap ${JSON.stringify(name)}. Expected one of ${listChoices(COLORMAP_NAMES, 20)}, a ColormapTable or a function (value) => [r, g, b, a].`,
  );
}

/**
 * A built-in colormap as a table (a fresh copy, safe to modify).
 * @throws InvalidInputError for an unknown name, listing the valid ones.
 */
export function getColormap(name: ColormapName | string): ColormapTable {
  if (typeof name !== 'string' || !isColormapName(name)) throw unknownColormap(name);
  const t = builtinTable(name);
  return { ...t, lut: t.lut.slice() };
}

/**
 * Builds a table colormap from a list of colours (like matplotlib's `ListedColormap`).
 * Colours are [r, g, b] or [r, g, b, a] floats in [0, 1]; under/over default to the first/last
 * colour and bad to transparent black, as in matplotlib.
 */
export function createColormap(
  colors: readonly (readonly number[])[],
  options: { name?: string; under?: readonly number[]; over?: readonly number[]; bad?: readonly number[] } = {},
): ColormapTable {
  if (!Array.isArray(colors) || colors.length === 0) {
    throw new InvalidInputError('createColormap needs a non-empty array of [r, g, b] or [r, g, b, a] colours.');
  }
  const lut = new Float64Array(colors.length * 4);
  for (let i = 0; i < colors.length; i++) lut.set(toRgba(colors[i], `colors[${i}]`), i * 4);
  return {
    name: options.name ?? 'custom',
    lut,
    under: options.under ? toRgba(options.under, 'under') : row(lut, 0),
    over: options.over ? toRgba(options.over, 'over') : row(lut, colors.length - 1),
    bad: options.bad ? toRgba(options.bad, 'bad') : TRANSPARENT,
  };
}

function toRgba(c: readonly number[], what: string): Rgba {
  if (!c || (c.length !== 3 && c.length !== 4)) {
    throw new InvalidInputError(`Colour ${what} must have 3 or 4 components (RGB or RGBA floats in [0, 1]).`);
  }
  for (const v of c) {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
      throw new InvalidInputError(`Colour ${what} has component ${v}; components must be floats in [0, 1].`);
    }
  }
  return [c[0], c[1], c[2], c.length === 4 ? c[3] : 1];
}

function assertTable(t: ColormapTable): void {
  const ok =
    t.lut instanceof Float64Array && t.lut.length >= 4 && t.lut.length % 4 === 0 && Array.isArray(t.under) && Array.isArray(t.over) && Array.isArray(t.bad);
  if (!ok) {
    throw new InvalidInputError('A ColormapTable needs lut: Float64Array of N×4 RGBA floats (N ≥ 1) and under/over/bad RGBA colours.');
  }
}

/**
 * Row index matplotlib's `Colormap.__call__` picks for a float: x·N truncated, with x == 1
 * mapped to the last row; -1 means under, N means over, -2 means bad (NaN). `float32` rounds
 * the product as NumPy does for a float32 array (it only matters when N is not a power of 2).
 */
export function colormapIndex(x: number, n: number, float32 = false): number {
  let v = float32 ? Math.fround(x * n) : x * n;
  if (Number.isNaN(v)) return -2;
  if (v === n) v = n - 1;
  if (v < 0) return -1;
  if (v >= n) return n;
  return Math.trunc(v);
}

/**
 * A colormap normalised to a per-value writer of RGBA floats into `out` at `offset`, validated
 * once (lets callers map many values without re-resolving the colormap).
 */
export function resolveColormap(colormap: Colormap): (value: number, out: Float64Array, offset: number, float32?: boolean) => void {
  if (typeof colormap === 'function') {
    return (value, out, offset) => {
      const c = colormap(value);
      if (!c || (c.length !== 3 && c.length !== 4)) {
        throw new InvalidInputError(`The colormap function returned ${JSON.stringify(c)} for ${value}; expected [r, g, b] or [r, g, b, a].`);
      }
      out[offset] = c[0];
      out[offset + 1] = c[1];
      out[offset + 2] = c[2];
      out[offset + 3] = c.length === 4 ? c[3] : 1;
    };
  }
  let table: ColormapTable;
  if (typeof colormap === 'string') {
    if (!isColormapName(colormap)) throw unknownColormap(colormap);
    table = builtinTable(colormap);
  } else if (colormap && typeof colormap === 'object') {
    assertTable(colormap);
    table = colormap;
  } else {
    throw unknownColormap(colormap);
  }
  const { lut, under, over, bad } = table;
  const n = lut.length / 4;
  return (value, out, offset, float32 = false) => {
    const i = colormapIndex(value, n, float32);
    if (i >= 0 && i < n) {
      out[offset] = lut[i * 4];
      out[offset + 1] = lut[i * 4 + 1];
      out[offset + 2] = lut[i * 4 + 2];
      out[offset + 3] = lut[i * 4 + 3];
    } else {
      const c = i === -2 ? bad : i === -1 ? under : over;
      out[offset] = c[0];
      out[offset + 1] = c[1];
      out[offset + 2] = c[2];
      out[offset + 3] = c[3];
    }
  };
}

/** The RGBA colour (floats in [0, 1]) a colormap gives one value, as matplotlib's `cmap(x)`. */
export function mapColor(colormap: Colormap, value: number): Rgba {
  const out = new Float64Array(4);
  resolveColormap(colormap)(value, out, 0);
  return [out[0], out[1], out[2], out[3]];
}

/**
 * Applies a colormap to every heatmap value (ELI5's `_colorize`): a float RGBA heatmap.
 * Values are looked up as matplotlib does for a float32 array (x·N in float32 arithmetic).
 * @throws InvalidInputError for an unknown colormap or a malformed heatmap.
 */
export function colorize(heatmap: Heatmap, colormap: Colormap = OVERLAY_DEFAULTS.colormap): ColoredHeatmap {
  assertHeatmapShape(heatmap);
  const apply = resolveColormap(colormap);
  const { width, height, data } = heatmap;
  const out = new Float64Array(width * height * 4);
  const float32 = data instanceof Float32Array;
  for (let i = 0; i < width * height; i++) apply(data[i], out, i * 4, float32);
  return { width, height, channels: 4, data: out };
}

/** Checks a heatmap's dimensions and buffer (not its values). */
export function assertHeatmapShape(heatmap: Heatmap, what = 'heatmap'): void {
  if (!heatmap || typeof heatmap !== 'object') {
    throw new InvalidInputError(`${what} must be an object {width, height, data: Float32Array}, got ${String(heatmap)}.`);
  }
  const { width, height, data } = heatmap;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidInputError(`${what} must have positive integer width and height, got ${width}×${height}.`);
  }
  if (!ArrayBuffer.isView(data) || (data as unknown as ArrayLike<number>).length !== width * height) {
    const len = ArrayBuffer.isView(data) ? (data as unknown as ArrayLike<number>).length : 'no typed array';
    throw new InvalidInputError(`${what}.data must be a typed array of width×height = ${width * height} values, got ${len}.`);
  }
}
