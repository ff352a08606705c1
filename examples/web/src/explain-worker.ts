/// <reference lib="webworker" />
/**
 * The explain worker: tfjs, the models and every explanation run here, off the page's main
 * thread. Jobs (render, load-model) run one at a time in arrival order; a cancelled job stops
 * at its next stage boundary (a stage itself cannot be interrupted; what it finished — a
 * loaded model, an explanation — stays cached for the next request).
 */
import '@gradcam/backend-webgl';
import * as tf from '@tensorflow/tfjs-core';
import { BUNDLED_MODEL_IDS, bundledModelInfo, type Colormap, formatAsImage, GradcamError, type RgbaImage } from 'gradcam';
import { loadCustomModel } from './custom-model';
import { cellScale, rawHeatmapImage } from './heatmap-view';
import { ExplainSession, summarize } from './session';
import { startBackend } from './start-backend';
import { megabytes } from './text';
import type { CatalogEntry, ErrorInfo, FromWorker, PageBackend, Progress, RenderRequest, ToWorker } from './worker-protocol';

declare const self: DedicatedWorkerGlobalScope;

type Job = Extract<ToWorker, { type: 'render' | 'load-model' }>;

/** Thrown at a stage boundary when the job was cancelled. */
class Cancelled extends Error {}

const session = new ExplainSession();
const queue: Job[] = [];
const cancelled = new Set<number>();
const announced = new Set<string>();
let current: { key: string; image: RgbaImage } | undefined;
let started: Promise<unknown> | undefined;
let running = false;
let customModels = 0;

function post(message: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(message, transfer);
}

function errorInfo(error: unknown): ErrorInfo {
  const message = error instanceof Error ? error.message : String(error);
  return { code: GradcamError.isInstance(error) ? error.code : 'ERROR', message };
}

/** Lets queued messages (a cancel) in, then stops the job if it was cancelled. */
async function checkpoint(id: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (cancelled.has(id)) throw new Cancelled();
}

function catalog(): CatalogEntry[] {
  return BUNDLED_MODEL_IDS.map((key) => {
    const info = bundledModelInfo(key);
    return { key, title: info?.title ?? key, inputSize: info?.inputSize ?? [0, 0], sizeBytes: info?.sizeBytes ?? 0 };
  });
}

async function start(backend: PageBackend): Promise<void> {
  try {
    if (import.meta.env.DEV) (await import('./dev-wasm-paths')).useDevWasmPaths();
    post({ type: 'started', backend: await startBackend(backend), models: catalog() });
  } catch (error) {
    post({ type: 'start-failed', error: errorInfo(error) });
    throw error;
  }
}

async function render(id: number, request: RenderRequest): Promise<void> {
  const image = current;
  if (!image || image.key !== request.imageKey) throw new GradcamError(`The image '${request.imageKey}' was not sent to the worker (or was replaced).`);
  const loading = !session.isLoaded(request.model);
  const steps = loading ? 3 : 2;
  let step = 0;
  const progress = (stage: Progress['stage'], text: string) => post({ type: 'progress', id, progress: { stage, step: ++step, steps, text } });

  if (loading) {
    const size = bundledModelInfo(request.model)?.sizeBytes;
    progress('load-model', `Loading the model ${request.model}${size ? ` (${megabytes(size)})` : ''}…`);
  }
  const model = await session.model(request.model);
  if (!announced.has(model.key)) {
    post({ type: 'model', id, model: summarize(model) });
    announced.add(model.key);
  }
  await checkpoint(id);

  const layer = request.layer ?? model.loaded.explainable.defaultLayer().name;
  progress('explain', `Explaining with ${model.key} at ${layer}: one forward and one backward pass…`);
  const result = await session.explain({ image: image.image, imageKey: image.key, model: model.key, layer, target: request.target });
  await checkpoint(id);

  progress('draw', 'Drawing the overlay…');
  const explained = result.explanation.targets[0];
  const overlay = formatAsImage(result.explanation, { colormap: request.colormap as Colormap, alphaLimit: request.alphaLimit });
  const { heatmap } = explained;
  const gray = rawHeatmapImage(heatmap, cellScale(Math.max(heatmap.width, heatmap.height), 224));
  post(
    {
      type: 'rendered',
      id,
      result: {
        imageKey: image.key,
        model: model.key,
        layer: result.layer,
        target: result.target,
        label: explained.label ?? `class ${explained.target}`,
        score: explained.score,
        method: result.explanation.method,
        top: result.top.map(({ index, label, score }) => ({ index, label, score })),
        colormap: request.colormap,
        alphaLimit: request.alphaLimit,
        overlay,
        heatmap: gray,
        heatmapCells: [heatmap.width, heatmap.height],
        ms: result.ms,
        cached: result.cached,
        numTensors: tf.memory().numTensors,
      },
    },
    [overlay.data.buffer, gray.data.buffer],
  );
}

async function run(job: Job): Promise<void> {
  try {
    if (cancelled.has(job.id)) throw new Cancelled();
    await started;
    if (job.type === 'render') {
      await render(job.id, job.request);
    } else {
      post({ type: 'progress', id: job.id, progress: { stage: 'load-model', step: 1, steps: 1, text: 'Loading your model…' } });
      // Keys count the models loaded: a failed attempt uses none.
      const model = await loadCustomModel(`custom:${customModels + 1}`, job.source, job.preprocess);
      customModels++;
      session.addModel(model);
      announced.add(model.key);
      post({ type: 'model-loaded', id: job.id, model: summarize(model) });
    }
  } catch (error) {
    post(error instanceof Cancelled ? { type: 'cancelled', id: job.id } : { type: 'failed', id: job.id, error: errorInfo(error) });
  } finally {
    cancelled.delete(job.id);
  }
}

async function drain(): Promise<void> {
  if (running) return;
  running = true;
  try {
    for (let job = queue.shift(); job; job = queue.shift()) await run(job);
  } finally {
    running = false;
  }
}

self.addEventListener('message', (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  switch (message.type) {
    case 'start':
      started = start(message.backend);
      started.catch(() => {}); // reported as 'start-failed'; jobs then fail with the same error
      break;
    case 'image':
      current = { key: message.key, image: message.image };
      break;
    case 'cancel':
      cancelled.add(message.id);
      break;
    case 'render':
    case 'load-model':
      queue.push(message);
      void drain();
      break;
  }
});
