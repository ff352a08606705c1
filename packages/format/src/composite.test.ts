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
