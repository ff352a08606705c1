import { listChoices, ModelLoadError } from '@gradcam/core';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';

/** The classes of the NSFWJS models, in output order. */
export const NSFW_CLASSES: readonly string[] = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

/** Describes a model that ships inside an npm package and loads offline. */
export interface BundledModelInfo {
  readonly id: string;
  readonly title: string;
  readonly kind: 'layers' | 'graph';
  /** Input height and width. */
  readonly inputSize: readonly [number, number];
  readonly labels: readonly string[];
  /** How pixels 0..255 become model input. */
  readonly preprocessing: 'x/255';
  /** Where the weights come from. */
  readonly source: string;
  /** Bytes of the model's files in the nsfwjs package (topology + weight modules). */
  readonly sizeBytes: number;
}

interface ModelModule {
  modelJson: () => Promise<{ default: ModelJson }>;
  weightBundles: (() => Promise<{ default: string }>)[];
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

const SOURCE = 'nsfwjs 4.4.0 (MIT), weights bundled in the npm package';

type BundledEntry = BundledModelInfo & { load: () => Promise<ModelModule> };

/** The fields every NSFWJS model shares: labels, preprocessing and where the weights come from. */
function nsfwjsModel(id: string, title: string, kind: BundledModelInfo['kind'], size: number, sizeBytes: number, load: () => Promise<unknown>): BundledEntry {
  const info = { id, title, kind, inputSize: [size, size] as const, labels: NSFW_CLASSES, preprocessing: 'x/255' as const, source: SOURCE, sizeBytes };
  return { ...info, load: load as () => Promise<ModelModule> };
}

const BUNDLED: Record<string, BundledEntry> = {
  nsfw_mobilenet_v2: nsfwjsModel(
    'nsfw_mobilenet_v2',
    'NSFWJS MobileNetV2 (Keras 2.2.4 layers model, 224×224, 5 content classes)',
    'layers',
    224,
    3_600_073,
    async () => (await import('nsfwjs/models/mobilenet_v2')).MobileNetV2Model,
  ),
  nsfw_mobilenet_v2_mid: nsfwjsModel(
    'nsfw_mobilenet_v2_mid',
    'NSFWJS MobileNetV2-1.4 (graph model, 224×224, 5 content classes)',
    'graph',
    224,
    5_864_553,
    async () => (await import('nsfwjs/models/mobilenet_v2_mid')).MobileNetV2MidModel,
  ),
  nsfw_inception_v3: nsfwjsModel(
    'nsfw_inception_v3',
    'NSFWJS InceptionV3 (Keras 2.2.4 layers model, 299×299, 5 content classes)',
    'layers',
    299,
    29_997_085,
    async () => (await import('nsfwjs/models/inception_v3')).InceptionV3Model,
  ),
};

/** The ids of the bundled offline models; the first is the default. */
export const BUNDLED_MODEL_IDS: readonly string[] = Object.keys(BUNDLED);

/** Describes a bundled model, or returns undefined for an unknown id. */
export function bundledModelInfo(id: string): BundledModelInfo | undefined {
  const entry = BUNDLED[id];
  if (!entry) return undefined;
  const { load: _load, ...info } = entry;
  return info;
}

function base64ToBytes(base64: string): Uint8Array {
  const maybeBuffer = (globalThis as { Buffer?: { from(s: string, e: string): Uint8Array } }).Buffer;
  if (maybeBuffer) return new Uint8Array(maybeBuffer.from(base64, 'base64'));
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** A bundled model's files, as a tfjs model.json and its weight shards (in manifest order). */
export interface BundledModelFiles {
  /** The model.json content: modelTopology, weightsManifest (shard paths 'group1-shard1ofN.bin', …), format. */
  readonly modelJson: { modelTopology: object; weightsManifest: ModelJson['weightsManifest']; format: 'layers-model' | 'graph-model' };
  /** The bytes of each shard path of the manifest, in order. */
  readonly shards: readonly Uint8Array[];
}

/**
 * A bundled model as the files `tf.io` would save (model.json + shards), read from its npm
 * package without network access — to write them to a folder, or serve them.
 */
export async function bundledModelFiles(id: string): Promise<BundledModelFiles> {
  const entry = BUNDLED[id];
  if (!entry) throw new ModelLoadError(`Unknown bundled model '${id}'. Bundled models: ${listChoices(BUNDLED_MODEL_IDS)}.`);
  try {
    const module = await entry.load();
    const json = (await module.modelJson()).default;
    const shards = await Promise.all(module.weightBundles.map(async (bundle) => base64ToBytes((await bundle()).default)));
    const format = entry.kind === 'graph' ? 'graph-model' : 'layers-model';
    return { modelJson: { modelTopology: json.modelTopology, weightsManifest: json.weightsManifest, format }, shards };
  } catch (error) {
    throw new ModelLoadError(`Could not read the bundled model '${id}' from the nsfwjs package: ${(error as Error).message}. Is nsfwjs 4.4.0 installed?`, {
      cause: error,
    });
  }
}

/**
 * Loads a bundled model from its npm package, without network access and without importing
 * the NSFWJS runtime (which would pull in the whole @tensorflow/tfjs).
 */
export async function loadBundledModel(id: string): Promise<LayersModel | GraphModel> {
  const { modelJson: json, shards } = await bundledModelFiles(id);
  const total = shards.reduce((n, s) => n + s.byteLength, 0);
  const weightData = new Uint8Array(total);
  let offset = 0;
  for (const shard of shards) {
    weightData.set(shard, offset);
    offset += shard.byteLength;
  }
  const handler = tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: weightData.buffer,
  });
  try {
    return json.format === 'graph-model' ? await loadGraphModel(handler) : await loadLayersModel(handler);
  } catch (error) {
    throw new ModelLoadError(`The bundled model '${id}' failed to build: ${(error as Error).message}`, { cause: error });
  }
}
