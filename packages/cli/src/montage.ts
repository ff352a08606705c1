import { OVERLAY_DEFAULTS, type ResamplingFilter, resize } from '@gradcam/format';
import type { RgbaImage } from 'gradcam';
import { drawText, GLYPH_ADVANCE, GLYPH_HEIGHT, textWidth } from './bitmap-font.js';

/** One column of a montage: an image and the caption lines drawn above it. */
export interface MontagePanel {
  readonly image: RgbaImage;
  readonly caption: readonly string[];
}

/** Options of `montage`. */
export interface MontageOptions {
  /** Filter that scales panels to a common height; default 'lanczos'. */
  readonly filter?: ResamplingFilter;
  /** Pixels between panels and around captions; default 8. */
  readonly gap?: number;
}

const BACKGROUND = [255, 255, 255] as const;
const INK = [0, 0, 0] as const;

/** `text` cut to fit `width` pixels at `scale`, with '..' when cut. */
function fit(text: string, width: number, scale: number): string {
  if (textWidth(text, scale) <= width) return text;
  const chars = Math.max(0, Math.floor((width / scale + 1) / GLYPH_ADVANCE) - 2);
  return `${text.slice(0, chars)}..`;
}

/**
 * Lays panels side by side, each with its caption in a band above it, on white. Panels are
 * scaled to the tallest panel's height (keeping their aspect ratio). Captions use the built-in
 * 5×7 font, doubled when every line fits its panel, and are cut with '..' otherwise.
 */
export function montage(panels: readonly MontagePanel[], options: MontageOptions = {}): RgbaImage {
  const gap = options.gap ?? 8;
  const height = Math.max(...panels.map((p) => p.image.height));
  const images = panels.map(({ image }) =>
    image.height === height
      ? image
      : resize(image, { width: Math.max(1, Math.round((image.width * height) / image.height)), height }, options.filter ?? OVERLAY_DEFAULTS.resamplingFilter),
  );
  const indent = Math.floor(gap / 2);
  const scale = panels.every((p, i) => p.caption.every((line) => textWidth(line, 2) <= images[i].width - indent)) ? 2 : 1;
  const lineHeight = (GLYPH_HEIGHT + 3) * scale;
  const lines = Math.max(0, ...panels.map((p) => p.caption.length));
  const band = lines === 0 ? 0 : gap + lines * lineHeight - 3 * scale + gap;
  const width = images.reduce((w, img) => w + img.width, 0) + gap * (images.length - 1);
  const out: RgbaImage = { width, height: band + height, data: new Uint8ClampedArray(width * (band + height) * 4) };
  for (let o = 0; o < out.data.length; o += 4) {
    out.data.set(BACKGROUND, o);
    out.data[o + 3] = 255;
  }
  let left = 0;
  images.forEach((img, i) => {
    panels[i].caption.forEach((line, l) => {
      drawText(out, fit(line, img.width - indent, scale), left + indent, gap + l * lineHeight, scale, INK);
    });
    for (let y = 0; y < img.height; y++) {
      out.data.set(img.data.subarray(y * img.width * 4, (y + 1) * img.width * 4), ((band + y) * width + left) * 4);
    }
    left += img.width + gap;
  });
  return out;
}
