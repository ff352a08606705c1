import '@gradcam/models';

export {
  type ArrayToImgOptions,
  arrayToImg,
  BackendUnavailableError,
  DecodeError,
  type ExplainableModel,
  type Explanation,
  GradcamError,
  type Heatmap,
  InvalidInputError,
  InvalidTargetError,
  imgToArray,
  type LayerInfo,
  type LayerRef,
  ModelLoadError,
  NoSuchLayerError,
  NotDifferentiableError,
  type RgbaImage,
  registerModelAdapter,
  type TargetExplanation,
  type TargetSpec,
} from '@gradcam/core';
export {
  alphaComposite,
  type Colormap,
  colorize,
  colormapNames,
  type DecodeOptions,
  decodeImage,
  encodePng,
  expandHeatmap,
  type FormatAsImageOptions,
  formatAsImage,
  formatHeatmap,
  type GrayImage,
  heatmapToImage,
  type LoadImgOptions,
  loadImg,
  type ResamplingFilter,
  resamplingFilters,
} from '@gradcam/format';
export {
  BUNDLED_MODEL_IDS,
  type BundledModelInfo,
  bundledModelInfo,
  type ImagenetModelInfo,
  imagenetModelInfo,
  NSFW_CLASSES,
  stripSoftmax,
} from '@gradcam/models';
export { type BackendName, ensureBackend, nativeDecodeOptions, type SetBackendOptions, setBackend } from './backend.js';
export { type ExplainPredictionOptions, explainBatch, explainPrediction, showPrediction } from './explain-prediction.js';
export { isLoadedModel, type LoadedModel, type LoadModelOptions, listModels, loadModel, type ModelListing, type Prediction } from './load-model.js';
