// The public API: what applications and plug-in authors (a model kind, a CAM method, a backend)
// use. Helpers that only gradcam's own packages need are in './internals.js'.
export { activateBackend } from './backend.js';
export { type BackendDescriptor, currentEnvironment, type Environment, findBackend, listBackends, registerBackend } from './backend-registry.js';
export { CAM_NORMALIZATIONS, type CamNormalization } from './cam-maps.js';
export type { CamInputs, CamMethod, CamProgress, CamResult } from './cam-method.js';
export { BUILTIN_CAM_METHODS, checkCounterfactual, getCamMethod, listCamMethods, type OptionNames, registerCamMethod } from './cam-methods.js';
export {
  BackendUnavailableError,
  DecodeError,
  GradcamError,
  type GradcamErrorCode,
  InvalidInputError,
  InvalidTargetError,
  ModelLoadError,
  NoSuchLayerError,
  NotDifferentiableError,
} from './errors.js';
export { EXPLAIN_BATCH_CHUNK, type ExplainBatchOptions, type ExplainOptions, explain, explainBatch } from './explain.js';
export type { BatchCapture, Capture, CaptureOptions, ExplainableModel, LayerInfo } from './explainable-model.js';
export { type ChannelMap, channelSum, guidedGradCam } from './guided-grad-cam.js';
export { type ArrayToImgOptions, arrayToImg, arrayToImgs, imgToArray } from './image-tensor.js';
export { type LayerRef, pickDefaultLayer, resolveLayer } from './layer-selection.js';
export { type IntegratedGradientsOptions, integratedGradients } from './methods/integrated-gradients.js';
export { type OcclusionOptions, occlusionSensitivity } from './methods/occlusion.js';
export { type SmoothGradOptions, smoothGrad } from './methods/smooth-grad.js';
export { combineLayerExplanations } from './multi-layer.js';
export { isExplainableModel, listModelAdapters, type ModelAdapter, registerModelAdapter, toExplainableModel } from './registry.js';
export {
  type BoxFormat,
  classTarget,
  type DetectionTargetOptions,
  detectionTarget,
  regressionTarget,
  segmentationTarget,
  type Target,
  type TargetFunction,
  type TargetMask,
  type TargetSpec,
} from './targets.js';
export type { Explanation, Heatmap, RgbaImage, TargetExplanation } from './types.js';
