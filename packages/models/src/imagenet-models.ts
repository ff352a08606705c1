import { InvalidInputError, ModelLoadError } from '@gradcam/core';
import { listChoices } from '@gradcam/core/internals';
import { DEFAULT_MAX_MODEL_BYTES, readRegularFile } from '@gradcam/io';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { IMAGENET_CLASS_INDEX } from './imagenet-classes.js';
import { type KerasH5File, readKerasH5, setKerasWeights } from './keras-h5.js';
import { buildMobileNetV2, type KerasWeights, MOBILENET_V2_ALPHAS, type MobileNetV2Options, mobileNetV2Rows } from './mobilenet-v2.js';
import { buildNASNet, NASNET_MOBILE, type NASNetOptions } from './nasnet.js';
import { cachedWeightFileSize, cacheFileNameOf, fetchParsedWeightFile, type WeightCacheOptions, type WeightFileSpec } from './weights-cache.js';

/** Where the weights of a builder come from, plus the download/cache options. */
export interface WeightsOptions extends WeightCacheOptions {
  /** 'imagenet' (the official Keras file, downloaded once and cached), null (random), or a .h5 path or URL. Default 'imagenet'. */
  readonly weights?: KerasWeights;
}

const MOBILENET_V2_BASE = 'https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/';
const NASNET_BASE = 'https://storage.googleapis.com/tensorflow/keras-applications/nasnet/';

/**
 * The official MobileNetV2 weight file for alpha, rows and head. Keras (3.15) passes no
 * `file_hash` for these files, so none is checked: the HDF5 signature is, and setting the weights
 * checks that every layer is present with the expected shapes.
 */
export function mobileNetV2WeightFile(alpha: number, rows: number, includeTop: boolean): WeightFileSpec {
  const fileName = `mobilenet_v2_weights_tf_dim_ordering_tf_kernels_${pythonFloat(alpha)}_${rows}${includeTop ? '' : '_no_top'}.h5`;
  return { fileName, url: MOBILENET_V2_BASE + fileName };
}

/** The official NASNetMobile weight file, with the MD5 that keras.applications.nasnet passes as `file_hash`. */
export function nasNetMobileWeightFile(includeTop: boolean): WeightFileSpec {
  return includeTop
    ? { fileName: 'NASNet-mobile.h5', url: `${NASNET_BASE}NASNet-mobile.h5`, md5: '020fb642bf7360b370c678b08e0adf61' }
    : { fileName: 'NASNet-mobile-no-top.h5', url: `${NASNET_BASE}NASNet-mobile-no-top.h5`, md5: '1ed92395b5b598bdda52abe5c0dbfd63' };
}

/** Python's str(float(alpha)): 1 → '1.0', 0.35 → '0.35'. */
function pythonFloat(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/**
 * The parsed Keras file of 'imagenet' (the spec, through the cache), an http(s) URL (through the
 * cache) or a local path (Node; a regular file of at most `maxBytes`).
 */
async function kerasFile(weights: string, spec: () => WeightFileSpec, options: WeightCacheOptions): Promise<{ file: KerasH5File; source: string }> {
  const parsed = async (s: WeightFileSpec, o: WeightCacheOptions) => {
    const { file, value } = await fetchParsedWeightFile(s, o, readKerasH5);
    return { file: value, source: file.location };
  };
  if (weights === 'imagenet') return parsed(spec(), options);
  if (/^https?:\/\//i.test(weights)) {
    return { ...(await parsed({ fileName: cacheFileNameOf(weights), url: weights }, { ...options, baseUrl: undefined })), source: weights };
  }
  const bytes = await readRegularFile(weights, { error: ModelLoadError, what: 'the weight file', maxBytes: options.maxBytes ?? DEFAULT_MAX_MODEL_BYTES });
  return { file: await readKerasH5(bytes, weights), source: weights };
}

/** Sets a built model's weights from 'imagenet' (spec), a path or a URL; disposes the model on failure. */
async function withWeights(
  model: LayersModel,
  weights: KerasWeights | undefined,
  spec: () => WeightFileSpec,
  options: WeightCacheOptions,
): Promise<LayersModel> {
  if (weights === null) return model;
  try {
    const { file, source } = await kerasFile(weights ?? 'imagenet', spec, options);
    setKerasWeights(model, file, source);
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/**
 * keras.applications.MobileNetV2 in tfjs-layers: same layer names, shapes and parameter counts;
 * weights 'imagenet' (default: the official Keras file, downloaded once into the cache), null
 * (random) or a path/URL of a Keras .h5 weight file.
 */
export async function mobileNetV2(options: MobileNetV2Options & WeightsOptions = {}): Promise<LayersModel> {
  const alpha = options.alpha ?? 1.0;
  const includeTop = options.includeTop ?? true;
  if ((options.weights ?? 'imagenet') === 'imagenet') {
    if (!MOBILENET_V2_ALPHAS.includes(alpha))
      throw new InvalidInputError(`mobileNetV2: ImageNet weights exist for alpha ${listChoices(MOBILENET_V2_ALPHAS)}; got ${alpha}.`);
    if (includeTop && (options.classes ?? 1000) !== 1000) throw new InvalidInputError(`mobileNetV2: ImageNet weights with includeTop need classes = 1000.`);
  }
  const rows = mobileNetV2Rows(options.inputShape ?? [224, 224, 3]);
  // As Keras: with ImageNet weights, the name carries the rows of the weight file.
  const imagenet = (options.weights ?? 'imagenet') === 'imagenet';
  const model = buildMobileNetV2(imagenet && !options.name ? { ...options, name: `mobilenetv2_${alpha.toFixed(2)}_${rows}` } : options);
  return withWeights(model, options.weights, () => mobileNetV2WeightFile(alpha, rows, includeTop), options);
}

/**
 * The generic keras.applications.nasnet.NASNet builder (NASNetMobile and NASNetLarge are
 * instances). Weights: null (default here) or a path/URL of a Keras .h5 file; 'imagenet' only
 * through nasNetMobile.
 */
export async function nasNet(options: NASNetOptions & WeightsOptions = {}): Promise<LayersModel> {
  if (options.weights === 'imagenet') throw new InvalidInputError(`nasNet: ImageNet weights are loaded by nasNetMobile(); pass null or a .h5 path here.`);
  return withWeights(buildNASNet(options), options.weights ?? null, () => nasNetMobileWeightFile(true), options);
}

/** keras.applications.NASNetMobile (224×224, model name 'nasnet_mobile' as in Keras 3), with ImageNet weights by default. */
export async function nasNetMobile(options: Omit<NASNetOptions, keyof typeof NASNET_MOBILE> & WeightsOptions = {}): Promise<LayersModel> {
  const includeTop = options.includeTop ?? true;
  const inputShape = options.inputShape ?? [224, 224, 3];
  if ((options.weights ?? 'imagenet') === 'imagenet') {
    if (inputShape[0] !== 224 || inputShape[1] !== 224) throw new InvalidInputError(`nasNetMobile: ImageNet weights need inputShape [224, 224, 3].`);
    if (includeTop && (options.classes ?? 1000) !== 1000) throw new InvalidInputError(`nasNetMobile: ImageNet weights with includeTop need classes = 1000.`);
  }
  const model = buildNASNet({ ...options, ...NASNET_MOBILE, inputShape, name: options.name ?? 'nasnet_mobile' });
  return withWeights(model, options.weights, () => nasNetMobileWeightFile(includeTop), options);
}

/**
 * MobileNetV2 and NASNet preprocess_input (Keras mode 'tf'): pixels 0..255 → [−1, 1] as
 * x / 127.5 − 1, in float32. Keeps the rank; the caller disposes the result.
 */
export function preprocessInput(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sub(tf.div(tf.cast(x, 'float32'), 127.5), 1));
}

/** One decoded ImageNet prediction. */
export interface ImagenetPrediction {
  /** WordNet synset id, e.g. 'n02108422'. */
  readonly classId: string;
  /** Keras' label, e.g. 'bull_mastiff'. */
  readonly label: string;
  readonly score: number;
  /** Index in the model output. */
  readonly index: number;
}

/** ImageNet labels by output index (Keras' imagenet_class_index.json). */
export const IMAGENET_LABELS: readonly string[] = IMAGENET_CLASS_INDEX.map(([, label]) => label);
/** ImageNet synset ids by output index. */
export const IMAGENET_CLASS_IDS: readonly string[] = IMAGENET_CLASS_INDEX.map(([id]) => id);

/**
 * keras.applications decode_predictions: per sample, the `top` classes by score (ties by index),
 * as { classId, label, score, index }. `preds` is [samples, 1000] (tensor or arrays).
 */
export function decodePredictions(preds: tf.Tensor | readonly ArrayLike<number>[], top = 5): ImagenetPrediction[][] {
  let rows: ArrayLike<number>[];
  if (preds instanceof tf.Tensor) {
    if (preds.rank !== 2 || preds.shape[1] !== 1000)
      throw new InvalidInputError(`decodePredictions expects a [samples, 1000] array; got [${preds.shape.join(', ')}].`);
    const values = preds.dataSync();
    rows = Array.from({ length: preds.shape[0] }, (_, i) => values.subarray(i * 1000, (i + 1) * 1000));
  } else {
    rows = [...preds];
  }
  return rows.map((row) => {
    if (row.length !== 1000) throw new InvalidInputError(`decodePredictions expects 1000 scores per sample; got ${row.length}.`);
    return Array.from({ length: 1000 }, (_, index) => ({ classId: IMAGENET_CLASS_IDS[index], label: IMAGENET_LABELS[index], score: row[index], index }))
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, top);
  });
}

/** Describes an ImageNet model id of the registry. */
export interface ImagenetModelInfo {
  readonly id: string;
  readonly title: string;
  readonly kind: 'layers';
  readonly inputSize: readonly [number, number];
  readonly classes: number;
  /** Keras' ImageNet labels by output index (IMAGENET_LABELS). */
  readonly labels: readonly string[];
  /** WordNet synset ids by output index (IMAGENET_CLASS_IDS). */
  readonly classIds: readonly string[];
  /** Trainable + non-trainable parameters (float32 each). */
  readonly paramCount: number;
  /** The Grad-CAM layer chosen by default (ELI5's rule, skipping 1×1 outputs). */
  readonly defaultLayer: string;
  /** How pixels 0..255 become model input. */
  readonly preprocessing: '[-1,1]';
  /** The official weight file. */
  readonly weights: WeightFileSpec;
}

const IMAGENET: Record<string, ImagenetModelInfo & { load: (o: WeightsOptions) => Promise<LayersModel> }> = {
  mobilenet_v2: {
    id: 'mobilenet_v2',
    title: 'MobileNetV2 1.0 (keras.applications, ImageNet, 224×224, 1000 classes)',
    kind: 'layers',
    inputSize: [224, 224],
    classes: 1000,
    labels: IMAGENET_LABELS,
    classIds: IMAGENET_CLASS_IDS,
    paramCount: 3_538_984,
    defaultLayer: 'out_relu',
    preprocessing: '[-1,1]',
    weights: mobileNetV2WeightFile(1.0, 224, true),
    load: (o) => mobileNetV2(o),
  },
  nasnet_mobile: {
    id: 'nasnet_mobile',
    title: 'NASNetMobile (keras.applications, ImageNet, 224×224, 1000 classes)',
    kind: 'layers',
    inputSize: [224, 224],
    classes: 1000,
    labels: IMAGENET_LABELS,
    classIds: IMAGENET_CLASS_IDS,
    paramCount: 5_326_716,
    defaultLayer: 'activation_187',
    preprocessing: '[-1,1]',
    weights: nasNetMobileWeightFile(true),
    load: (o) => nasNetMobile(o),
  },
};

/** The ImageNet model ids (weights from the official Keras files). */
export const IMAGENET_MODEL_IDS: readonly string[] = Object.keys(IMAGENET);

/** Describes an ImageNet model id, or returns undefined for an unknown id. */
export function imagenetModelInfo(id: string): ImagenetModelInfo | undefined {
  const entry = IMAGENET[id];
  if (!entry) return undefined;
  const { load: _load, ...info } = entry;
  return info;
}

/** The size of the cached official weight file of an ImageNet model id, or undefined when it is not cached. */
export async function cachedImagenetWeightsSize(id: string, options: WeightCacheOptions = {}): Promise<number | undefined> {
  const entry = IMAGENET[id];
  if (!entry) throw new ModelLoadError(`Unknown ImageNet model '${id}'. ImageNet models: ${listChoices(IMAGENET_MODEL_IDS)}.`);
  return cachedWeightFileSize(entry.weights, options);
}

/** True when the official weight file of an ImageNet model id is already in the cache. */
export async function isImagenetWeightsCached(id: string, options: WeightCacheOptions = {}): Promise<boolean> {
  return (await cachedImagenetWeightsSize(id, options)) !== undefined;
}

/** Builds an ImageNet model id with its weights ('imagenet' by default: cache or download; or a local .h5 path / URL). */
export async function loadImagenetModel(id: string, options: WeightsOptions = {}): Promise<LayersModel> {
  const entry = IMAGENET[id];
  if (!entry) throw new ModelLoadError(`Unknown ImageNet model '${id}'. ImageNet models: ${listChoices(IMAGENET_MODEL_IDS)}.`);
  if (options.weights === null)
    throw new InvalidInputError(`loadImagenetModel('${id}') loads weights; use mobileNetV2/nasNetMobile({ weights: null }) for random ones.`);
  return entry.load(options);
}
