export { activateBackend } from './backend.js';
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
export { type ExplainBatchOptions, type ExplainOptions, explain, explainBatch } from './explain.js';
export type { Capture, CaptureOptions, ExplainableModel, LayerInfo, TargetSpec } from './explainable-model.js';
export { gradCamMaps, KERAS_EPSILON } from './grad-cam.js';
export { type ArrayToImgOptions, arrayToImg, imgToArray } from './image-tensor.js';
export { type LayerRef, pickDefaultLayer, resolveLayer } from './layer-selection.js';
export { importNodeBuiltin } from './node-builtin.js';
export { isExplainableModel, listModelAdapters, type ModelAdapter, registerModelAdapter, toExplainableModel } from './registry.js';
export type { Explanation, Heatmap, RgbaImage, TargetExplanation } from './types.js';
