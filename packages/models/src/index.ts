import { registerModelAdapter } from '@gradcam/core';
import { graphModelAdapter } from './graph-model-adapter.js';
import { layersModelAdapter } from './layers-model-adapter.js';

// Importing this package makes explain() accept tfjs LayersModel and GraphModel objects.
registerModelAdapter(graphModelAdapter);
registerModelAdapter(layersModelAdapter);

export { BUNDLED_MODEL_IDS, type BundledModelInfo, bundledModelInfo, loadBundledModel, NSFW_CLASSES } from './bundled-models.js';
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
export { hasHdf5Signature, type KerasH5File, type KerasH5Weight, readKerasH5, setKerasWeights, writeKerasH5 } from './keras-h5.js';
export { isLayersModel, LayersModelAdapter, type LayersModelAdapterOptions, layersModelAdapter } from './layers-model-adapter.js';
export { buildMobileNetV2, type KerasWeights, MOBILENET_V2_ALPHAS, MOBILENET_V2_SIZES, type MobileNetV2Options } from './mobilenet-v2.js';
export { buildNASNet, NASNET_MOBILE, type NASNetOptions } from './nasnet.js';
export { randomizationSteps, reinitializeLayers, type WeightBlock, weightBlocks } from './randomize-weights.js';
export { stripSoftmax } from './strip-softmax.js';
export { type DeltaForward, type ForwardPass, runTargetGradients, singleCapture } from './target-gradients.js';
export {
  cachedWeightFileSize,
  defaultCacheDir,
  fetchWeightFile,
  isWeightFileCached,
  type WeightCacheOptions,
  type WeightFile,
  type WeightFileSpec,
  WeightsIntegrityError,
  weightFileUrl,
} from './weights-cache.js';
