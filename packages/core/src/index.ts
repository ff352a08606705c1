export { activateBackend } from './backend.js';
export { type BackendDescriptor, currentEnvironment, type Environment, findBackend, listBackends, registerBackend } from './backend-registry.js';
export {
  CAM_NORMALIZATIONS,
  type CamMapsOptions,
  type CamNormalization,
  type CamPostOptions,
  camMaps,
  checkNormalization,
  normalizeMaps,
  rawMaps,
} from './cam-maps.js';
export type { CamInputs, CamMethod, CamProgress, CamResult } from './cam-method.js';
export { BUILTIN_CAM_METHODS, getCamMethod, listCamMethods, registerCamMethod } from './cam-methods.js';
export {
  BackendUnavailableError,
  DecodeError,
  GradcamError,
  type GradcamErrorCode,
  InvalidInputError,
  InvalidTargetError,
  listChoices,
  ModelLoadError,
  NoSuchLayerError,
  NotDifferentiableError,
  nearestFirst,
} from './errors.js';
export {
  AUG_SMOOTH_FACTORS,
  EXPLAIN_BATCH_CHUNK,
  EXPLAIN_BATCH_VALUES,
  type ExplainBatchOptions,
  type ExplainOptions,
  explain,
  explainBatch,
  scoreFunction,
} from './explain.js';
export type { BatchCapture, Capture, CaptureOptions, ExplainableModel, LayerInfo } from './explainable-model.js';
export { gradCamMaps, KERAS_EPSILON } from './grad-cam.js';
export { type ChannelMap, channelSum, guidedGradCam } from './guided-grad-cam.js';
export { type ArrayToImgOptions, arrayToImg, arrayToImgs, imgToArray } from './image-tensor.js';
export { type LayerRef, pickDefaultLayer, resolveLayer } from './layer-selection.js';
export { ablationCam } from './methods/ablation-cam.js';
export { eigenCam } from './methods/eigen-cam.js';
export { eigenGradCam } from './methods/eigen-grad-cam.js';
export { gradCam } from './methods/grad-cam.js';
export { gradCamPlusPlus } from './methods/grad-cam-plus-plus.js';
export { hiResCam } from './methods/hires-cam.js';
export { type IntegratedGradientsOptions, integratedGradients } from './methods/integrated-gradients.js';
export { layerCam } from './methods/layer-cam.js';
export { type OcclusionOptions, occlusionSensitivity } from './methods/occlusion.js';
export { scoreCam } from './methods/score-cam.js';
export { type SmoothGradOptions, smoothGrad } from './methods/smooth-grad.js';
export { xGradCam } from './methods/xgrad-cam.js';
export { combineLayerExplanations } from './multi-layer.js';
export { importNodeBuiltin } from './node-builtin.js';
export { projectMaps, projectOnFirstComponent } from './principal-projection.js';
export { gaussianNoise, mulberry32 } from './random.js';
export { isExplainableModel, listModelAdapters, type ModelAdapter, registerModelAdapter, toExplainableModel } from './registry.js';
export {
  type BoxFormat,
  classTarget,
  type DetectionTargetOptions,
  detectionTarget,
  regressionTarget,
  scoreEachTarget,
  segmentationTarget,
  type Target,
  type TargetFunction,
  type TargetMask,
  type TargetSpec,
  targetName,
  targetScores,
} from './targets.js';
export type { Explanation, Heatmap, RgbaImage, TargetExplanation } from './types.js';
export { yieldToEventLoop } from './yield.js';
