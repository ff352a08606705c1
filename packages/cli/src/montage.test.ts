import type { RgbaImage } from 'gradcam';
import { describe, expect, it } from 'vitest';
import { drawText, GLYPH_ADVANCE, glyphPixel, textWidth } from './bitmap-font.js';
import { montage } from './montage.js';

function solid(width: number, height: number, rgb: [number, number, number]): RgbaImage {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set([...rgb, 255], i);
  return { width, height, data };
}

const at = (image: RgbaImage, x: number, y: number) => Array.from(image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4));

describe('the 5×7 bitmap font', () => {
  it('draws printable ASCII: "I" is a vertical bar in its middle column, space is empty', () => {
    for (let row = 0; row < 7; row++) expect(glyphPixel('I', 2, row)).toBe(true);
    expect(glyphPixel('I', 0, 3)).toBe(false);
    for (let c = 0; c < 5; c++) for (let r = 0; r < 7; r++) expect(glyphPixel(' ', c, r)).toBe(false);
    // Outside printable ASCII draws '?'.
    expect(Array.from({ length: 35 }, (_, i) => glyphPixel('é', i % 5, Math.floor(i / 5)))).toEqual(
      Array.from({ length: 35 }, (_, i) => glyphPixel('?', i % 5, Math.floor(i / 5))),
    );
  });

  it('drawText paints scaled glyphs in place and clips at the border', () => {
    const image = solid(40, 20, [255, 255, 255]);
    drawText(image, 'II', 0, 0, 2, [0, 0, 0]);
    expect(at(image, 4, 0)).toEqual([0, 0, 0, 255]); // column 2 of the first I, scaled ×2
    expect(at(image, 5, 13)).toEqual([0, 0, 0, 255]);
    expect(at(image, 4 + GLYPH_ADVANCE * 2, 6)).toEqual([0, 0, 0, 255]); // the second I
    expect(at(image, 0, 0)).toEqual([255, 255, 255, 255]);
    expect(textWidth('II', 2)).toBe(22);
    drawText(image, 'WWWWWWWWWW', 30, 15, 3, [0, 0, 0]); // mostly outside: no throw
  });
});

describe('montage', () => {
  it('puts panels side by side under a caption band, scaled to the tallest height', () => {
    const out = montage(
      [
        { image: solid(100, 50, [255, 0, 0]), caption: ['red', 'one 0.90'] },
        { image: solid(40, 25, [0, 0, 255]), caption: ['blue'] },
      ],
      { gap: 8 },
    );
    // The second panel is scaled from 40×25 to 80×50.
    expect(out.width).toBe(100 + 8 + 80);
    const band = out.height - 50;
    expect(band).toBeGreaterThan(14);
    expect(at(out, 50, band + 25)).toEqual([255, 0, 0, 255]);
    expect(at(out, 108 + 40, band + 25)).toEqual([0, 0, 255, 255]);
    expect(at(out, 104, band + 25)).toEqual([255, 255, 255, 255]); // the gap
    let ink = 0;
    for (let y = 0; y < band; y++) for (let x = 0; x < out.width; x++) if (at(out, x, y)[0] === 0) ink++;
    expect(ink).toBeGreaterThan(50);
  });

  it('cuts a caption that does not fit its panel', () => {
    const out = montage([{ image: solid(30, 10, [0, 255, 0]), caption: ['a very long caption indeed'] }]);
    expect(out.width).toBe(30);
  });
});
