// Test-only helpers: read the golden fixtures written by tools/format/make_fixtures.py.
import { readFileSync } from 'node:fs';
import type { RgbaImage } from '@gradcam/core';
import type { GrayImage } from '../types';

/** An image as stored in the fixture JSON (raw bytes, base64). */
export interface StoredImage {
  width: number;
  height: number;
  mode: 'L' | 'RGBA';
  data: string;
}

/** Parses a fixture JSON file next to this module. */
export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(name, import.meta.url), 'utf8')) as T;
}

/** Raw bytes of a fixture file. */
export function readFixtureBytes(name: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(name, import.meta.url)));
}

/** Bytes of a base64 string. */
export function fromBase64(b64: string): Uint8ClampedArray {
  return new Uint8ClampedArray(Buffer.from(b64, 'base64'));
}

/** A stored image as an RgbaImage (mode RGBA) or GrayImage (mode L). */
export function toImage(s: StoredImage): RgbaImage & GrayImage {
  return { width: s.width, height: s.height, data: fromBase64(s.data) };
}

/** Per-channel absolute difference statistics between two byte rasters. */
export interface DiffStats {
  max: number;
  mean: number;
  count: number;
}

/** Max and mean absolute difference; throws if the sizes differ. */
export function diff(a: { width: number; height: number; data: ArrayLike<number> }, b: typeof a): DiffStats {
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length) {
    throw new Error(`size mismatch: ${a.width}×${a.height} (${a.data.length}) vs ${b.width}×${b.height} (${b.data.length})`);
  }
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const d = Math.abs(a.data[i] - b.data[i]);
    if (d > max) max = d;
    sum += d;
  }
  return { max, mean: sum / a.data.length, count: a.data.length };
}

/** Accumulates diff statistics over a group of fixture cases, for reporting. */
export class DiffGroup {
  max = 0;
  private sum = 0;
  private count = 0;
  cases = 0;
  exact = 0;

  add(s: DiffStats): DiffStats {
    this.max = Math.max(this.max, s.max);
    this.sum += s.mean * s.count;
    this.count += s.count;
    this.cases++;
    if (s.max === 0) this.exact++;
    return s;
  }

  get mean(): number {
    return this.count ? this.sum / this.count : 0;
  }

  toString(): string {
    return `${this.cases} cases, ${this.exact} exact, max ${this.max}, mean ${this.mean.toFixed(5)}`;
  }
}
