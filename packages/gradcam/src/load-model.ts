import { type ExplainableModel, isExplainableModel, listChoices, ModelLoadError, toExplainableModel } from '@gradcam/core';
import { BUNDLED_MODEL_IDS, bundledModelInfo, isGraphModel, isLayersModel, loadBundledModel } from '@gradcam/models';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';
import { ensureBackend } from './backend.js';

/** One decoded prediction. */
export interface Prediction {
  /** Class index in the model output. */
  readonly index: number;
  readonly label: string;
  readonly score: number;
}

/** A model ready to explain, with what is needed to feed it and read its output. */
export interface LoadedModel {
  /** Bundled id, URL, path, or the model's name. */
  readonly id: string;
  /** The tfjs model. */
  readonly model: LayersModel | GraphModel;
  /** The Grad-CAM view of the model. */
  readonly explainable: ExplainableModel;
  /** Input shape with null batch, e.g. [null, 224, 224, 3]. */
  readonly inputShape: readonly (number | null)[];
  /** Class labels by index. */
  readonly labels: readonly string[];
  /** The model's own preprocessing of 0..255 pixels; keeps the rank. Caller disposes the result. */
  preprocessInput(x: tf.Tensor): tf.Tensor;
  /** Keras-style decode_predictions: per sample, the `top` classes by score. */
  decodePredictions(preds: tf.Tensor | ArrayLike<number> | readonly ArrayLike<number>[], top?: number): Prediction[][];
}

/** Options of loadModel. */
export interface LoadModelOptions {
  /** Class labels, when the model does not come with them. */
  readonly labels?: readonly string[];
  /** Pixel preprocessing for models loaded by URL, path or object; default x/255. */
  readonly preprocess?: 'x/255' | '[-1,1]' | 'none' | ((x: tf.Tensor) => tf.Tensor);
}

function preprocessor(kind: LoadModelOptions['preprocess']): (x: tf.Tensor) => tf.Tensor {
  if (typeof kind === 'function') return kind;
  switch (kind ?? 'x/255') {
    case 'x/255':
      return (x) => tf.tidy(() => tf.div(tf.cast(x, 'float32'), 255));
    case '[-1,1]':
      return (x) => tf.tidy(() => tf.sub(tf.div(tf.cast(x, 'float32'), 127.5), 1));
    case 'none':
      return (x) => tf.clone(x);
    default:
      throw new ModelLoadError(`Unknown preprocess '${String(kind)}'. Valid: 'x/255', '[-1,1]', 'none', or a function.`);
  }
}

function decodeWith(labels: readonly string[]): LoadedModel['decodePredictions'] {
  return (preds, top = 5) => {
    let rows: ArrayLike<number>[];
    if (preds instanceof tf.Tensor) {
      const values = preds.dataSync();
      const classes = preds.shape[preds.rank - 1];
      rows = [];
      for (let offset = 0; offset < values.length; offset += classes) rows.push(values.subarray(offset, offset + classes));
    } else if (preds.length > 0 && typeof preds[0] === 'object') {
      rows = preds as readonly ArrayLike<number>[] as ArrayLike<number>[];
    } else {
      rows = [preds as ArrayLike<number>];
    }
    return rows.map((row) =>
      Array.from({ length: row.length }, (_, index) => ({ index, label: labels[index] ?? `class_${index}`, score: row[index] }))
        .sort((a, b) => b.score - a.score || a.index - b.index)
        .slice(0, top),
    );
  };
}

async function readModelFile(path: string): Promise<tf.io.IOHandler> {
  const { readFile } = await import('node:fs/promises');
  const { dirname, resolve } = await import('node:path');
  let json: { modelTopology?: object; weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[]; format?: string };
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new ModelLoadError(`Cannot read the model file '${path}': ${(error as Error).message}`, { cause: error });
  }
  const manifest = json.weightsManifest ?? [];
  const buffers: Uint8Array[] = [];
  for (const group of manifest) {
    for (const shard of group.paths) {
      const shardPath = resolve(dirname(path), shard);
      try {
        buffers.push(new Uint8Array(await readFile(shardPath)));
      } catch (error) {
        throw new ModelLoadError(`The model '${path}' names the weight file '${shard}', which cannot be read: ${(error as Error).message}`, { cause: error });
      }
    }
  }
  const weightData = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b, offset);
    offset += b.byteLength;
  }
  return tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: manifest.flatMap((g) => g.weights),
    weightData: weightData.buffer,
    format: json.format,
  });
}

async function loadTfjsModel(source: string): Promise<LayersModel | GraphModel> {
  const isUrl = /^https?:\/\//i.test(source);
  let format: string | undefined;
  let handler: tf.io.IOHandler | string = source;
  if (isUrl) {
    const response = await fetch(source).catch((error: unknown) => {
      throw new ModelLoadError(
        `Cannot fetch '${source}': ${(error as Error).message}. Offline? Pass a local model.json path or a bundled id (${listChoices(BUNDLED_MODEL_IDS)}).`,
        { cause: error },
      );
    });
    if (!response.ok) throw new ModelLoadError(`Fetching '${source}' failed with HTTP ${response.status}.`);
    format = ((await response.json()) as { format?: string }).format;
  } else {
    handler = await readModelFile(source);
    format = ((await (handler as tf.io.IOHandler).load?.()) as tf.io.ModelArtifacts | undefined)?.format;
  }
  try {
    return format === 'graph-model' ? await loadGraphModel(handler) : await loadLayersModel(handler);
  } catch (error) {
    throw new ModelLoadError(`'${source}' is not a loadable tfjs ${format ?? 'layers'} model: ${(error as Error).message}`, { cause: error });
  }
}

function build(id: string, model: LayersModel | GraphModel, options: LoadModelOptions, labels?: readonly string[]): LoadedModel {
  const explainable = toExplainableModel(model);
  const names = options.labels ?? labels ?? Array.from({ length: explainable.numClasses }, (_, i) => `class_${i}`);
  return {
    id,
    model,
    explainable,
    inputShape: explainable.inputShape,
    labels: names,
    preprocessInput: preprocessor(options.preprocess),
    decodePredictions: decodeWith(names),
  };
}

/** True for a LoadedModel. */
export function isLoadedModel(value: unknown): value is LoadedModel {
  return typeof value === 'object' && value !== null && 'explainable' in value && 'preprocessInput' in value && 'model' in value;
}

/**
 * Loads a model: a bundled offline id (default 'nsfw_mobilenet_v2'), a tfjs model.json path
 * (Node) or http(s) URL, or an already loaded tfjs LayersModel / GraphModel. Selects a tfjs
 * backend automatically when none is active yet.
 */
export async function loadModel(
  source: string | LayersModel | GraphModel | LoadedModel = 'nsfw_mobilenet_v2',
  options: LoadModelOptions = {},
): Promise<LoadedModel> {
  if (isLoadedModel(source)) return source;
  await ensureBackend();
  if (typeof source !== 'string') {
    if (!isLayersModel(source) && !isGraphModel(source) && !isExplainableModel(source)) {
      throw new ModelLoadError('loadModel expects a bundled id, a model.json path or URL, or a tfjs LayersModel/GraphModel.');
    }
    return build((source as { name?: string }).name ?? 'model', source, options);
  }
  const info = bundledModelInfo(source);
  if (info) {
    const model = await loadBundledModel(source);
    return build(source, model, options, info.labels);
  }
  if (!/^https?:\/\//i.test(source) && !/\.json$/i.test(source)) {
    throw new ModelLoadError(
      `Unknown model '${source}'. Use a bundled id (${listChoices(BUNDLED_MODEL_IDS)}), a path to a tfjs model.json, or an http(s) URL.`,
    );
  }
  return build(source, await loadTfjsModel(source), options);
}
