export { activateBackend } from './backend.js';
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
export type { BatchCapture, Capture, CaptureOptions, ExplainableModel, LayerInfo, TargetSpec } from './explainable-model.js';
export { gradCamMaps, gradCamRows, KERAS_EPSILON } from './grad-cam.js';
export { type ChannelMap, channelSum, guidedGradCam } from './guided-grad-cam.js';
export { type ArrayToImgOptions, arrayToImg, arrayToImgs, imgToArray } from './image-tensor.js';
export {
  type GraphActivation,
  type GraphCaptureRequest,
  type GraphExecutor,
  type GraphNode,
  type GraphOp,
  type GraphPadding,
  graphAncestors,
  graphExecutorFor,
  type InferenceGraph,
  listGraphExecutors,
  registerGraphExecutor,
  releaseGraph,
  unregisterGraphExecutor,
} from './inference-graph.js';
export { type LayerRef, pickDefaultLayer, resolveLayer } from './layer-selection.js';
export { eigenCam } from './methods/eigen-cam.js';
export { eigenGradCam } from './methods/eigen-grad-cam.js';
export { gradCam } from './methods/grad-cam.js';
export { gradCamPlusPlus } from './methods/grad-cam-plus-plus.js';
export { hiResCam } from './methods/hires-cam.js';
export { layerCam } from './methods/layer-cam.js';
export { scoreCam } from './methods/score-cam.js';
export { xGradCam } from './methods/xgrad-cam.js';
export { importNodeBuiltin } from './node-builtin.js';
export { projectMaps, projectOnFirstComponent } from './principal-projection.js';
export { isExplainableModel, listModelAdapters, type ModelAdapter, registerModelAdapter, toExplainableModel } from './registry.js';
export type { Explanation, Heatmap, RgbaImage, TargetExplanation } from './types.js';
