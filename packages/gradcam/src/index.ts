import '@gradcam/models';

export {
  type ArrayToImgOptions,
  arrayToImg,
  BackendUnavailableError,
  type CamInputs,
  type CamMethod,
  type CamNormalization,
  type CamProgress,
  type CamResult,
  type ChannelMap,
  channelSum,
  DecodeError,
  type ExplainableModel,
  type Explanation,
  GradcamError,
  getCamMethod,
  guidedGradCam,
  type Heatmap,
  InvalidInputError,
  InvalidTargetError,
  imgToArray,
  type LayerInfo,
  type LayerRef,
  listCamMethods,
  ModelLoadError,
  NoSuchLayerError,
  NotDifferentiableError,
  type RgbaImage,
  registerCamMethod,
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
  type FormatSignedAsImageOptions,
  type FormatSignedOptions,
  formatAsImage,
  formatHeatmap,
  formatSignedAsImage,
  formatSignedHeatmap,
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
export { type EvaluateOptions, type Evaluation, evaluateExplanation, type TargetEvaluation } from './evaluate.js';
export { explainGuided, type GuidedExplanation, type GuidedTarget } from './explain-guided.js';
export { type ExplainPredictionOptions, explainBatch, explainPrediction, showPrediction } from './explain-prediction.js';
export { isLoadedModel, type LoadedModel, type LoadModelOptions, listModels, loadModel, type ModelListing, type Prediction } from './load-model.js';
export { type PredictOptions, predict } from './predict.js';
