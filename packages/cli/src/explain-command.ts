import { Command, Option } from 'commander';
import { colormapNames, OVERLAY_DEFAULTS, resamplingFilters } from 'gradcam';
import { CAM_METHOD_IDS, CLI_NORMALIZATIONS } from './cam-methods.js';
import type { CliIo } from './cli-io.js';
import { defaultWorkers } from './image-pool.js';
import { addBackendOption, addModelOption, alphaLimitOption, collect, integerOption } from './options.js';
import { runExplain } from './run-explain.js';
import { type Shard, shardOption } from './shard.js';

/** Parsed options of `gradcam explain`. */
export interface ExplainCommandOptions {
  readonly model: string;
  /** Layers to explain at (names or indices as typed); empty = the model's default layer. */
  readonly layer?: readonly string[];
  /** Several --layer: one map averaging them (each resized to the largest) instead of one per layer. */
  readonly mergeLayers?: boolean;
  readonly target?: readonly number[];
  readonly top?: number;
  readonly logits?: boolean;
  readonly method: string;
  /** false with --no-relu: signed maps, drawn with a diverging colormap. */
  readonly relu: boolean;
  readonly counterfactual?: boolean;
  readonly normalize: 'max' | 'minmax';
  readonly eigenSmooth?: boolean;
  readonly augSmooth?: boolean;
  /** Also write a Guided Grad-CAM overlay per target (LayersModels). */
  readonly guided?: boolean;
  /**
   * Images per model call: per batched explanation pass (default 8, fewer at layers with large
   * outputs), and per Score-CAM call of masked images (default 32).
   */
  readonly batchSize?: number;
  /** Default: viridis, or RdBu_r for signed maps (--no-relu). */
  readonly colormap?: string;
  readonly alphaLimit: number | 'none';
  readonly resample: string;
  readonly backend: string;
  readonly out: string;
  readonly json?: string;
  readonly overwrite?: boolean;
  readonly recursive?: boolean;
  /** Seconds without progress before a model URL or a weight download is given up (--timeout). */
  readonly timeout: number;
  /** ImageNet ids: a Keras .h5 weight file or its URL (--weights). */
  readonly weights?: string;
  /** Stream one JSON line per image as it is done, to a file or '-' for stdout. */
  readonly jsonl?: string;
  /** Leave out inputs whose outputs exist already. */
  readonly skipExisting?: boolean;
  /** A --jsonl file of an earlier run: leave out what it completed, append to it. */
  readonly resume?: string;
  /** No per-image lines and no progress; failures and usage errors still print. */
  readonly quiet?: boolean;
  /** Worker threads for decoding and drawing (0: this thread). Default: cores − 1, at least 1. */
  readonly workers?: number;
  /** Explain only this part of the inputs (a stable partition: every input in exactly one of n parts). */
  readonly shard?: Shard;
}

/**
 * Adds what an explanation is made of — the model, layers, targets, method and how overlays are
 * drawn — to a command: `explain`, and `queue add`, whose jobs carry them to the workers.
 */
export function addExplainOptions(command: Command): Command {
  addModelOption(command);
  return command
    .option(
      '-l, --layer <name|index>',
      'layer to explain at, repeatable (one overlay per layer); index counts from 0, negative from the end; default: automatic',
      collect,
    )
    .option('--merge-layers', "with several --layer: one overlay per target averaging the layers' maps (pytorch-grad-cam's target_layers), not one per layer")
    .option('-t, --target <class>', 'class id to explain, repeatable; default: the predicted class', integerOption('--target', 0, true))
    .option('--top <k>', 'explain the k best classes of each image', integerOption('--top', 1))
    .option('--logits', 'explain the pre-softmax score instead of the probability')
    .addOption(new Option('--method <name>', 'CAM method (see @gradcam/core README)').choices(CAM_METHOD_IDS).default(CAM_METHOD_IDS[0]))
    .option('--counterfactual', 'negate the gradients: show what speaks against the class (gradient methods)')
    .option('--no-relu', 'keep negative evidence: signed maps, drawn with a diverging colormap')
    .addOption(new Option('--normalize <how>', "'max': / max|map| (ELI5); 'minmax': min..max to 0..1").choices(CLI_NORMALIZATIONS).default('max'))
    .option('--eigen-smooth', 'project the weighted activations on their first principal component instead of summing them')
    .option('--aug-smooth', 'average the maps of the image flipped and at brightness 0.9/1.0/1.1 (6 passes)')
    .option('--guided', 'also write <image>-<class>-guided.png: Guided Grad-CAM (guided backprop × the map), signed, full resolution')
    .option(
      '--batch-size <n>',
      'images per model call: explanations per batched pass (default 8), masked images per Score-CAM call (default 32)',
      integerOption('--batch-size', 1),
    )
    .addOption(
      new Option(
        '--colormap <name>',
        `matplotlib colormap of the overlay (default ${OVERLAY_DEFAULTS.colormap}; ${OVERLAY_DEFAULTS.signedColormap} with --no-relu)`,
      ).choices(colormapNames),
    )
    .option('--alpha-limit <a>', "cap on the overlay's opacity, 0 … 1, or 'none'", alphaLimitOption, OVERLAY_DEFAULTS.alphaLimit)
    .addOption(
      new Option('--resample <filter>', 'filter that scales the heatmap to the image (Pillow names)')
        .choices(resamplingFilters)
        .default(OVERLAY_DEFAULTS.resamplingFilter),
    );
}

/** Builds the `explain` command; its action stores the exit code through `setExitCode`. */
export function explainCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const command = new Command('explain')
    .description('Write a Grad-CAM overlay PNG for each image, target and layer, and optionally a JSON report.')
    .argument('<images...>', 'image files (PNG or JPEG), directories of them, or glob patterns (quote them)');
  addExplainOptions(command);
  addBackendOption(command);
  return command
    .option('-o, --out <dir>', 'output directory (created when missing)', 'out')
    .option('--json <file|->', "write the JSON report (schema 1) to a file at the end, or '-' for stdout")
    .option('--jsonl <file|->', "stream one JSON line per image as it is done (schema/explain-lines.schema.json), to a file or '-'")
    .option('--skip-existing', 'leave out inputs whose outputs exist already (an interrupted run continues)')
    .option('--resume <jsonl>', 'leave out the inputs a --jsonl file of an earlier run completed, and append to it')
    .option('--overwrite', 'replace existing output files; without it, an input whose output exists fails')
    .option('-r, --recursive', 'expand directories to the images in their subdirectories too (outputs mirror them)')
    .option('--workers <n>', `worker threads that decode and draw (0: none; default ${defaultWorkers()}: cores − 1)`, integerOption('--workers', 0))
    .option('-q, --quiet', 'print no line per image and no progress; failures still print')
    .option('--shard <i/n>', 'explain part i of n of the inputs (1 ≤ i ≤ n): n processes with 1/n … n/n cover every input once', shardOption)
    .addHelpText(
      'after',
      [
        '',
        'Outputs: <out>/<image>-<class>.png; with several --layer, <out>/<image>-<layer>-<class>.png.',
        'With --recursive, images in subfolders go to the same subfolders of <out>.',
        'Exit codes: 0 every input explained, 1 some inputs failed (listed at the end), 2 usage error.',
        '',
        'Examples:',
        '  gradcam explain cat.jpg',
        '  gradcam explain photos/ "more/*.png" --top 3 --out overlays',
        '  gradcam explain cat.jpg --target 2 --target 0 --layer block_9_expand --layer out_relu --json report.json',
        '  gradcam explain cat.jpg --colormap cividis --alpha-limit 1 --resample box --backend wasm --json - > report.json',
        '  gradcam explain cat.jpg --method gradcam++ --counterfactual',
        '  gradcam explain cat.jpg --method hirescam --no-relu        # signed map, blue = against, red = for',
        '  gradcam explain photos/ -r --out overlays --jsonl run.jsonl   # then, after a crash: --resume run.jsonl',
        '',
      ].join('\n'),
    )
    .action(async (images: string[], options: ExplainCommandOptions) => {
      setExitCode(await runExplain(images, options, io));
    });
}
