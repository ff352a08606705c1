import type { Heatmap, RgbaImage } from '@gradcam/core';
import { type Colormap, encodePng, formatHeatmap, formatSignedHeatmap, type ResamplingFilter } from '@gradcam/format';
import { failureOf, type StageResult } from './decode-stage.js';

/** How one overlay is drawn. */
export interface OverlaySpec {
  readonly heatmap: Heatmap;
  /** 'unsigned': a [0, 1] map (ELI5's format_as_image); 'signed': a [−1, 1] map, diverging colours. */
  readonly kind: 'unsigned' | 'signed';
  readonly colormap: Colormap;
  readonly alphaLimit: number | null;
  readonly filter: ResamplingFilter;
  /** Signed maps: divide by this (default max|v|). */
  readonly scale?: number;
}

/** What drawing an input's overlays needs: the photo and one spec per output file. */
export interface DrawTask {
  readonly original: RgbaImage;
  readonly overlays: readonly OverlaySpec[];
}

/** Draws each overlay over the photo at its own size and encodes it as PNG (the draw stage; runs in a worker or in-process). */
export function drawOverlays(task: DrawTask): StageResult<Uint8Array[]> {
  try {
    return {
      ok: true,
      value: task.overlays.map((o) => {
        const options = { colormap: o.colormap, alphaLimit: o.alphaLimit, resamplingFilter: o.filter };
        const image =
          o.kind === 'unsigned'
            ? formatHeatmap(o.heatmap, task.original, options)
            : formatSignedHeatmap(o.heatmap, task.original, { ...options, scale: o.scale });
        return encodePng(image);
      }),
    };
  } catch (error) {
    return { ok: false, ...failureOf(error) };
  }
}
