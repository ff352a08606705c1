import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { BUNDLED_MODEL_IDS } from 'gradcam';
import { type ExplainCommandOptions, runExplain } from './explain-command.js';

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Exit codes: 0 all inputs explained, 1 some failed, 2 usage error. */
const USAGE_ERROR = 2;

function integer(name: string, min: number) {
  return (value: string, previous?: number[] | number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got '${value}'.`);
    return Array.isArray(previous) ? [...previous, n] : n;
  };
}

/**
 * Runs the gradcam command line with `argv` (without node and script) and resolves to the
 * exit code; never calls process.exit, so it can run inside tests.
 */
export async function runCli(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  let exitCode = 0;
  const program = new Command('gradcam')
    .description('Explain TensorFlow.js image classifier predictions with Grad-CAM overlays.')
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run gradcam explain --help for usage)');

  program
    .command('explain')
    .description('Write a Grad-CAM overlay PNG for each image and target, as <out>/<image>-<target>.png.')
    .argument('<images...>', 'image files (PNG or JPEG) or directories of them')
    .option('-m, --model <id|path|url>', `bundled model id (${BUNDLED_MODEL_IDS.join(', ')}), model.json path or URL`, 'nsfw_mobilenet_v2')
    .option('-l, --layer <name|index>', 'layer to explain at (name, or index; negative counts from the end); default: automatic')
    .option('-t, --target <class>', 'class id to explain (repeatable); default: the predicted class', integer('--target', 0), [] as number[])
    .option('--top <k>', 'explain the k best classes of each image', integer('--top', 1))
    .option('--logits', 'explain the pre-softmax score instead of the probability', false)
    .option('-o, --out <dir>', 'output directory', 'out')
    .option('--json <file|->', "write a JSON report to a file, or '-' for stdout")
    .option('--backend <name>', 'tfjs backend: auto, tensorflow, wasm, cpu', 'auto')
    .addHelpText(
      'after',
      '\nExamples:\n  gradcam explain cat.jpg\n  gradcam explain photos/ --top 2 --out overlays\n  gradcam explain cat.jpg --target 2 --target 0 --layer block_9_expand --json report.json\n',
    )
    .action(async (images: string[], options: ExplainCommandOptions & { target: number[] }) => {
      if (options.top !== undefined && options.target.length > 0) {
        throw new InvalidArgumentError('--top and --target cannot be combined; choose one.');
      }
      exitCode = await runExplain(images, options, io);
    });

  try {
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : USAGE_ERROR;
    }
    if (error instanceof InvalidArgumentError) {
      io.stderr(`gradcam: ${error.message}\n`);
      return USAGE_ERROR;
    }
    io.stderr(`gradcam: ${(error as Error).message}\n`);
    return USAGE_ERROR;
  }
  return exitCode;
}
