/**
 * Faithfulness and sanity metrics for CAM maps: `@gradcam/core/metrics`. They run the model on
 * modified images through the adapter's optional `predict` (both built-in adapters have it).
 */
export {
  type Baseline,
  baselineImage,
  type ConfidenceChange,
  type CurveOptions,
  confidenceChange,
  deletionCurve,
  insertionCurve,
  type PerturbationCurve,
  type PerturbationOptions,
  randomHeatmap,
  upsampleHeatmap,
} from './perturbation.js';
export { modelRandomization, type RandomizationOptions, type RandomizationReport, type RandomizationResult, type RandomizationStep } from './randomization.js';
export { noisyLinearImputation, type RoadCurve, type RoadOptions, type RoadResult, road } from './road.js';
export { averageRanks, spearman } from './spearman.js';
