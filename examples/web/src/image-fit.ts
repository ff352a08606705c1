import { InvalidInputError } from '@gradcam/core/errors';

/** Size limits of the image the page explains. */
export interface ImageLimits {
  /** Longest side the page explains and draws; larger images are scaled down. */
  readonly maxSide: number;
  /** Shortest side it accepts, before and after scaling down. */
  readonly minSide: number;
}

/**
 * The page's limits: 640 px keeps the Lanczos overlay quick and the page light; below 32 px an
 * image has too little detail for a model that sees 224×224 or 299×299 (and its overlay would
 * be a speck).
 */
export const IMAGE_LIMITS: ImageLimits = Object.freeze({ maxSide: 640, minSide: 32 });

/** The size an image of `width`×`height` is explained at: scaled down to `maxSide`, never up. */
export interface FittedSize {
  readonly width: number;
  readonly height: number;
  /** Factor applied (≤ 1). */
  readonly scale: number;
}

/**
 * Fits an image into the limits.
 * @throws InvalidInputError when a side is under `minSide`, before or after scaling down.
 */
export function fitImageSize(width: number, height: number, limits: ImageLimits = IMAGE_LIMITS): FittedSize {
  const { maxSide, minSide } = limits;
  if (width < minSide || height < minSide) {
    throw new InvalidInputError(
      `The image is ${width}×${height} px; the page needs at least ${minSide}×${minSide} px (the models look at 224×224 px or more, and a smaller image has too little detail to explain).`,
    );
  }
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const fitted = { width: Math.round(width * scale), height: Math.round(height * scale), scale };
  if (fitted.width < minSide || fitted.height < minSide) {
    throw new InvalidInputError(
      `The image is ${width}×${height} px: scaled to ${maxSide} px on its long side it would be ${fitted.width}×${fitted.height} px, under ${minSide} px across. Crop it to a less elongated shape.`,
    );
  }
  return fitted;
}
