import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { type CliIo, processIo } from './cli-io.js';
import { compareCommand } from './compare-command.js';
import { evaluateCommand } from './evaluate-command.js';
import { explainCommand } from './explain-command.js';
import { layersCommand } from './layers-command.js';
import { modelsCommand } from './models-command.js';
import { USAGE_ERROR } from './options.js';
import { queueCommand } from './queue-command.js';
import { workerCommand } from './worker-command.js';

/** This package's version (its package.json ships beside dist/). */
const VERSION: string = createRequire(import.meta.url)('../package.json').version;

/**
 * Runs the gradcam command line with `argv` (without node and script) and resolves to the
 * exit code: 0 success, 1 some inputs failed, 2 usage error. Never calls process.exit, so it
 * can run inside tests.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let exitCode = 0;
  const setExitCode = (code: number) => {
    exitCode = code;
  };
  const program = new Command('gradcam')
    .description('Explain TensorFlow.js image classifier predictions with Grad-CAM overlays.')
    .version(VERSION, '-V, --version', 'print the version of @gradcam/cli')
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(add --help for usage)')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  gradcam explain photos/ --top 2 --out overlays',
        '  gradcam layers --model nsfw_mobilenet_v2',
        '  gradcam models',
        '  gradcam compare cat.jpg --model nsfw_mobilenet_v2 --model nsfw_mobilenet_v2_mid --out compare.png',
        '  gradcam evaluate examples/images --top 2',
        '  gradcam queue add photos/ -r --out /shared/overlays --redis redis://host:6379   # then: gradcam worker --redis …',
        '',
      ].join('\n'),
    );
  for (const command of [
    explainCommand(io, setExitCode),
    evaluateCommand(io, setExitCode),
    layersCommand(io),
    modelsCommand(io),
    compareCommand(io, setExitCode),
    queueCommand(io, setExitCode),
    workerCommand(io, setExitCode),
  ]) {
    program.addCommand(command);
  }
  // Every command reports usage errors through the same path, and copies the output settings.
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];
  const pathOf = (c: Command): string => (c.parent ? `${pathOf(c.parent)} ${c.name()}` : c.name());
  for (const command of all(program)) {
    command
      .exitOverride()
      .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
      .showHelpAfterError(`(run ${pathOf(command)} --help for usage)`);
  }

  try {
    await program.parseAsync(argv as string[], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : USAGE_ERROR;
    // A GradcamError before any input was read (model, layer, options, backend), or a system
    // error on --out: the command as given cannot run.
    io.stderr(`gradcam: ${(error as Error)?.message ?? String(error)}\n`);
    return USAGE_ERROR;
  }
  return exitCode;
}
