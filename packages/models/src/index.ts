import { registerModelAdapter } from '@gradcam/core';
import { graphModelAdapter } from './graph-model-adapter.js';
import { layersModelAdapter } from './layers-model-adapter.js';

// The core types this package's functions take and return, importable where users meet them.
export type { BatchCapture, Capture, CaptureOptions, ModelAdapter } from '@gradcam/core';
export type { RandomizationStep } from '@gradcam/core/metrics';

// Importing this package makes explain() accept tfjs LayersModel and GraphModel objects.
registerModelAdapter(graphModelAdapter);
registerModelAdapter(layersModelAdapter);

export {
  BUNDLED_MODEL_IDS,
  type BundledModelFiles,
  type BundledModelInfo,
  type BundledModelOptions,
  bundledModelFiles,
  bundledModelInfo,
  isBundledModelInstalled,
  loadBundledModel,
  NSFW_CLASSES,
} from './bundled-models.js';
export { GraphModelAdapter, graphModelAdapter, isGraphModel } from './graph-model-adapter.js';
export { type GuidedBackpropOptions, guidedBackprop, guidedRelu } from './guided-backprop.js';
export { IMAGENET_CLASS_INDEX } from './imagenet-classes.js';
export {
  cachedImagenetWeightsSize,
  decodePredictions,
  IMAGENET_CLASS_IDS,
  IMAGENET_LABELS,
  IMAGENET_MODEL_IDS,
  type ImagenetModelInfo,
  type ImagenetPrediction,
  imagenetModelInfo,
  isImagenetWeightsCached,
  loadImagenetModel,
  mobileNetV2,
  mobileNetV2WeightFile,
  nasNet,
  nasNetMobile,
  nasNetMobileWeightFile,
  preprocessInput,
  type WeightsOptions,
} from './imagenet-models.js';
export { kerasToTfjsTopology } from './keras-config.js';
export { hasHdf5Signature, type KerasH5File, type KerasH5Weight, type ReadKerasH5Options, readKerasH5, setKerasWeights, writeKerasH5 } from './keras-h5.js';
export { isZipArchive, type KerasModelFileOptions, loadKerasModel } from './keras-model-file.js';
export { isLayersModel, LayersModelAdapter, type LayersModelAdapterOptions, layersModelAdapter } from './layers-model-adapter.js';
export { buildMobileNetV2, type KerasWeights, MOBILENET_V2_ALPHAS, MOBILENET_V2_SIZES, type MobileNetV2Options } from './mobilenet-v2.js';
export {
  type BundledCatalogEntry,
  type CatalogEntry,
  type CatalogLoadOptions,
  type CatalogModelInfo,
  catalogEntry,
  DEFAULT_MODEL_ID,
  type ImagenetCatalogEntry,
  loadCatalogModel,
  MODEL_CATALOG,
  MODEL_IDS,
} from './model-catalog.js';
export { buildNASNet, NASNET_MOBILE, type NASNetOptions } from './nasnet.js';
export { randomizationSteps, reinitializeLayers, type WeightBlock, weightBlocks } from './randomize-weights.js';
export { stripSoftmax } from './strip-softmax.js';
export {
  cachedWeightFileSize,
  cacheFileNameOf,
  defaultCacheDir,
  fetchParsedWeightFile,
  fetchWeightFile,
  isWeightFileCached,
  type WeightCacheOptions,
  type WeightFile,
  type WeightFileSpec,
  WeightsIntegrityError,
  weightFileUrl,
} from './weights-cache.js';
export {
  type ModelJsonContent,
  readWeightsPackage,
  type WeightsPackage,
  type WeightsPackageContents,
  type WeightsPackageFile,
  type WeightsReadOptions,
} from './weights-package.js';
