import { rgbaFromImageData } from '@gradcam/backend-webgl';
import type { RgbaImage } from 'gradcam';

/** Longest side of the image the page explains and overlays; larger images are scaled down. */
export const MAX_IMAGE_SIDE = 640;

/**
 * Decodes an image file with the browser (any format it reads, EXIF orientation applied) into
 * an RgbaImage, scaled down to at most `maxSide` pixels on its longest side.
 */
export async function decodeImageBlob(blob: Blob, maxSide = MAX_IMAGE_SIDE): Promise<RgbaImage> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  } catch (error) {
    throw new Error(`Cannot decode this file as an image (${blob.type || 'unknown type'}): ${(error as Error).message}`, { cause: error });
  }
  const scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (!context) throw new Error('This browser gives no 2d canvas context.');
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  return rgbaFromImageData(context.getImageData(0, 0, width, height));
}

/** Fetches an image from the app's own assets and decodes it. */
export async function fetchImage(url: string, maxSide = MAX_IMAGE_SIDE): Promise<RgbaImage> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`Cannot load the sample image ${url}: HTTP ${response.status}.`);
  return decodeImageBlob(await response.blob(), maxSide);
}
