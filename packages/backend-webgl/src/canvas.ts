import type { Explanation, RgbaImage } from '@gradcam/core';
import { InvalidInputError } from '@gradcam/core/errors';
import { type FormatAsImageOptions, formatAsImage } from '@gradcam/format';

/** Minimal view of a 2-D canvas, so OffscreenCanvas and HTMLCanvasElement both fit. */
export interface CanvasLike {
  width: number;
  height: number;
  getContext(kind: '2d'): { putImageData(data: ImageData, dx: number, dy: number): void } | null;
}

/** An RgbaImage as browser ImageData (shares no memory with the input). */
export function imageDataFromRgba(image: RgbaImage): ImageData {
  if (typeof ImageData === 'undefined') throw new InvalidInputError('ImageData is not defined here: imageDataFromRgba needs a browser (or a canvas polyfill).');
  return new ImageData(new Uint8ClampedArray(image.data), image.width, image.height);
}

/** Browser ImageData (or anything shaped like it) as an RgbaImage copy. */
export function rgbaFromImageData(data: { width: number; height: number; data: Uint8ClampedArray }): RgbaImage {
  if (data.data.length !== data.width * data.height * 4) {
    throw new InvalidInputError(`Expected ${data.width}×${data.height}×4 = ${data.width * data.height * 4} bytes of RGBA data, got ${data.data.length}.`);
  }
  return { width: data.width, height: data.height, data: new Uint8ClampedArray(data.data) };
}

/** Draws an RgbaImage on a canvas, resizing the canvas to the image. */
export function drawRgba(canvas: CanvasLike, image: RgbaImage): void {
  canvas.width = image.width;
  canvas.height = image.height;
  const context = canvas.getContext('2d');
  if (!context) throw new InvalidInputError('The canvas has no 2d context.');
  context.putImageData(imageDataFromRgba(image), 0, 0);
}

/** Formats an explanation as ELI5 does (formatAsImage) and draws it on a canvas. */
export function drawExplanation(canvas: CanvasLike, expl: Explanation, options: FormatAsImageOptions = {}): RgbaImage {
  const image = formatAsImage(expl, options);
  drawRgba(canvas, image);
  return image;
}
