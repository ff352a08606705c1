import { ModelLoadError } from '@gradcam/core';
import { listChoices } from '@gradcam/core/internals';
import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';
import { installAdvice, type ModelJsonContent, readWeightsPackage, type WeightsPackage, type WeightsReadOptions } from './weights-package.js';

/** The classes of the NSFWJS models, in output order. */
export const NSFW_CLASSES: readonly string[] = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];

/** Describes a model whose weights ship in an npm package (`@gradcam/weights-*`) and load offline. */
export interface BundledModelInfo {
  readonly id: string;
  readonly title: string;
  readonly kind: 'layers' | 'graph';
  /** Input height and width. */
  readonly inputSize: readonly [number, number];
  /** Class labels by output index. */
  readonly labels: readonly string[];
  /** How pixels 0..255 become model input. */
  readonly preprocessing: 'x/255';
  /** Where the weights come from. */
  readonly source: string;
  /** The npm package that carries the weights ('@gradcam/weights-nsfw-mobilenet-v2'). */
  readonly package: string;
  /** True when that package is a dependency of @gradcam/models (installed with it); else an optional one to install. */
  readonly installedWithModels: boolean;
  /** Bytes of the weights package's files (model.json + shards). */
  readonly sizeBytes: number;
}

/** Options of loadBundledModel and bundledModelFiles. */
export interface BundledModelOptions extends WeightsReadOptions {
  /**
   * The weights package's module, for where it cannot be imported by name — an optional model
   * in a browser bundle: `{ weightsPackage: await import('@gradcam/weights-nsfw-inception-v3') }`.
   * Default: the package imported by name.
   */
  readonly weightsPackage?: WeightsPackage;
}

interface BundledEntry {
  readonly info: BundledModelInfo;
  /** Imports the weights package. */
  readonly importWeights: () => Promise<unknown>;
}

/**
 * Imports an optional package by a name bundlers do not see: an app that does not install it
 * still builds (Vite and webpack would fail on a literal import they cannot resolve); Node
 * resolves it at run time from this package's folder.
 */
function importOptional(name: string): Promise<unknown> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ name);
}

function nsfwjsModel(
  id: string,
  title: string,
  kind: BundledModelInfo['kind'],
  size: number,
  sizeBytes: number,
  installedWithModels: boolean,
): BundledModelInfo {
  const pkg = `@gradcam/weights-${id.replaceAll('_', '-')}`;
  const source = `nsfwjs 4.4.0 (MIT, Infinite Red, Inc.), weights in the npm package ${pkg}`;
  return { id, title, kind, inputSize: [size, size], labels: NSFW_CLASSES, preprocessing: 'x/255', source, package: pkg, installedWithModels, sizeBytes };
}

// The default model's package is a dependency: a literal import, which bundlers follow (its files
// become assets of a lazily loaded chunk). The others are optional peers, imported by name at run time.
const BUNDLED: Record<string, BundledEntry> = {
  nsfw_mobilenet_v2: {
    info: nsfwjsModel('nsfw_mobilenet_v2', 'NSFWJS MobileNetV2 (Keras 2.2.4 layers model, 224×224, 5 content classes)', 'layers', 224, 2_737_417, true),
    importWeights: () => import('@gradcam/weights-nsfw-mobilenet-v2'),
  },
  nsfw_mobilenet_v2_mid: {
    info: nsfwjsModel('nsfw_mobilenet_v2_mid', 'NSFWJS MobileNetV2-1.4 (graph model, 224×224, 5 content classes)', 'graph', 224, 4_436_057, false),
    importWeights: () => importOptional('@gradcam/weights-nsfw-mobilenet-v2-mid'),
  },
  nsfw_inception_v3: {
    info: nsfwjsModel('nsfw_inception_v3', 'NSFWJS InceptionV3 (Keras 2.2.4 layers model, 299×299, 5 content classes)', 'layers', 299, 22_558_369, false),
    importWeights: () => importOptional('@gradcam/weights-nsfw-inception-v3'),
  },
};

/** The ids of the bundled offline models; the first is the default. */
export const BUNDLED_MODEL_IDS: readonly string[] = Object.keys(BUNDLED);

/** Describes a bundled model, or returns undefined for an unknown id. */
export function bundledModelInfo(id: string): BundledModelInfo | undefined {
  return Object.hasOwn(BUNDLED, id) ? BUNDLED[id].info : undefined;
}

function entryOf(id: string): BundledEntry {
  if (!Object.hasOwn(BUNDLED, id)) throw new ModelLoadError(`Unknown bundled model '${id}'. Bundled models: ${listChoices(BUNDLED_MODEL_IDS)}.`);
  return BUNDLED[id];
}

/**
 * True for the error of importing `name` when it is not installed: Node's ERR_MODULE_NOT_FOUND, or
 * a browser's refusal of a bare specifier it cannot resolve (Chromium, Firefox, Safari wordings).
 */
function isNotFound(error: unknown, name: string): boolean {
  const e = error as { code?: string; message?: string };
  const message = String(e?.message);
  if (!message.includes(name)) return false;
  if (e?.code === 'ERR_MODULE_NOT_FOUND' || e?.code === 'MODULE_NOT_FOUND') return true;
  return /Failed to resolve module specifier|bare specifier|does not resolve to a valid URL|Cannot find (module|package)/i.test(message);
}

/** The weights package of a bundled id imported by name, or `missing` (with the error) when it is not installed. */
async function importWeightsOf(id: string): Promise<{ pkg: unknown } | { missing: ModelLoadError }> {
  const { info, importWeights } = entryOf(id);
  try {
    return { pkg: await importWeights() };
  } catch (error) {
    if (isNotFound(error, info.package)) {
      const missing = new ModelLoadError(`The model '${id}' needs the package ${info.package}, which is not installed. ${installAdvice(id, info.package)}`, {
        cause: error,
      });
      return { missing };
    }
    throw new ModelLoadError(`Could not import ${info.package} (the weights of '${id}'): ${(error as Error).message}`, { cause: error });
  }
}

/** The weights package of a bundled id: `options.weightsPackage`, else imported by name. */
async function weightsPackageOf(id: string, options: BundledModelOptions): Promise<unknown> {
  entryOf(id);
  if (options.weightsPackage !== undefined) return options.weightsPackage;
  const imported = await importWeightsOf(id);
  if ('missing' in imported) throw imported.missing;
  return imported.pkg;
}

/**
 * True when the weights package of a bundled id can be imported here by name. Imports it — a
 * few hundred bytes of JavaScript; the weights are not read.
 * @throws ModelLoadError for an unknown id, or a package that is there but fails to import.
 */
export async function isBundledModelInstalled(id: string): Promise<boolean> {
  return 'pkg' in (await importWeightsOf(id));
}

/** A bundled model's files, as a tfjs model.json and its weight shards (in manifest order). */
export interface BundledModelFiles {
  /** The model.json content: format, modelTopology, weightsManifest (shard paths 'group1-shard1ofN.bin', …). */
  readonly modelJson: ModelJsonContent;
  /** The bytes of each shard path of the manifest, in order. */
  readonly shards: readonly Uint8Array[];
}

/**
 * A bundled model as the files `tf.io` would save (model.json + shards), read from its weights
 * package without network access and checked (size and SHA-256 of every file) — to write them to
 * a folder, or serve them.
 * @throws ModelLoadError for an unknown id, a weights package that is not installed (naming the
 *   npm install to run), or a file that is missing or differs from what the package declares.
 */
export async function bundledModelFiles(id: string, options: BundledModelOptions = {}): Promise<BundledModelFiles> {
  const { info } = entryOf(id);
  return readWeightsPackage(id, info.package, await weightsPackageOf(id, options), options);
}

/**
 * Loads a bundled model from its weights package (`@gradcam/weights-*`), offline, after checking
 * every file's size and SHA-256. The default model's package comes with @gradcam/models; the
 * others are installed by the users who want them.
 * @throws ModelLoadError as bundledModelFiles, or when the model does not build.
 */
export async function loadBundledModel(id: string, options: BundledModelOptions = {}): Promise<LayersModel | GraphModel> {
  const { modelJson: json, shards } = await bundledModelFiles(id, options);
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
