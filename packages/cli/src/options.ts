import { type Command, InvalidArgumentError, Option } from 'commander';
import { BUNDLED_MODEL_IDS } from 'gradcam';

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
 * `--alpha-limit`: a number in [0, 1], or 'none' for no cap. Returns 'none' rather than null
 * because commander replaces a null parse result with ''; `alphaLimitValue` converts.
 */
export function alphaLimitOption(value: string): number | 'none' {
  if (value.toLowerCase() === 'none') return 'none';
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1))
    throw new InvalidArgumentError(`--alpha-limit must be a number from 0 to 1, or 'none' for no cap; got '${value}'.`);
  return n;
}

/** The formatAsImage alphaLimit of a parsed `--alpha-limit`: null for 'none'. */
export function alphaLimitValue(option: number | 'none'): number | null {
  return option === 'none' ? null : option;
}

/** Adds `--model <id|path|url>` (one model) to a command that loads one. */
export function addModelOption(command: Command): Command {
  return command.option(
    '-m, --model <id|path|url>',
    `bundled model id (${BUNDLED_MODEL_IDS.join(', ')}), a tfjs model.json path or an http(s) URL`,
    BUNDLED_MODEL_IDS[0],
  );
}

/** Adds `--backend <name>`, checked against CLI_BACKENDS. */
export function addBackendOption(command: Command): Command {
  return command.addOption(new Option('--backend <name>', 'tfjs backend; auto tries tensorflow, then wasm, then cpu').choices(CLI_BACKENDS).default('auto'));
}
