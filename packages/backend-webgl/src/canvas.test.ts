import { InvalidInputError } from '@gradcam/core';
import { afterEach, describe, expect, it } from 'vitest';
import { drawRgba, imageDataFromRgba, rgbaFromImageData } from './canvas.js';

const image = { width: 2, height: 1, data: new Uint8ClampedArray([1, 2, 3, 4, 5, 6, 7, 8]) };

describe('canvas helpers', () => {
  afterEach(() => {
    delete (globalThis as { ImageData?: unknown }).ImageData;
  });

  it('copies ImageData-shaped data to an RgbaImage and checks its size', () => {
    const copy = rgbaFromImageData(image);
    expect(copy).toEqual(image);
    expect(copy.data).not.toBe(image.data);
    expect(() => rgbaFromImageData({ width: 3, height: 1, data: new Uint8ClampedArray(8) })).toThrow(/3×1×4 = 12 bytes/);
  });

  it('needs ImageData (a browser) for imageDataFromRgba, with a typed error otherwise', () => {
    expect(() => imageDataFromRgba(image)).toThrow(InvalidInputError);
  });

  it('draws on a canvas through putImageData, sizing the canvas to the image', () => {
    class FakeImageData {
      constructor(
        readonly data: Uint8ClampedArray,
        readonly width: number,
        readonly height: number,
      ) {}
    }
    (globalThis as { ImageData?: unknown }).ImageData = FakeImageData;
    const puts: unknown[] = [];
    const canvas = { width: 0, height: 0, getContext: () => ({ putImageData: (d: unknown, x: number, y: number) => puts.push([d, x, y]) }) };
    drawRgba(canvas, image);
    expect([canvas.width, canvas.height]).toEqual([2, 1]);
    expect(puts).toHaveLength(1);
    const [drawn] = puts[0] as [FakeImageData];
    expect(Array.from(drawn.data)).toEqual(Array.from(image.data));
  });
});
