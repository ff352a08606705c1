import { Command } from 'commander';
import { type BackendName, loadModel, setBackend } from 'gradcam';
import type { CliIo } from './cli-io.js';
import { addBackendOption, addModelOption, modelLoadOptions } from './options.js';
import { JSON_SCHEMA_VERSION } from './report.js';
import { formatShape, formatTable } from './table.js';
import { shown } from './terminal-text.js';

/** Parsed options of `gradcam layers`. */
export interface LayersCommandOptions {
  readonly model: string;
  readonly backend: string;
  readonly json?: boolean;
  /** Seconds without progress before a model URL or a weight download is given up. */
  readonly timeout: number;
  /** ImageNet ids: a Keras .h5 weight file or its URL (--weights). */
  readonly weights?: string;
}

/** One layer in `gradcam layers --json`. */
export interface LayerReport {
  readonly index: number;
  readonly name: string;
  readonly className: string;
  readonly outputShape: (number | null)[];
  readonly paramCount: number;
  /** True for the layer `explain` uses without --layer. */
  readonly default: boolean;
}

/** Runs `gradcam layers`: the model's layers as a table (or JSON), the default Grad-CAM layer marked. */
export async function runLayers(options: LayersCommandOptions, io: CliIo): Promise<void> {
  await setBackend(options.backend as BackendName, { onNotice: (m) => io.stderr(`${shown(m)}\n`) });
  const loaded = await loadModel(options.model, modelLoadOptions(options));
  const { explainable } = loaded;
  const defaultName = explainable.defaultLayer().name;
  const layers: LayerReport[] = explainable.layers().map((l) => ({
    index: l.index,
    name: l.name,
    className: l.className,
    outputShape: [...l.outputShape],
    paramCount: l.paramCount,
    default: l.name === defaultName,
  }));
  if (options.json) {
    const report = { schema: JSON_SCHEMA_VERSION, model: loaded.id, inputShape: [...loaded.inputShape], defaultLayer: defaultName, layers };
    io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const total = layers.reduce((n, l) => n + l.paramCount, 0);
  io.stdout(
    `${loaded.id} (${explainable.name}): input ${formatShape(loaded.inputShape)}, ${layers.length} layers, ${total.toLocaleString('en-US')} parameters\n`,
  );
  const rows = layers.map((l) => [
    String(l.index),
    l.name,
    l.className,
    formatShape(l.outputShape),
    l.paramCount.toLocaleString('en-US'),
    l.default ? '* default' : '',
  ]);
  io.stdout(formatTable(['#', 'name', 'type', 'output shape', 'params', ''], rows, new Set([0, 4])));
  io.stdout(`* default Grad-CAM layer: ${defaultName} (the last layer whose output is [batch, height, width, channels])\n`);
}

/** Builds the `layers` command. */
export function layersCommand(io: CliIo): Command {
  const command = new Command('layers').description("List the model's layers: name, type, output shape, parameter count; marks the default Grad-CAM layer.");
  addModelOption(command);
  addBackendOption(command);
  return command
    .option('--json', 'print JSON (schema 1) instead of a table')
    .addHelpText(
      'after',
      ['', 'Examples:', '  gradcam layers', '  gradcam layers --model nsfw_mobilenet_v2_mid --backend wasm', '  gradcam layers --json > layers.json', ''].join(
        '\n',
      ),
    )
    .action(async (options: LayersCommandOptions) => {
      await runLayers(options, io);
    });
}
