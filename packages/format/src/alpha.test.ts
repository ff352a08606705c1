import { describe, expect, it } from 'vitest';
import { premultiplyInto, straightTable, unpremultiplyInto, unpremultiplyTable } from './alpha';

// Pillow's per-pixel formulas written out directly, as the tables must reproduce them.
const rgba2rgbA = (c: number, a: number) => (a === 0 || a === 255 ? c : Math.min(255, Math.floor((255 * c) / a)));
const mulDiv255 = (c: number, a: number) => {
  const t = c * a + 128;
  return ((t >> 8) + t) >> 8;
};

/** Every (alpha, colour) pair once: pixel k has alpha k >> 8 and colours k & 255 (and rotations). */
function allPairs(): Uint8ClampedArray {
  const data = new Uint8ClampedArray(65536 * 4);
  for (let k = 0; k < 65536; k++) {
    data.set([k & 255, (k + 85) & 255, (k + 170) & 255, k >> 8], k * 4);
  }
  return data;
}

describe('alpha tables and loops', () => {
  it("unpremultiplyTable holds Pillow's rgba2rgbA for every (alpha, colour)", () => {
    const lut = unpremultiplyTable();
    const straight = straightTable();
    let wrong = 0;
    for (let a = 0; a < 256; a++) {
      for (let c = 0; c < 256; c++) {
        if (lut[(a << 8) | c] !== rgba2rgbA(c, a) || straight[(a << 8) | c] !== c) wrong++;
      }
    }
    expect(wrong).toBe(0);
  });

  it('premultiplyInto / unpremultiplyInto match the per-pixel formulas, also in place', () => {
    const src = allPairs();
    const pre = new Uint8ClampedArray(src.length);
    premultiplyInto(src, pre);
    const back = pre.slice();
    unpremultiplyInto(back, back);
    let wrong = 0;
    for (let i = 0; i < src.length; i += 4) {
      const a = src[i + 3];
      if (pre[i + 3] !== a || back[i + 3] !== a) wrong++;
      for (let b = 0; b < 3; b++) {
        if (pre[i + b] !== mulDiv255(src[i + b], a) || back[i + b] !== rgba2rgbA(pre[i + b], a)) wrong++;
      }
    }
    expect(wrong).toBe(0);
  });
});
