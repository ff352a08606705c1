import { describe, expect, it } from 'vitest';
import { diff, readFixture, type StoredImage, toImage } from './__fixtures__/fixtures';
import { alphaComposite } from './composite';
import { premultiplyAlpha, unpremultiplyAlpha } from './resample';

interface CompositeFixture {
  dst: StoredImage;
  src: StoredImage;
  composite: StoredImage;
  premultiplied: StoredImage;
  unpremultiplied: StoredImage;
}

const fx = readFixture<CompositeFixture>('composite.json');

describe('alphaComposite', () => {
  it("equals Pillow's Image.alpha_composite byte for byte", () => {
    const out = alphaComposite(toImage(fx.dst), toImage(fx.src));
    const s = diff(out, toImage(fx.composite));
    console.info(`[fixtures] alpha_composite: max ${s.max}, mean ${s.mean}`);
    expect(s.max).toBe(0);
  });

  it('keeps dst where src is fully transparent and takes src where it is opaque', () => {
    const dst = { width: 2, height: 1, data: new Uint8ClampedArray([1, 2, 3, 4, 10, 20, 30, 40]) };
    const src = { width: 2, height: 1, data: new Uint8ClampedArray([9, 9, 9, 0, 200, 100, 50, 255]) };
    expect([...alphaComposite(dst, src).data]).toEqual([1, 2, 3, 4, 200, 100, 50, 255]);
  });

  it('rejects mismatched sizes', () => {
    const a = { width: 1, height: 1, data: new Uint8ClampedArray(4) };
    const b = { width: 2, height: 1, data: new Uint8ClampedArray(8) };
    expect(() => alphaComposite(a, b)).toThrow(/same size.*1×1.*2×1/);
  });
});

describe('premultiplied alpha conversions', () => {
  it("equal Pillow's RGBA → RGBa and RGBa → RGBA", () => {
    expect(diff(premultiplyAlpha(toImage(fx.dst)), toImage(fx.premultiplied)).max).toBe(0);
    expect(diff(unpremultiplyAlpha(toImage(fx.src)), toImage(fx.unpremultiplied)).max).toBe(0);
  });
});

describe('alphaComposite fast paths', () => {
  /** Pillow's ImagingAlphaComposite for one pixel, as AlphaComposite.c writes it. */
  function pillowPixel(d: ArrayLike<number>, s: ArrayLike<number>): number[] {
    if (s[3] === 0) return [d[0], d[1], d[2], d[3]];
    const outa255 = s[3] * 255 + d[3] * (255 - s[3]);
    const coef1 = Math.floor((s[3] * 255 * 255 * 128) / outa255);
    const coef2 = 255 * 128 - coef1;
    const div255 = (t: number) => ((t >> 8) + t) >> 8;
    const c = (b: number) => div255(s[b] * coef1 + d[b] * coef2 + (0x80 << 7)) >> 7;
    return [c(0), c(1), c(2), div255(outa255 + 0x80)];
  }

  it("equals Pillow's formula for every (src alpha, dst alpha) pair", () => {
    const n = 65536;
    const dst = { width: 256, height: 256, data: new Uint8ClampedArray(n * 4) };
    const src = { width: 256, height: 256, data: new Uint8ClampedArray(n * 4) };
    for (let k = 0; k < n; k++) {
      // Colours spread over the range, different per channel and per image.
      dst.data.set([(k * 7) & 255, (k * 13 + 5) & 255, (k * 29 + 11) & 255, k >> 8], k * 4);
      src.data.set([(k * 17 + 3) & 255, (k * 5 + 200) & 255, (k * 31 + 99) & 255, k & 255], k * 4);
    }
    const out = alphaComposite(dst, src).data;
    let wrong = 0;
    for (let k = 0; k < n; k++) {
      const want = pillowPixel(dst.data.subarray(k * 4, k * 4 + 4), src.data.subarray(k * 4, k * 4 + 4));
      for (let b = 0; b < 4; b++) if (out[k * 4 + b] !== want[b]) wrong++;
    }
    expect(wrong).toBe(0);
  });

  it('accepts Uint8Array data that does not start on a 4-byte boundary', () => {
    const dst = toImage(fx.dst);
    const bytes = new Uint8Array(dst.data.length + 1);
    bytes.set(dst.data, 1);
    const out = alphaComposite({ ...dst, data: bytes.subarray(1) as unknown as Uint8ClampedArray }, toImage(fx.src));
    expect(diff(out, toImage(fx.composite)).max).toBe(0);
  });
});
