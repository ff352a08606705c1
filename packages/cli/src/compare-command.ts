import { basename, extname } from 'node:path';
import { InvalidInputError } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import { Command, Option } from 'commander';
import {
  type BackendName,
  type Colormap,
  colormapNames,
  decodeImage,
  encodePng,
  explainPrediction,
  formatAsImage,
  imgToArray,
  type LoadedModel,
  loadImg,
  loadModel,
  nativeDecodeOptions,
  OVERLAY_DEFAULTS,
  type ResamplingFilter,
  type RgbaImage,
  resamplingFilters,
  setBackend,
} from 'gradcam';
import { AtomicWriter } from './atomic-write.js';
import type { CliIo } from './cli-io.js';
import { failureOf, readInput } from './decode-stage.js';
import { expandInputs } from './inputs.js';
import { type MontagePanel, montage } from './montage.js';
import { addBackendOption, addTimeoutOption, alphaLimitOption, alphaLimitValue, checkTargetOptions, collect, integerOption } from './options.js';
import { checkOutputFile, inputIds } from './output-plan.js';
import { finiteOrNull, JSON_SCHEMA_VERSION, JsonlWriter } from './report.js';
import { shown } from './terminal-text.js';

/** Parsed options of `gradcam compare`. */
export interface CompareCommandOptions {
  /** Model ids, paths or URLs, in panel order (at least two). */
  readonly model?: readonly string[];
  readonly target?: number;
  readonly logits?: boolean;
  readonly colormap: string;
  readonly alphaLimit: number | 'none';
  readonly resample: string;
  readonly backend: string;
  /** Output PNG; default `<image name>-compare.png` in the current directory. */
  readonly out?: string;
  /** The JSON report (one document: the image, the output and one entry per model), to a file or '-'. */
  readonly json?: string;
  /** The same as JSON lines, one per model as it is explained, to a file or '-'. */
  readonly jsonl?: string;
  readonly overwrite?: boolean;
  /** Seconds without progress before a model URL or a weight download is given up. */
  readonly timeout: number;
}

/** One model's explanation in compare's JSON report. */
export interface ComparePanelReport {
  readonly model: string;
  readonly layer: string;
  readonly target: number;
  readonly label: string | null;
  readonly score: number;
  readonly proba: number | null;
  readonly heatmap: number[][];
}

/** `gradcam compare --json`. */
export interface CompareReport {
  readonly schema: typeof JSON_SCHEMA_VERSION;
  readonly image: string;
  readonly backend: string;
  /** The montage PNG written. */
  readonly output: string;
  /** One entry per --model, in panel order. */
  readonly panels: ComparePanelReport[];
}

/** Explains `image` with one model; returns its overlay, caption and report entry. */
async function panelFor(loaded: LoadedModel, original: RgbaImage, options: CompareCommandOptions): Promise<MontagePanel & { report: ComparePanelReport }> {
  const [height, width] = loaded.inputShape.slice(1, 3) as [number, number];
  const resized = await loadImg(original, { targetSize: [height, width] });
  const doc = tf.tidy(() => loaded.preprocessInput(tf.expandDims(imgToArray(resized), 0)));
  try {
    const expl = await explainPrediction(loaded, doc, {
      targets: options.target === undefined ? undefined : [options.target],
      logits: options.logits,
      image: original,
    });
    const [t] = expl.targets;
    const image = formatAsImage(expl, {
      target: t.target,
      colormap: options.colormap as Colormap,
      alphaLimit: alphaLimitValue(options.alphaLimit),
      resamplingFilter: options.resample as ResamplingFilter,
    });
    const score = options.logits ? `logit ${t.score.toFixed(2)}, p ${(t.proba ?? Number.NaN).toFixed(3)}` : t.score.toFixed(3);
    const { width, height, data } = t.heatmap;
    const report = {
      model: loaded.id,
      layer: expl.layer,
      target: t.target,
      label: t.label ?? null,
      score: t.score,
      proba: t.proba ?? null,
      heatmap: Array.from({ length: height }, (_, y) => Array.from(data.subarray(y * width, (y + 1) * width))),
    };
    return { image, caption: [loaded.id, `${t.label ?? `class ${t.target}`} ${score}`, `at ${expl.layer}`], report };
  } finally {
    doc.dispose();
  }
}

/**
 * Runs `gradcam compare`: explains one image with several models and writes one montage PNG,
 * the models' overlays side by side, each under its model id, label and score. Resolves to
 * 0, or 1 when the image cannot be read; usage errors throw.
 */
export async function runCompare(image: string, options: CompareCommandOptions, io: CliIo): Promise<number> {
  const ids = options.model ?? [];
  if (ids.length < 2) throw new InvalidInputError(`compare needs at least two --model options (got ${ids.length}).`);
  if (options.json === '-' && options.jsonl === '-') throw new InvalidInputError('--json - and --jsonl - both want stdout; write one of them to a file.');
  const started = performance.now();
  const log = options.json === '-' || options.jsonl === '-' ? io.stderr : io.stdout;
  const out = options.out ?? `${basename(image, extname(image))}-compare.png`;
  // The image is taken as given (no glob, no folder walk), but read like any input.
  const { files } = await expandInputs([image], { recursive: false });
  const input = files[0] ?? { path: image, display: image, subdir: '', name: basename(image) };
  const inputs = inputIds(files);
  for (const [path, what] of [
    [out, 'the output'],
    [options.json, 'the JSON report'],
    [options.jsonl, 'the JSON lines report'],
  ] as const) {
    if (path !== undefined && path !== '-') await checkOutputFile(path, what, { inputs, overwrite: options.overwrite });
  }
  const backend = await setBackend(options.backend as BackendName, { onNotice: (m) => io.stderr(`${shown(m)}\n`) });
  const models: LoadedModel[] = [];
  for (const id of ids) models.push(await loadModel(id, { timeoutMs: options.timeout * 1000 }));
  for (const loaded of models) checkTargetOptions(loaded, options.target === undefined ? [] : [options.target]);

  const lines = options.jsonl === undefined ? undefined : await JsonlWriter.open(options.jsonl, io);
  await lines?.write([{ type: 'run', schema: JSON_SCHEMA_VERSION, command: 'compare', started: new Date().toISOString(), image: input.display, backend }]);
  let original: RgbaImage;
  try {
    original = decodeImage(await readInput(input), await nativeDecodeOptions());
  } catch (error) {
    const { message, code } = failureOf(error);
    await lines?.write([{ type: 'failure', input: input.display, error: message, code }]);
    await lines?.close();
    io.stderr(`gradcam: ${shown(image)}: ${shown(message)}\n`);
    return 1;
  }
  const panels: (MontagePanel & { report: ComparePanelReport })[] = [];
  for (const loaded of models) {
    const panel = await panelFor(loaded, original, options);
    log(`${shown(loaded.id)}: ${shown(panel.caption.slice(1).join(' '))}\n`);
    await lines?.write([{ type: 'panel', ...panel.report }]);
    panels.push(panel);
  }
  const writer = new AtomicWriter();
  await writer.write(out, encodePng(montage(panels, { filter: options.resample as ResamplingFilter })));
  await lines?.write([{ type: 'end', seconds: (performance.now() - started) / 1000, output: out }]);
  await lines?.close();
  if (options.json !== undefined) {
    const report: CompareReport = { schema: JSON_SCHEMA_VERSION, image: input.display, backend, output: out, panels: panels.map((p) => p.report) };
    const text = `${JSON.stringify(report, finiteOrNull, 2)}\n`;
    if (options.json === '-') io.stdout(text);
    else await writer.write(options.json, text);
  }
  log(`gradcam: compared ${models.length} models on the '${backend}' backend → ${shown(out)}\n`);
  return 0;
}

/** Builds the `compare` command; its action stores the exit code through `setExitCode`. */
export function compareCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const command = new Command('compare')
    .description("Explain one image with several models and write one PNG: the models' overlays side by side, each under its label and score.")
    .argument('<image>', 'image file (PNG or JPEG)')
    .option('-m, --model <id|path|url>', 'model to compare, repeatable (at least two), in panel order', collect)
    .option('-t, --target <class>', "class id to explain with every model; default: each model's predicted class", integerOption('--target', 0))
    .option('--logits', 'explain the pre-softmax score instead of the probability')
    .addOption(new Option('--colormap <name>', 'matplotlib colormap of the overlays').choices(colormapNames).default(OVERLAY_DEFAULTS.colormap))
    .option('--alpha-limit <a>', "cap on the overlays' opacity, 0 … 1, or 'none'", alphaLimitOption, OVERLAY_DEFAULTS.alphaLimit)
    .addOption(
      new Option('--resample <filter>', 'filter that scales heatmaps to the image and panels to a common height')
        .choices(resamplingFilters)
        .default(OVERLAY_DEFAULTS.resamplingFilter),
    );
  addBackendOption(command);
  addTimeoutOption(command);
  return command
    .option('-o, --out <file>', 'output PNG (default: <image name>-compare.png)')
    .option('--json <file|->', "write a JSON report (the image, the output, one entry per model) to a file, or '-' for stdout")
    .option('--jsonl <file|->', "stream it as JSON lines, one per model as it is explained, to a file or '-'")
    .option('--overwrite', 'replace the output file (and --json/--jsonl files) if it exists')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  gradcam compare cat.jpg --model nsfw_mobilenet_v2 --model nsfw_mobilenet_v2_mid',
        '  gradcam compare cat.jpg -m nsfw_mobilenet_v2 -m nsfw_inception_v3 --target 2 --out cat-models.png',
        '',
      ].join('\n'),
    )
    .action(async (image: string, options: CompareCommandOptions) => {
      setExitCode(await runCompare(image, options, io));
    });
}
