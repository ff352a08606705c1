import { Command } from 'commander';
import { listModels } from 'gradcam';
import type { CliIo } from './cli-io.js';
import { JSON_SCHEMA_VERSION } from './report.js';
import { formatTable } from './table.js';

/** Parsed options of `gradcam models`. */
export interface ModelsCommandOptions {
  readonly json?: boolean;
}

function megabytes(bytes: number): string {
  return bytes === 0 ? '—' : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** Runs `gradcam models`: the model ids `--model` accepts, as a table or JSON. */
export async function runModels(options: ModelsCommandOptions, io: CliIo): Promise<void> {
  const models = await listModels();
  if (options.json) {
    io.stdout(`${JSON.stringify({ schema: JSON_SCHEMA_VERSION, models }, null, 2)}\n`);
    return;
  }
  const rows = models.map((m, i) => [
    i === 0 ? `${m.id} (default)` : m.id,
    String(m.classes),
    `${m.inputSize[0]}×${m.inputSize[1]}`,
    m.source,
    megabytes(m.sizeBytes),
    m.cached ? 'yes' : 'no',
    // A bundled model whose weights package is not installed: say which one to install.
    m.source === 'bundled' && !m.cached ? `${m.description} (npm install ${m.package})` : m.description,
  ]);
  io.stdout(formatTable(['id', 'classes', 'input', 'source', 'size', 'cached', 'description'], rows, new Set([1, 4])));
}

/** Builds the `models` command. */
export function modelsCommand(io: CliIo): Command {
  return new Command('models')
    .description('List the model ids --model accepts: classes, input size, source, size on disk, cached or not.')
    .option('--json', 'print JSON (schema 1) instead of a table')
    .addHelpText('after', ['', 'Examples:', '  gradcam models', '  gradcam models --json', ''].join('\n'))
    .action(async (options: ModelsCommandOptions) => {
      await runModels(options, io);
    });
}
