/**
 * The messages between the page (main thread) and the explain worker. Everything here is
 * structured-cloneable; images travel as RgbaImage with their buffers transferred.
 */
import type { RgbaImage } from '@gradcam/core';

/** The backends the page accepts in its `?backend=` query parameter. */
export const PAGE_BACKENDS = ['auto', 'webgl', 'wasm', 'cpu'] as const;

/** One of PAGE_BACKENDS. */
export type PageBackend = (typeof PAGE_BACKENDS)[number];

/** Which backend the worker runs on, and why: the page shows `reason` next to the name. */
export interface BackendReport {
  /** The active tfjs backend. */
  readonly name: string;
  /** What was asked for (after validation). */
  readonly requested: PageBackend;
  /** One sentence: why this backend (a choice, or a fallback and its cause). */
  readonly reason: string;
  /** True when the requested (or preferred) backend could not start. */
  readonly fellBack: boolean;
  /** The WebGL renderer, when WebGL 2 exists here. */
  readonly renderer?: string;
}

/** A bundled model, as the model menu lists it. */
export interface CatalogEntry {
  readonly key: string;
  readonly title: string;
  /** Input [height, width]. */
  readonly inputSize: readonly [number, number];
  /** Bytes of its weights and topology. */
  readonly sizeBytes: number;
}

/** A layer the page offers for Grad-CAM: one with a 4-D output. */
export interface LayerOption {
  readonly name: string;
  readonly className: string;
  /** [height, width, channels] of its output. */
  readonly shape: readonly [number, number, number];
}

/** What the page needs to know about a loaded model. */
export interface ModelSummary {
  /** A bundled id, or 'custom:N' for a model the user loaded. */
  readonly key: string;
  readonly title: string;
  /** Input [height, width]. */
  readonly inputSize: readonly [number, number];
  readonly classes: number;
  readonly layers: readonly LayerOption[];
  readonly defaultLayer: string;
}

/** One class of the model's top 5 for the image. */
export interface ClassScore {
  readonly index: number;
  readonly label: string;
  readonly score: number;
}

/** The full state of the result the page wants; the worker answers with a RenderResult. */
export interface RenderRequest {
  /** Identifies the image last sent with an 'image' message. */
  readonly imageKey: string;
  readonly model: string;
  /** Default: the model's default Grad-CAM layer. */
  readonly layer?: string;
  /** Default: the predicted class. */
  readonly target?: number;
  readonly colormap: string;
  readonly alphaLimit: number;
}

/** A finished explanation, drawn. */
export interface RenderResult {
  readonly imageKey: string;
  readonly model: string;
  readonly layer: string;
  readonly target: number;
  readonly label: string;
  readonly score: number;
  readonly method: string;
  readonly top: readonly ClassScore[];
  readonly colormap: string;
  readonly alphaLimit: number;
  /** The image with the heatmap overlaid (ELI5's format_as_image). */
  readonly overlay: RgbaImage;
  /** The raw heatmap in gray, one block per cell. */
  readonly heatmap: RgbaImage;
  /** The heatmap's own [width, height] in cells. */
  readonly heatmapCells: readonly [number, number];
  /** Milliseconds the explanation took in the worker (0 when cached). */
  readonly ms: number;
  readonly cached: boolean;
  /** tf.memory().numTensors in the worker after the pass (the test checks it stays put). */
  readonly numTensors: number;
}

/** How a custom model's pixels are scaled before the model sees them. */
export const PREPROCESS_CHOICES = ['auto', 'x/255', '[-1,1]', 'none'] as const;

/** One of PREPROCESS_CHOICES. */
export type PreprocessChoice = (typeof PREPROCESS_CHOICES)[number];

/** A tfjs model.json the user points at: by URL, or as files (model.json, weights, metadata.json). */
export type CustomModelSource = { readonly kind: 'url'; readonly url: string } | { readonly kind: 'files'; readonly files: readonly File[] };

/** The stages a job reports, in order. */
export type Stage = 'load-model' | 'explain' | 'draw';

/** Progress of a running job: `step` of `steps` stages has started. */
export interface Progress {
  readonly stage: Stage;
  readonly step: number;
  readonly steps: number;
  readonly text: string;
}

/** A failure, as the page shows it. */
export interface ErrorInfo {
  /** A GradcamError code ('MODEL_LOAD', 'INVALID_INPUT', …) or 'ERROR' for anything else. */
  readonly code: string;
  readonly message: string;
}

/** Page → worker. */
export type ToWorker =
  | { readonly type: 'start'; readonly backend: PageBackend }
  | { readonly type: 'image'; readonly key: string; readonly image: RgbaImage }
  | { readonly type: 'render'; readonly id: number; readonly request: RenderRequest }
  | { readonly type: 'load-model'; readonly id: number; readonly source: CustomModelSource; readonly preprocess: PreprocessChoice }
  | { readonly type: 'cancel'; readonly id: number };

/** Worker → page. Every job (render, load-model) ends with exactly one of done, failed, cancelled. */
export type FromWorker =
  | { readonly type: 'started'; readonly backend: BackendReport; readonly models: readonly CatalogEntry[] }
  | { readonly type: 'start-failed'; readonly error: ErrorInfo }
  | { readonly type: 'progress'; readonly id: number; readonly progress: Progress }
  | { readonly type: 'model'; readonly id: number; readonly model: ModelSummary }
  | { readonly type: 'rendered'; readonly id: number; readonly result: RenderResult }
  | { readonly type: 'model-loaded'; readonly id: number; readonly model: ModelSummary }
  | { readonly type: 'failed'; readonly id: number; readonly error: ErrorInfo }
  | { readonly type: 'cancelled'; readonly id: number };
