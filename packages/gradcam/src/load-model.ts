import { type ExplainableModel, isExplainableModel, ModelLoadError, toExplainableModel } from '@gradcam/core';
import { listChoices } from '@gradcam/core/internals';
import {
  cachedImagenetWeightsSize,
  catalogEntry,
  DEFAULT_MODEL_ID,
  isBundledModelInstalled,
  isGraphModel,
  isLayersModel,
  loadKerasModel,
  MODEL_CATALOG,
  MODEL_IDS,
  type WeightsPackage,
} from '@gradcam/models';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';
import { ensureBackend } from './backend.js';
import { type ModelReadLimits, readModelArtifacts, readModelFile } from './model-files.js';

/** One decoded prediction. */
export interface Prediction {
  /** Class index in the model output. */
  readonly index: number;
  readonly label: string;
  readonly score: number;
  /** The class's WordNet synset id, for ImageNet models ('n02108422'). */
  readonly classId?: string;
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
  /** Class ids by index, where the model has them (ImageNet synset ids). */
  readonly classIds?: readonly string[];
  /** The model's own preprocessing of 0..255 pixels; keeps the rank. Caller disposes the result. */
  preprocessInput(x: tf.Tensor): tf.Tensor;
  /** Keras-style decode_predictions: per sample, the `top` classes by score. */
  decodePredictions(preds: tf.Tensor | ArrayLike<number> | readonly ArrayLike<number>[], top?: number): Prediction[][];
}

/**
 * Options of loadModel. The read limits (`maxBytes`, `timeoutMs`, `deadlineMs`, `maxRedirects`,
 * `allowedOrigins`) bound what a model.json path or URL — and an ImageNet id's weight download —
 * may read and how long it may wait.
 */
export interface LoadModelOptions extends ModelReadLimits {
  /** Class labels, when the model does not come with them. */
  readonly labels?: readonly string[];
  /** Pixel preprocessing; default the model's own ([-1,1] for the ImageNet ids), else x/255. */
  readonly preprocess?: 'x/255' | '[-1,1]' | 'none' | ((x: tf.Tensor) => tf.Tensor);
  /**
   * ImageNet ids only: 'imagenet' (default) reads the official Keras weight file from the cache
   * or downloads it once; or a local Keras .h5 path or an http(s) URL of one.
   */
  readonly weights?: string;
  /** ImageNet ids only: the weight cache folder (default GRADCAM_CACHE, else the platform cache folder). */
  readonly cacheDir?: string;
  /** ImageNet ids only: a mirror that replaces the folder of the official weight URLs. */
  readonly baseUrl?: string;
  /**
   * Bundled ids only: the weights package's module, where it cannot be imported by name (an
   * optional model in a browser bundle): `await import('@gradcam/weights-nsfw-inception-v3')`.
   */
  readonly weightsPackage?: WeightsPackage;
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

function decodeWith(labels: readonly string[], classIds?: readonly string[]): LoadedModel['decodePredictions'] {
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
      Array.from({ length: row.length }, (_, index) => ({
        index,
        label: labels[index] ?? `class_${index}`,
        score: row[index],
        ...(classIds?.[index] ? { classId: classIds[index] } : {}),
      }))
        .sort((a, b) => b.score - a.score || a.index - b.index)
        .slice(0, top),
    );
  };
}

async function loadTfjsModel(source: string, limits: ModelReadLimits): Promise<LayersModel | GraphModel> {
  const artifacts = await readModelArtifacts(source, limits);
  const variablesBefore = new Set(Object.keys(tf.engine().state.registeredVariables));
  try {
    if (artifacts.format === 'graph-model') return await loadGraphModel(tf.io.fromMemory(artifacts));
    return await loadLayersModelLeakFree(artifacts);
  } catch (error) {
    disposeVariablesSince(variablesBefore);
    throw new ModelLoadError(`'${source}' is not a loadable tfjs ${artifacts.format ?? 'layers'} model: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * tfjs-layers' loadLayersModel leaks the decoded weight tensors and the model's variables when
 * the weights do not fit (a missing weight, a wrong shape). Same steps, with the cleanup: build
 * the model from its topology, then set the decoded weights, disposing them either way.
 */
async function loadLayersModelLeakFree(artifacts: tf.io.ModelArtifacts): Promise<LayersModel> {
  const { weightSpecs, weightData, ...topology } = artifacts;
  const model = await loadLayersModel(tf.io.fromMemory(topology));
  if (!weightSpecs || !weightData) return model;
  let weights: tf.NamedTensorMap = {};
  try {
    weights = tf.io.decodeWeights(weightData, weightSpecs);
    model.loadWeights(weights, true);
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    tf.dispose(Object.values(weights));
  }
}

// A topology that fails half-way (an unknown layer class) leaves the variables of the layers
// built so far registered. Dispose them. (A model loaded concurrently in the same moment could
// lose variables too; loading models concurrently with a broken one is not worth a lock.)
function disposeVariablesSince(before: ReadonlySet<string>): void {
  for (const [name, variable] of Object.entries(tf.engine().state.registeredVariables)) {
    if (!before.has(name)) variable.dispose();
  }
}

function build(
  id: string,
  model: LayersModel | GraphModel,
  options: LoadModelOptions,
  labels?: readonly string[],
  own: { preprocess?: LoadModelOptions['preprocess']; classIds?: readonly string[] } = {},
): LoadedModel {
  const explainable = toExplainableModel(model);
  // What every explain would otherwise make per call (backward kernels), made once with the model.
  explainable.prepare?.();
  const names = options.labels ?? labels ?? Array.from({ length: explainable.numClasses }, (_, i) => `class_${i}`);
  const classIds = options.labels ? undefined : own.classIds;
  return {
    id,
    model,
    explainable,
    inputShape: explainable.inputShape,
    labels: names,
    ...(classIds ? { classIds } : {}),
    preprocessInput: preprocessor(options.preprocess ?? own.preprocess),
    decodePredictions: decodeWith(names, classIds),
  };
}

/** Keras model files, by extension (a path or a URL, query string allowed). */
const KERAS_FILE = /\.(keras|h5|hdf5)(\?.*)?$/i;

/** True for a LoadedModel. */
export function isLoadedModel(value: unknown): value is LoadedModel {
  return typeof value === 'object' && value !== null && 'explainable' in value && 'preprocessInput' in value && 'model' in value;
}

/** One model id that loadModel accepts, as `gradcam models` lists it. */
export interface ModelListing {
  readonly id: string;
  /** 'bundled': weights in an npm package (`@gradcam/weights-*`, offline); 'imagenet': official Keras weight file, downloaded once. */
  readonly source: 'bundled' | 'imagenet';
  readonly classes: number;
  /** Input [height, width]. */
  readonly inputSize: [number, number];
  /**
   * Bundled: the bytes of its weights package's files. ImageNet: the cached weight file's size, or
   * while not cached an estimate (4 bytes per parameter; the HDF5 file is slightly larger).
   */
  readonly sizeBytes: number;
  /** Bundled: whether its weights package is installed. ImageNet: whether the weight file is in the cache. */
  readonly cached: boolean;
  /** Bundled: the npm package that carries the weights. */
  readonly package?: string;
  readonly description: string;
}

/**
 * Lists the model ids loadModel accepts — the model catalog: the bundled offline models, whether
 * their weights package is installed, then the ImageNet models, whether their weights are already
 * cached (`cacheDir` as in loadModel).
 */
export async function listModels(options: { readonly cacheDir?: string } = {}): Promise<ModelListing[]> {
  return Promise.all(
    MODEL_CATALOG.map(async (entry): Promise<ModelListing> => {
      const { id, info } = entry;
      const [h, w] = info.inputSize;
      const common = { id, source: entry.source, classes: info.labels.length, inputSize: [h, w] as [number, number], description: info.title };
      if (entry.source === 'bundled') {
        return { ...common, sizeBytes: entry.info.sizeBytes, cached: await isBundledModelInstalled(id), package: entry.info.package };
      }
      const cachedSize = await cachedImagenetWeightsSize(id, options);
      return { ...common, sizeBytes: cachedSize ?? entry.info.paramCount * 4, cached: cachedSize !== undefined };
    }),
  );
}

/**
 * Loads a model: a bundled offline id (default 'nsfw_mobilenet_v2'), an ImageNet id
 * ('mobilenet_v2', 'nasnet_mobile': official Keras weights from the cache, downloaded once, or
 * `options.weights` = a local .h5 path or URL), a tfjs model.json path
 * (Node) or http(s) URL, or an already loaded tfjs LayersModel / GraphModel. Selects a tfjs
 * backend automatically when none is active yet.
 */
export async function loadModel(
  source: string | LayersModel | GraphModel | LoadedModel = DEFAULT_MODEL_ID,
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
  const entry = catalogEntry(source);
  if (entry) {
    const { weights, weightsPackage, cacheDir, baseUrl, maxBytes, timeoutMs, deadlineMs, maxRedirects, fetch } = options;
    const model = await entry.load({ weights, weightsPackage, cacheDir, baseUrl, maxBytes, timeoutMs, deadlineMs, maxRedirects, fetch });
    return build(source, model, options, entry.info.labels, { preprocess: entry.info.preprocessing, classIds: entry.info.classIds });
  }
  if (KERAS_FILE.test(source)) {
    const model = await loadKerasModel(await readModelFile(source, options), source, { maxBytes: options.maxBytes });
    // A model that starts by rescaling its input takes raw 0…255 pixels.
    const rescales = model.layers.some((l, i) => i <= 1 && l.getClassName() === 'Rescaling');
    return build(source, model, options, undefined, { preprocess: rescales ? 'none' : undefined });
  }
  if (!/^https?:\/\//i.test(source) && !/\.json$/i.test(source)) {
    throw new ModelLoadError(
      `Unknown model '${source}'. Use a model id (${listChoices(MODEL_IDS)}), a path to a tfjs model.json or a Keras .keras / .h5 file, or an http(s) URL.`,
    );
  }
  return build(source, await loadTfjsModel(source, options), options);
}
