import { checkCounterfactual, getCamMethod, InvalidInputError, InvalidTargetError } from '@gradcam/core';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { checkAlphaLimit, DEFAULT_MODEL_ID, type LoadedModel, MODEL_CATALOG } from 'gradcam';
import { CLI_OPTION_NAMES } from './cam-methods.js';
import { shown } from './terminal-text.js';
// The CLI runs in Node.js, where tfjs-node is the fastest backend: its plug-in registers here,
// next to the --backend option ('wasm' and 'cpu' come with gradcam).
import '@gradcam/backend-node';

/** Backends the CLI offers (webgl needs a browser). */
export const CLI_BACKENDS: readonly string[] = Object.freeze(['auto', 'tensorflow', 'wasm', 'cpu']);

/** Exit code of a usage error: bad option, unknown model, layer or backend. */
export const USAGE_ERROR = 2;

/** Parser for an integer option ≥ `min`; repeated options accumulate into an array when `repeatable`. */
export function integerOption(flag: string, min: number, repeatable = false) {
  return (value: string, previous?: number[] | number) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${flag} must be an integer ≥ ${min}, got '${value}'.`);
    return repeatable ? [...(Array.isArray(previous) ? previous : []), n] : n;
  };
}

/** Parser that collects every occurrence of a repeatable string option. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * `--alpha-limit`: a number in [0, 1], or 'none' for no cap (checked by @gradcam/format's
 * checkAlphaLimit). Returns 'none' rather than null because commander replaces a null parse
 * result with ''; `alphaLimitValue` converts.
 */
export function alphaLimitOption(value: string): number | 'none' {
  if (value.toLowerCase() === 'none') return 'none';
  try {
    return checkAlphaLimit(value.trim() === '' ? Number.NaN : Number(value)) as number;
  } catch {
    throw new InvalidArgumentError(`--alpha-limit must be a number from 0 to 1, or 'none' for no cap; got '${value}'.`);
  }
}

/** The formatAsImage alphaLimit of a parsed `--alpha-limit`: null for 'none'. */
export function alphaLimitValue(option: number | 'none'): number | null {
  return option === 'none' ? null : option;
}

/** Parser for a positive number option (seconds, …). */
export function positiveNumberOption(flag: string) {
  return (value: string) => {
    const n = Number(value);
    if (value.trim() === '' || !(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError(`${flag} must be a positive number, got '${value}'.`);
    return n;
  };
}

/** Default of `--timeout`: seconds without progress before a model download is given up. */
export const DEFAULT_TIMEOUT_SECONDS = 30;

/** Adds `--timeout <seconds>` for model and weight downloads to a command that loads models. */
export function addTimeoutOption(command: Command): Command {
  return command.option(
    '--timeout <seconds>',
    'give up a model URL or weight download after this many seconds without progress',
    positiveNumberOption('--timeout'),
    DEFAULT_TIMEOUT_SECONDS,
  );
}

/** The catalog's ids of one source, for help texts. */
function idsOf(source: 'bundled' | 'imagenet'): string {
  return MODEL_CATALOG.filter((entry) => entry.source === source)
    .map((entry) => entry.id)
    .join(', ');
}

/** Adds `--model <id|path|url>` (one model), `--weights` and `--timeout` to a command that loads one. */
export function addModelOption(command: Command): Command {
  command
    .option(
      '-m, --model <id|path|url>',
      `bundled model id (${idsOf('bundled')}), an ImageNet id (${idsOf('imagenet')}), a tfjs model.json or Keras .keras/.h5 path, or an http(s) URL`,
      DEFAULT_MODEL_ID,
    )
    .option(
      '--weights <file|url>',
      'ImageNet ids: their Keras .h5 weight file (default: the official file, from the cache folder — GRADCAM_CACHE, else ~/.cache/gradcam — or downloaded once)',
    );
  return addTimeoutOption(command);
}

/** What loadModel takes from `--timeout` and `--weights`. */
export function modelLoadOptions(options: { readonly timeout: number; readonly weights?: string }): { timeoutMs: number; weights?: string } {
  return { timeoutMs: options.timeout * 1000, ...(options.weights === undefined ? {} : { weights: options.weights }) };
}

/** Adds `--backend <name>`, checked against CLI_BACKENDS. */
export function addBackendOption(command: Command): Command {
  return command.addOption(new Option('--backend <name>', 'tfjs backend; auto tries tensorflow, then wasm, then cpu').choices(CLI_BACKENDS).default('auto'));
}

/**
 * `--top` and `--target` pick targets two ways (core's TargetSpec is one or the other).
 * @throws InvalidInputError when both are given.
 */
export function checkTargetChoice(options: { readonly top?: number; readonly target?: readonly number[] }): void {
  if (options.top !== undefined && (options.target?.length ?? 0) > 0) throw new InvalidInputError('--top and --target cannot be combined; choose one.');
}

/**
 * The checks of an explanation's options that need no model, file or backend — one way to pick
 * targets, `--counterfactual` only for a method that reads gradients — for explain, evaluate and
 * queue add alike.
 * @throws InvalidInputError naming the flags.
 */
export function checkExplainChoices(options: {
  readonly top?: number;
  readonly target?: readonly number[];
  readonly method: string;
  readonly counterfactual?: boolean;
}): void {
  checkTargetChoice(options);
  checkCounterfactual(getCamMethod(options.method), options.counterfactual, CLI_OPTION_NAMES);
}

/**
 * Usage errors about `--target`/`--top`, before any image is read: ids must be classes of the
 * model, `--top` at most their number. Returns the class ids an explanation may target (the
 * explicit ones, else all).
 */
export function checkTargetOptions(loaded: LoadedModel, targets: readonly number[] = [], top?: number): readonly number[] {
  const classes = loaded.labels.length;
  for (const t of targets) {
    if (t >= classes)
      throw new InvalidTargetError(`--target ${t} is not a class of ${shown(loaded.id)}: valid ids are 0 … ${classes - 1} (${classes} classes).`);
  }
  if (top !== undefined && top > classes) throw new InvalidTargetError(`--top ${top} is more than the ${classes} classes of ${shown(loaded.id)}.`);
  return targets.length > 0 ? targets : Array.from({ length: classes }, (_, i) => i);
}
