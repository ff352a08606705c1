export { type CliIo, runCli } from './cli.js';
export { type ExplainCommandOptions, type ImageReport, JSON_SCHEMA_VERSION } from './explain-command.js';
