import { colorize, heatmapToImage } from '@gradcam/format';
import { describe, expect, it } from 'vitest';
import { legendImage } from './legend';

const pixel = (image: { width: number; data: Uint8ClampedArray }, x: number, y: number) =>
  Array.from(image.data.subarray((y * image.width + x) * 4, (y * image.width + x) * 4 + 4));

describe('legendImage', () => {
  it('shows the colormap, 0 on the left and 1 on the right, opaque in its upper half', () => {
    const legend = legendImage('viridis', 0.65, 256, 20);
    expect([legend.width, legend.height]).toEqual([256, 20]);
    const ends = heatmapToImage(colorize({ width: 2, height: 1, data: new Float32Array([0, 1]) }, 'viridis'));
    expect(pixel(legend, 0, 0)).toEqual(Array.from(ends.data.subarray(0, 4)));
    expect(pixel(legend, 255, 9)).toEqual(Array.from(ends.data.subarray(4, 8)));
  });

  it("shows the overlay's blend in its lower half: value 0 leaves the background, the cap limits the colour", () => {
    const capped = legendImage('viridis', 0.3, 256, 20);
    const uncapped = legendImage('viridis', 1, 256, 20);
    // Value 0 has opacity 0: the checkerboard shows through unchanged.
    expect(pixel(capped, 0, 12).slice(0, 3)).toEqual([236, 236, 236]);
    // At value 1, the cap 0.3 leaves more of the background than no cap does.
    const top = pixel(capped, 255, 0);
    const distance = (p: number[]) => Math.abs(p[0] - top[0]) + Math.abs(p[1] - top[1]) + Math.abs(p[2] - top[2]);
    expect(distance(pixel(capped, 255, 12))).toBeGreaterThan(distance(pixel(uncapped, 255, 12)));
    expect(distance(pixel(uncapped, 255, 12))).toBeLessThanOrEqual(3);
  });

  it('follows the colormap', () => {
    expect(pixel(legendImage('gray', 0.65, 64, 8), 63, 0)).toEqual([255, 255, 255, 255]);
    expect(pixel(legendImage('gray', 0.65, 64, 8), 0, 0)).toEqual([0, 0, 0, 255]);
  });
});
