/**
 * @packageDocumentation
 * Helpers that gradcam's own packages share (`@gradcam/core/internals`). Not part of the public
 * API: they may change in any release. Applications and plug-ins use `@gradcam/core`.
 */
export { type CamMapsOptions, type CamPostOptions, camMaps, checkNormalization, normalizeMaps, rawMaps } from './cam-maps.js';
export { listChoices, nearestFirst } from './errors.js';
export { AUG_SMOOTH_FACTORS, EXPLAIN_BATCH_VALUES, scoreFunction } from './explain.js';
export { gradCamMaps, gradCamRows, KERAS_EPSILON } from './grad-cam.js';
export { deferredImages } from './image-tensor.js';
export {
  type GraphActivation,
  type GraphCaptureRequest,
  type GraphExecutor,
  type GraphNode,
  type GraphOp,
  type GraphPadding,
  type GraphSplit,
  graphAncestors,
  graphExecutorFor,
  type InferenceGraph,
  registerGraphExecutor,
  releaseGraph,
  scoreNode,
  splitAtExplained,
  unregisterGraphExecutor,
} from './inference-graph.js';
export { importNodeBuiltin } from './node-builtin.js';
export { projectMaps, projectOnFirstComponent } from './principal-projection.js';
export { gaussianNoise, mulberry32 } from './random.js';
export { scoreEachTarget, targetName, targetScores } from './targets.js';
export { yieldToEventLoop } from './yield.js';
