import { ModelLoadError } from '@gradcam/core';
import { listChoices } from '@gradcam/core/internals';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { BUNDLED_MODEL_IDS, type BundledModelInfo, type BundledModelOptions, bundledModelInfo, loadBundledModel } from './bundled-models.js';
import { IMAGENET_MODEL_IDS, type ImagenetModelInfo, imagenetModelInfo, loadImagenetModel, type WeightsOptions } from './imagenet-models.js';

/** What every catalog model says about itself, bundled or ImageNet. */
export interface CatalogModelInfo extends Pick<BundledModelInfo, 'id' | 'title' | 'kind' | 'inputSize' | 'labels'> {
  /** Class ids by output index, where the model has them (ImageNet synset ids). */
  readonly classIds?: readonly string[];
  /** How pixels 0..255 become model input: x/255, or x/127.5 − 1. */
  readonly preprocessing: 'x/255' | '[-1,1]';
}

/**
 * Options of a catalog entry's load. Bundled ids read `weightsPackage` and the fetch bounds
 * (browsers); ImageNet ids read `weights` ('imagenet' by default), the cache and download options.
 */
export interface CatalogLoadOptions extends BundledModelOptions, WeightsOptions {}

/** A model whose weights ship in an npm package (`@gradcam/weights-*`): offline, checked by SHA-256. */
export interface BundledCatalogEntry {
  readonly id: string;
  readonly source: 'bundled';
  readonly info: BundledModelInfo & CatalogModelInfo;
  /** Loads the model from its weights package. */
  load(options?: CatalogLoadOptions): Promise<LayersModel | GraphModel>;
}

/** A keras.applications model built here, with the official Keras weight file (cached, or downloaded once). */
export interface ImagenetCatalogEntry {
  readonly id: string;
  readonly source: 'imagenet';
  readonly info: ImagenetModelInfo & CatalogModelInfo;
  /** Builds the model and sets its weights ('imagenet' by default, or `weights`: a .h5 path or URL). */
  load(options?: CatalogLoadOptions): Promise<LayersModel>;
}

/** One model of the catalog: its id, where its weights come from, what it is, and how to load it. */
export type CatalogEntry = BundledCatalogEntry | ImagenetCatalogEntry;

/** The id loadModel uses when given none: the bundled NSFWJS MobileNetV2, whose weights come with @gradcam/models. */
export const DEFAULT_MODEL_ID = 'nsfw_mobilenet_v2';

function bundledEntry(id: string): BundledCatalogEntry {
  const info = bundledModelInfo(id) as BundledModelInfo;
  return {
    id,
    source: 'bundled',
    info,
    load: (options = {}) => {
      if (options.weights !== undefined) {
        return Promise.reject(
          new ModelLoadError(`The 'weights' option applies to the ImageNet ids (${listChoices(IMAGENET_MODEL_IDS)}); '${id}' ships its own weights.`),
        );
      }
      return loadBundledModel(id, options);
    },
  };
}

function imagenetEntry(id: string): ImagenetCatalogEntry {
  const info = imagenetModelInfo(id) as ImagenetModelInfo;
  return {
    id,
    source: 'imagenet',
    info,
    load: (options = {}) => {
      if (options.weightsPackage !== undefined) {
        return Promise.reject(
          new ModelLoadError(`The 'weightsPackage' option applies to the bundled ids (${listChoices(BUNDLED_MODEL_IDS)}), not to '${id}'.`),
        );
      }
      return loadImagenetModel(id, { ...options, weights: options.weights ?? 'imagenet' });
    },
  };
}

/**
 * Every model id loadModel knows, in the order `gradcam models` lists them: the bundled models
 * (the default first), then the ImageNet models.
 */
export const MODEL_CATALOG: readonly CatalogEntry[] = Object.freeze([...BUNDLED_MODEL_IDS.map(bundledEntry), ...IMAGENET_MODEL_IDS.map(imagenetEntry)]);

/** The ids of the catalog, in its order. */
export const MODEL_IDS: readonly string[] = Object.freeze(MODEL_CATALOG.map((entry) => entry.id));

/** The catalog entry of an id, or undefined for an id the catalog does not know. */
export function catalogEntry(id: string): CatalogEntry | undefined {
  return MODEL_CATALOG.find((entry) => entry.id === id);
}

/**
 * Loads a catalog model by id.
 * @throws ModelLoadError for an unknown id (listing the known ones), and as the entry's load.
 */
export function loadCatalogModel(id: string, options: CatalogLoadOptions = {}): Promise<LayersModel | GraphModel> {
  const entry = catalogEntry(id);
  if (!entry) return Promise.reject(new ModelLoadError(`Unknown model id '${id}'. Model ids: ${listChoices(MODEL_IDS)}.`));
  return entry.load(options);
}
