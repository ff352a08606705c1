import { InvalidInputError } from '@gradcam/core/errors';

/**
 * The overlay options' defaults — ELI5's `format_as_image` — owned here, used by formatHeatmap,
 * formatSignedHeatmap, expandHeatmap, the CLI and the web example.
 */
export const OVERLAY_DEFAULTS = Object.freeze({
  /** Cap on the overlay's opacity. */
  alphaLimit: 0.65,
  /** Colormap of [0, 1] maps. */
  colormap: 'viridis',
  /** Diverging colormap of signed maps (relu off, Guided Grad-CAM). */
  signedColormap: 'RdBu_r',
  /** Filter that scales a map to the image. */
  resamplingFilter: 'lanczos',
} as const);

/**
 * Checks an overlay opacity cap: a number in [0, 1], or null for no cap; undefined is the default.
 * @throws InvalidInputError naming what is valid.
 */
export function checkAlphaLimit(alphaLimit: unknown): number | null {
  if (alphaLimit === undefined) return OVERLAY_DEFAULTS.alphaLimit;
  if (alphaLimit === null) return null;
  if (typeof alphaLimit !== 'number' || !(alphaLimit >= 0 && alphaLimit <= 1)) {
    throw new InvalidInputError(`alphaLimit must be a number between 0 and 1 inclusive, or null for no cap; got ${String(alphaLimit)}.`);
  }
  return alphaLimit;
}
