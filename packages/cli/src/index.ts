export type { RgbaImage } from '@gradcam/core';
export { runCli } from './cli.js';
export { type CliIo, processIo } from './cli-io.js';
export { type CompareCommandOptions, type ComparePanelReport, type CompareReport, runCompare } from './compare-command.js';
export {
  type EvaluateCommandOptions,
  type EvaluationEntry,
  type EvaluationReport,
  type EvaluationSummary,
  formatEvaluation,
  runEvaluate,
  summarize,
} from './evaluate-command.js';
export { type ExplainCommandOptions, explainCommand } from './explain-command.js';
export { type LayerReport, type LayersCommandOptions, runLayers } from './layers-command.js';
export { type ModelsCommandOptions, runModels } from './models-command.js';
export { type MontageOptions, type MontagePanel, montage } from './montage.js';
export {
  type ExplainReport,
  type FailureReport,
  type ImageReport,
  JSON_SCHEMA_VERSION,
  JsonlWriter,
  type ReportLine,
  readJsonl,
  type SkippedReport,
  type TargetReport,
} from './report.js';
export { runExplain } from './run-explain.js';
