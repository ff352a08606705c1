/**
 * Test helpers for backend and adapter authors: `@gradcam/core/testing`. Framework-agnostic
 * (plain data in, plain data out), so the same suite runs in vitest, in a browser page, or in
 * any other runner.
 */
export {
  CONFORMANCE_LAYERS,
  CONFORMANCE_TOLERANCE,
  type ConformanceCase,
  type ConformanceMaps,
  type ConformanceOptions,
  type ConformanceReport,
  type ConformanceRunOptions,
  compareConformance,
  computeConformanceMaps,
  runConformance,
  summarizeConformance,
} from './conformance.js';
export {
  compareFidelity,
  computeFidelityMaps,
  FIDELITY_RULE,
  type FidelityCase,
  type FidelityGolden,
  type FidelityMaps,
  type FidelityReport,
  fidelityInputs,
  summarizeFidelity,
} from './fidelity.js';
