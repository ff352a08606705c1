import { drawRgba } from '@gradcam/backend-webgl/canvas';
import type { RgbaImage } from '@gradcam/core';
import type { Colormap } from '@gradcam/format';
import { renderClassList } from './class-list';
import { element } from './dom';
import { legendImage } from './legend';
import { duration } from './text';
import type { Progress, RenderResult } from './worker-protocol';

/** Images smaller than this (longest side, px) are shown scaled up, pixel for pixel. */
const MIN_DISPLAY_SIDE = 320;
/** A busy state shorter than this shows no progress bar (a re-colouring takes a few ms). */
const PROGRESS_DELAY_MS = 150;

/** The status line's states; `data-state` on it carries the state for tests and styles. */
export type StatusState = 'loading' | 'busy' | 'done' | 'error';

/** Sizes a canvas on screen: its own size, small images scaled up (pixelated), never wider than its box (CSS). */
function displaySize(canvas: HTMLCanvasElement, width: number, height: number): void {
  const scale = Math.max(1, MIN_DISPLAY_SIDE / Math.max(width, height));
  canvas.style.width = `${Math.round(width * scale)}px`;
  canvas.classList.toggle('pixelated', scale > 1);
}

function blank(canvas: HTMLCanvasElement): void {
  canvas.width = 0;
  canvas.height = 0;
  canvas.style.width = '';
  for (const key of Object.keys(canvas.dataset)) if (key !== 'testid') delete canvas.dataset[key];
}

/**
 * The result area: status line, progress, error, overlay with its legend, class list and raw
 * heatmap. Whatever it shows belongs to one result, one image, or one error — never a mix.
 */
export class ResultView {
  private readonly section = element<HTMLElement>('result');
  private readonly status = element<HTMLParagraphElement>('status');
  private readonly progress = element<HTMLDivElement>('progress');
  private readonly progressBar = element<HTMLProgressElement>('progress-bar');
  private readonly progressText = element<HTMLSpanElement>('progress-text');
  private readonly progressElapsed = element<HTMLSpanElement>('progress-elapsed');
  private readonly error = element<HTMLDivElement>('error');
  private readonly overlayFigure = element<HTMLElement>('overlay-figure');
  private readonly side = element<HTMLDivElement>('side');
  private readonly overlay = element<HTMLCanvasElement>('overlay');
  private readonly overlayCaption = element<HTMLElement>('overlay-caption');
  private readonly legend = element<HTMLDivElement>('legend');
  private readonly legendBar = element<HTMLCanvasElement>('legend-bar');
  private readonly legendAlpha = element<HTMLSpanElement>('legend-alpha');
  private readonly legendText = element<HTMLParagraphElement>('legend-text');
  private readonly classes = element<HTMLOListElement>('classes');
  private readonly heatmap = element<HTMLCanvasElement>('heatmap');
  private readonly heatmapCaption = element<HTMLElement>('heatmap-caption');
  private busySince = 0;
  private ticker: ReturnType<typeof setInterval> | undefined;

  /** Sets the status line (announced to screen readers: it is a polite live region). */
  setStatus(state: StatusState, text: string): void {
    this.status.dataset.state = state;
    this.status.textContent = text;
  }

  /** Marks the result as being recomputed: busy for assistive tech at once, progress shown if it lasts. */
  busy(text: string): void {
    this.section.setAttribute('aria-busy', 'true');
    this.status.dataset.state = 'busy';
    this.error.hidden = true;
    this.busySince = performance.now();
    clearInterval(this.ticker);
    this.ticker = setInterval(() => this.tick(text), 100);
    this.progress.dataset.stage = '';
  }

  /** Shows a job's progress: its stage, `step` of `steps`. */
  showProgress(progress: Progress): void {
    this.progress.dataset.stage = progress.stage;
    this.progressBar.max = progress.steps;
    this.progressBar.value = progress.step - 1;
    this.progressText.textContent = `Step ${progress.step} of ${progress.steps}: ${progress.text}`;
  }

  private tick(text: string): void {
    const elapsed = performance.now() - this.busySince;
    if (elapsed < PROGRESS_DELAY_MS) return;
    if (this.progress.hidden) {
      this.progress.hidden = false;
      this.section.classList.add('busy');
      this.setStatus('busy', text);
    }
    this.progressElapsed.textContent = `${(elapsed / 1000).toFixed(1)} s`;
  }

  private idle(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
    this.section.setAttribute('aria-busy', 'false');
    this.section.classList.remove('busy');
    this.progress.hidden = true;
    this.progressText.textContent = '';
    this.progressElapsed.textContent = '';
  }

  /** Shows a new image, not explained yet: the previous result (classes, heatmap, captions) is cleared. */
  showImage(image: RgbaImage, name: string): void {
    this.clear();
    this.overlayFigure.hidden = false;
    drawRgba(this.overlay, image);
    displaySize(this.overlay, image.width, image.height);
    this.overlay.dataset.image = name;
    this.overlay.dataset.explained = 'false';
    this.overlayCaption.textContent = `${name}, being explained…`;
  }

  /** Shows a finished result, replacing everything shown before. */
  showResult(result: RenderResult, imageName: string, backend: string, onPick: (index: number) => void): void {
    this.idle();
    this.error.hidden = true;
    this.overlayFigure.hidden = false;
    this.side.hidden = false;
    drawRgba(this.overlay, result.overlay);
    displaySize(this.overlay, result.overlay.width, result.overlay.height);
    Object.assign(this.overlay.dataset, {
      image: imageName,
      explained: 'true',
      model: result.model,
      layer: result.layer,
      target: String(result.target),
      colormap: result.colormap,
      alphaLimit: String(result.alphaLimit),
    });
    this.overlayCaption.textContent = `${result.label} (score ${result.score.toFixed(3)}) · ${result.method} at ${result.layer}`;
    this.showLegend(result.colormap as Colormap, result.alphaLimit);
    renderClassList(this.classes, result.top, result.target, onPick);
    drawRgba(this.heatmap, result.heatmap);
    this.heatmap.style.width = `${Math.min(224, result.heatmap.width)}px`;
    const [w, h] = result.heatmapCells;
    this.heatmapCaption.textContent = `Raw heatmap, ${w}×${h} cells (black 0 … white 1)`;
    this.status.dataset.tensors = String(result.numTensors);
    this.setStatus('done', `${backend} · ${result.model} · ${result.layer} · ${result.label} · ${result.cached ? 'cached' : duration(result.ms)}`);
  }

  /** Shows an error in place of any result (an alert; the status line only points at it, so it is announced once). */
  showError(message: string): void {
    this.idle();
    this.clear();
    this.error.textContent = message;
    this.error.hidden = false;
    this.setStatus('error', 'Error: see the message below.');
  }

  /** Ends a busy state that produced nothing (cancelled), leaving what is shown. */
  settle(text: string): void {
    this.idle();
    this.setStatus('done', text);
  }

  /** Empties the result: overlay, legend, classes, heatmap and captions, and hides their empty frames. */
  clear(): void {
    this.overlayFigure.hidden = true;
    this.side.hidden = true;
    blank(this.overlay);
    blank(this.heatmap);
    this.overlayCaption.textContent = '';
    this.heatmapCaption.textContent = '';
    this.classes.replaceChildren();
    this.legend.hidden = true;
  }

  /** Disables the class buttons (they belong to another model or image than the one being explained). */
  disableClasses(): void {
    for (const button of this.classes.querySelectorAll('button')) button.disabled = true;
  }

  private showLegend(colormap: Colormap, alphaLimit: number): void {
    this.legend.hidden = false;
    drawRgba(this.legendBar, legendImage(colormap, alphaLimit, 256, 24));
    this.legendAlpha.style.left = `${alphaLimit * 100}%`;
    this.legendText.textContent =
      `Heatmap value 0 → 1 in ${colormap} (upper bar). Over the image, each value's colour is as opaque as the value, ` +
      `capped at the alpha limit ${alphaLimit.toFixed(2)} (lower bar, over a checkerboard).`;
  }
}
