import { rgbaFromImageData } from '@gradcam/backend-webgl/canvas';
import type { RgbaImage } from '@gradcam/core';
import { DecodeError } from '@gradcam/core/errors';
import { fitImageSize, IMAGE_LIMITS, type ImageLimits } from './image-fit';

/** An image as the page explains it, with the size of the file it came from. */
export interface DecodedImage {
  readonly image: RgbaImage;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
}

/**
 * Decodes an image file with the browser (any format it reads, EXIF orientation applied) into
 * an RgbaImage within `limits`. Decoding and scaling run in createImageBitmap, off the main
 * thread; only the final ≤ 640 px image is read back.
 * @throws DecodeError for a file the browser cannot decode; InvalidInputError for an image
 * outside the limits.
 */
export async function decodeImageBlob(blob: Blob, name: string, limits: ImageLimits = IMAGE_LIMITS): Promise<DecodedImage> {
  if (blob.size === 0) throw new DecodeError(`${name} is empty (0 bytes).`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (error) {
    throw new DecodeError(
      `${name} (${blob.type || 'unknown type'}, ${blob.size} bytes) is not an image this browser can decode: ${(error as Error).message.replace(/\.$/, '')}. ` +
        'Choose a PNG, JPEG, WebP, GIF, BMP or AVIF file.',
      { cause: error },
    );
  }
  const { width: sourceWidth, height: sourceHeight } = bitmap;
  try {
    const { width, height, scale } = fitImageSize(sourceWidth, sourceHeight, limits);
    if (scale < 1) {
      const scaled = await createImageBitmap(bitmap, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' });
      bitmap.close();
      bitmap = scaled;
    }
    const canvas = new OffscreenCanvas(width, height);
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (!context) throw new DecodeError('This browser gives no 2d canvas context to read the image with.');
    context.drawImage(bitmap, 0, 0);
    return { image: rgbaFromImageData(context.getImageData(0, 0, width, height)), sourceWidth, sourceHeight };
  } finally {
    bitmap.close();
  }
}

/** Fetches an image from the app's own assets and decodes it. */
export async function fetchImage(url: string, name: string, limits: ImageLimits = IMAGE_LIMITS): Promise<DecodedImage> {
  const response = await fetch(url);
  if (!response.ok) throw new DecodeError(`Cannot load the sample image ${name}: HTTP ${response.status}.`);
  return decodeImageBlob(await response.blob(), name, limits);
}
