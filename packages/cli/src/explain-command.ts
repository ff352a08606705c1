import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { getCamMethod, InvalidInputError, type LayerInfo, resolveLayer } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import { Command, Option } from 'commander';
import {
  type BackendName,
  type Colormap,
  colormapNames,
  type DecodeOptions,
  decodeImage,
  type Explanation,
  encodePng,
  explainGuided,
  explainPrediction,
  formatAsImage,
  formatSignedAsImage,
  formatSignedHeatmap,
  GradcamError,
  type Heatmap,
  imgToArray,
  type LoadedModel,
  loadImg,
  loadModel,
  nativeDecodeOptions,
  type ResamplingFilter,
  resamplingFilters,
  setBackend,
} from 'gradcam';
import { AtomicWriter } from './atomic-write.js';
import { CAM_METHOD_IDS, CAM_METHODS, CLI_NORMALIZATIONS } from './cam-methods.js';
import type { CliIo } from './cli-io.js';
import { InputError } from './input-error.js';
import { expandInputs, type InputFile, readInput } from './inputs.js';
import { addBackendOption, addModelOption, alphaLimitOption, alphaLimitValue, checkTargetOptions, collect, integerOption } from './options.js';
import { type OutputPlan, planOutputs } from './output-plan.js';
import { createProgress } from './progress.js';
import { shown } from './terminal-text.js';

/** Version of the JSON report format; bumped only on an incompatible change (fields are only ever added). */
export const JSON_SCHEMA_VERSION = 1;

/** Parsed options of `gradcam explain`. */
export interface ExplainCommandOptions {
  readonly model: string;
  /** Layers to explain at (names or indices as typed); empty = the model's default layer. */
  readonly layer?: readonly string[];
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
  readonly batchSize: number;
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
}

/** One explained target of an image in the JSON report. */
export interface TargetReport {
  readonly target: number;
  readonly label: string | null;
  readonly score: number;
  readonly proba: number | null;
  readonly heatmap: number[][];
  readonly output: string;
  /** With --guided: the Guided Grad-CAM overlay PNG written (a later addition to schema 1). */
  readonly guidedOutput?: string;
}

/** One image (at one layer) in the JSON report. */
export interface ImageReport {
  readonly image: string;
  readonly model: string;
  readonly layer: string;
  readonly method: string;
  readonly backend: string;
  readonly predictions: { target: number; label: string; score: number }[];
  readonly targets: TargetReport[];
  /** Things worth knowing, e.g. a target whose map is all zeros (a later addition to schema 1; always present). */
  readonly warnings: string[];
}

/** An input that failed, in the JSON report. */
export interface FailureReport {
  readonly input: string;
  readonly error: string;
  /** GradcamError code ('DECODE', …), Node error code ('ENOENT', …), or 'EEXIST' for an output that exists. */
  readonly code: string | null;
}

/** An entry a directory walk or glob passed over, in the JSON report. */
export interface SkippedReport {
  readonly input: string;
  /** Why: a symbolic link out of the folder, the same file as an earlier input, the output folder. */
  readonly reason: string;
}

/** The JSON report of `gradcam explain --json`. */
export interface ExplainReport {
  readonly schema: typeof JSON_SCHEMA_VERSION;
  /** One entry per image and layer, in input order. */
  readonly images: ImageReport[];
  /** The inputs that failed, in input order (a later addition to schema 1; always present). */
  readonly failures: FailureReport[];
  /** What the walks passed over (a later addition to schema 1; always present). */
  readonly skipped: SkippedReport[];
}

interface RunContext {
  readonly loaded: LoadedModel;
  readonly layers: readonly LayerInfo[];
  readonly options: ExplainCommandOptions;
  readonly writer: AtomicWriter;
  readonly plan: OutputPlan;
  /** Output path → the input that wrote it in this run. */
  readonly written: Map<string, string>;
  /** tfjs-node's JPEG decoder when 'tensorflow' is active. */
  readonly decodeOptions: DecodeOptions;
}

function heatmapRows(t: Explanation['targets'][number]): number[][] {
  const { width, height, data } = t.heatmap;
  return Array.from({ length: height }, (_, y) => Array.from(data.subarray(y * width, (y + 1) * width)));
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/** Writes one output (checked beforehand: not an input, not written before in this run) into its (mirrored) folder. */
async function writeOutput(ctx: RunContext, file: InputFile, output: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(output), { recursive: true });
  await ctx.writer.write(output, bytes);
  ctx.written.set(output, file.display);
}

async function explainFile(file: InputFile, ctx: RunContext): Promise<ImageReport[]> {
  const { loaded, layers, options } = ctx;
  const bytes = await readInput(file);
  const [height, width] = loaded.inputShape.slice(1, 3) as [number, number];
  const original = decodeImage(bytes, ctx.decodeOptions);
  const resized = await loadImg(original, { targetSize: [height, width] }); // decoded once
  const doc = tf.tidy(() => loaded.preprocessInput(tf.expandDims(imgToArray(resized), 0)));
  const explanations: Explanation[] = [];
  // Guided Grad-CAM maps (--guided), by explanation and target.
  const guidedMaps = new Map<Explanation, Map<number, Heatmap>>();
  try {
    const targets = options.top !== undefined ? { top: options.top } : (options.target?.length ?? 0) > 0 ? options.target : undefined;
    for (const layer of layers) {
      // The overlay is drawn on the original image, at its own resolution.
      const explainOptions = {
        targets,
        layer: layer.name,
        logits: options.logits,
        image: original,
        method: options.method,
        relu: options.relu,
        counterfactual: options.counterfactual,
        normalize: options.normalize,
        eigenSmooth: options.eigenSmooth,
        augSmooth: options.augSmooth,
        batchSize: options.batchSize,
      };
      if (options.guided) {
        const guided = await explainGuided(loaded, doc, explainOptions);
        explanations.push(guided.explanation);
        guidedMaps.set(guided.explanation, new Map(guided.targets.map((g) => [g.target, g.heatmap])));
      } else explanations.push(await explainPrediction(loaded, doc, explainOptions));
    }
  } finally {
    doc.dispose();
  }
  // Name every output first, so that an input whose outputs cannot all be written writes none.
  const planned = explanations.flatMap((expl) =>
    expl.targets.map((t) => {
      const guided = guidedMaps.get(expl)?.get(t.target);
      const output = ctx.plan.outputPath(file, expl.layer, t.target);
      return { expl, t, output, ...(guided ? { guided, guidedOutput: ctx.plan.outputPath(file, expl.layer, t.target, true) } : {}) };
    }),
  );
  for (const output of planned.flatMap((p) => (p.guidedOutput ? [p.output, p.guidedOutput] : [p.output]))) {
    const earlier = ctx.written.get(output);
    if (earlier !== undefined) throw new InputError(`its output ${output} was already written for ${earlier} in this run; rename one of the inputs`, 'EEXIST');
    if (!options.overwrite && (await exists(output))) throw new InputError(`${output} exists; pass --overwrite to replace it`, 'EEXIST');
    await ctx.plan.guard(output);
  }
  for (const { expl, t, output } of planned) {
    const drawing = {
      target: t.target,
      colormap: (options.colormap ?? (options.relu ? 'viridis' : 'RdBu_r')) as Colormap,
      alphaLimit: alphaLimitValue(options.alphaLimit),
      resamplingFilter: options.resample as ResamplingFilter,
    };
    // A signed map (--no-relu with max normalisation) spans [-1, 1]: a diverging overlay.
    const overlay = options.relu || options.normalize === 'minmax' ? formatAsImage(expl, drawing) : formatSignedAsImage(expl, drawing);
    await writeOutput(ctx, file, output, encodePng(overlay));
  }
  for (const { guided, guidedOutput } of planned) {
    if (!guided || !guidedOutput) continue;
    // Guided maps are spiky: scale by the 99th percentile of |v| (clipping the peaks) so the structure shows.
    const overlay = formatSignedHeatmap(guided, original, {
      scale: percentileAbs(guided.data, 0.99),
      colormap: (options.colormap ?? 'RdBu_r') as Colormap,
      alphaLimit: alphaLimitValue(options.alphaLimit),
      resamplingFilter: options.resample as ResamplingFilter,
    });
    await writeOutput(ctx, file, guidedOutput, encodePng(overlay));
  }
  return explanations.map((expl) => ({
    image: file.display,
    model: loaded.id,
    layer: expl.layer,
    method: expl.method,
    backend: expl.backend,
    predictions: loaded.decodePredictions(expl.outputs, 5)[0].map((p) => ({ target: p.index, label: p.label, score: p.score })),
    targets: planned
      .filter((p) => p.expl === expl)
      .map(({ t, output, guidedOutput }) => ({
        target: t.target,
        label: t.label ?? null,
        score: t.score,
        proba: t.proba ?? null,
        heatmap: heatmapRows(t),
        output,
        ...(guidedOutput ? { guidedOutput } : {}),
      })),
    warnings: [...(expl.warnings ?? [])],
  }));
}

/** The q-quantile of |values| (a positive number; 1 when every value is 0). */
function percentileAbs(values: Float32Array, q: number): number {
  const sorted = Float32Array.from(values, Math.abs).sort();
  const v = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return v > 0 ? v : 1;
}

function failureOf(error: unknown): { message: string; code: string | null } {
  if (error instanceof InputError) return { message: error.message, code: error.code };
  if (GradcamError.isInstance(error)) return { message: error.message, code: error.code };
  const e = error as NodeJS.ErrnoException;
  const known: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'is a directory', EACCES: 'permission denied' };
  if (e?.code !== undefined && known[e.code] !== undefined) return { message: known[e.code], code: e.code };
  return { message: e?.message ?? String(error), code: e?.code ?? null };
}

/** Layers from `--layer` values (names, or integers counting from 0; negative from the end); none = the default layer. */
function resolveLayers(loaded: LoadedModel, refs: readonly string[]): LayerInfo[] {
  if (refs.length === 0) return [loaded.explainable.defaultLayer()];
  const layers: LayerInfo[] = [];
  for (const ref of refs) {
    const layer = resolveLayer(loaded.explainable, /^-?\d+$/.test(ref) ? Number(ref) : ref);
    if (!layers.some((l) => l.name === layer.name)) layers.push(layer);
  }
  return layers;
}

/**
 * Runs `gradcam explain`; resolves to the exit code (0 all ok, 1 some inputs failed). Usage
 * errors throw — options, model, layers, targets, inputs that outputs would overwrite, an output
 * or report path that cannot be written — all before any image is read.
 */
export async function runExplain(inputs: readonly string[], options: ExplainCommandOptions, io: CliIo): Promise<number> {
  if (options.top !== undefined && (options.target?.length ?? 0) > 0) throw new InvalidInputError('--top and --target cannot be combined; choose one.');
  const method = getCamMethod(options.method);
  if (options.counterfactual && !method.usesGradients) {
    throw new InvalidInputError(`--counterfactual negates gradients, but --method ${method.id} (${method.displayName}) uses none; choose a gradient method.`);
  }
  // Informational lines go to stderr when stdout carries the JSON report.
  const log = options.json === '-' ? io.stderr : io.stdout;
  const backend = await setBackend(options.backend as BackendName, { onNotice: (m) => io.stderr(`${shown(m)}\n`) });
  const loaded = await loadModel(options.model, { timeoutMs: options.timeout * 1000 });
  const layers = resolveLayers(loaded, options.layer ?? []);
  const classes = checkTargetOptions(loaded, options.target, options.top);
  const { files, unmatched, skipped } = await expandInputs(inputs, { recursive: options.recursive === true, exclude: [options.out] });
  const plan = await planOutputs(files, {
    out: options.out,
    layers: layers.map((l) => l.name),
    classes,
    report: options.json === '-' ? undefined : options.json,
    overwrite: options.overwrite,
  });
  log(
    `gradcam: explaining ${files.length} image(s) with ${shown(loaded.id)} at ${layers.map((l) => shown(l.name)).join(', ')} (${CAM_METHODS[options.method] ?? options.method}) on the '${backend}' backend\n`,
  );

  const writer = new AtomicWriter();
  const ctx: RunContext = { loaded, layers, options, writer, plan, written: new Map(), decodeOptions: await nativeDecodeOptions() };
  const reports: ImageReport[] = [];
  const failures: FailureReport[] = unmatched.map(({ input, reason }) => ({ input, error: reason, code: 'ENOENT' }));
  for (const f of failures) io.stderr(`gradcam: ${shown(f.input)}: ${shown(f.error)}\n`);
  for (const s of skipped) io.stderr(`gradcam: skipped ${shown(s.input)}: ${shown(s.reason)}\n`);
  const progress = createProgress(files.length, io.progressStream);
  const onSignal = (signal: NodeJS.Signals) => {
    writer.removePendingSync();
    progress.stop();
    process.kill(process.pid, signal); // our once-listener is gone, so the default action ends the process
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const file of files) {
      progress.start(shown(file.display));
      try {
        const entries = await explainFile(file, ctx);
        reports.push(...entries);
        const top = entries[0].predictions
          .slice(0, 3)
          .map((p) => `${p.label} ${p.score.toFixed(3)}`)
          .join(', ');
        const outputs = entries.flatMap((e) => e.targets.flatMap((t) => (t.guidedOutput ? [t.output, t.guidedOutput] : [t.output])));
        progress.line(log, `${shown(file.display)}: ${shown(top)} → ${outputs.map(shown).join(', ')}\n`);
      } catch (error) {
        const { message, code } = failureOf(error);
        failures.push({ input: file.display, error: message, code });
        progress.line(io.stderr, `gradcam: ${shown(file.display)}: ${shown(message)}\n`);
      }
      progress.done();
    }
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (options.json !== undefined) {
    const report: ExplainReport = { schema: JSON_SCHEMA_VERSION, images: reports, failures, skipped };
    const text = `${JSON.stringify(report, null, 2)}\n`;
    if (options.json === '-') io.stdout(text);
    else await writer.write(options.json, text);
  }
  if (failures.length > 0) {
    const total = files.length + unmatched.length;
    io.stderr(`gradcam: ${failures.length} of ${total} input(s) failed: ${failures.map((f) => shown(f.input)).join(', ')}\n`);
    return 1;
  }
  return 0;
}

/** Builds the `explain` command; its action stores the exit code through `setExitCode`. */
export function explainCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const command = new Command('explain')
    .description('Write a Grad-CAM overlay PNG for each image, target and layer, and optionally a JSON report.')
    .argument('<images...>', 'image files (PNG or JPEG), directories of them, or glob patterns (quote them)');
  addModelOption(command);
  command
    .option(
      '-l, --layer <name|index>',
      'layer to explain at, repeatable (one overlay per layer); index counts from 0, negative from the end; default: automatic',
      collect,
    )
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
    .option('--batch-size <n>', 'masked images per model call (Score-CAM)', integerOption('--batch-size', 1), 32)
    .addOption(new Option('--colormap <name>', 'matplotlib colormap of the overlay (default viridis; RdBu_r with --no-relu)').choices(colormapNames))
    .option('--alpha-limit <a>', "cap on the overlay's opacity, 0 … 1, or 'none'", alphaLimitOption, 0.65)
    .addOption(new Option('--resample <filter>', 'filter that scales the heatmap to the image (Pillow names)').choices(resamplingFilters).default('lanczos'));
  addBackendOption(command);
  return command
    .option('-o, --out <dir>', 'output directory (created when missing)', 'out')
    .option('--json <file|->', "write the JSON report (schema 1) to a file, or '-' for stdout")
    .option('--overwrite', 'replace existing output files; without it, an input whose output exists fails')
    .option('-r, --recursive', 'expand directories to the images in their subdirectories too')
    .addHelpText(
      'after',
      [
        '',
        'Outputs: <out>/<image>-<class>.png; with several --layer, <out>/<image>-<layer>-<class>.png.',
        'Exit codes: 0 every input explained, 1 some inputs failed (listed at the end), 2 usage error.',
        '',
        'Examples:',
        '  gradcam explain cat.jpg',
        '  gradcam explain photos/ "more/*.png" --top 3 --out overlays',
        '  gradcam explain cat.jpg --target 2 --target 0 --layer block_9_expand --layer out_relu --json report.json',
        '  gradcam explain cat.jpg --colormap cividis --alpha-limit 1 --resample box --backend wasm --json - > report.json',
        '  gradcam explain cat.jpg --method gradcam++ --counterfactual',
        '  gradcam explain cat.jpg --method hirescam --no-relu        # signed map, blue = against, red = for',
        '',
      ].join('\n'),
    )
    .action(async (images: string[], options: ExplainCommandOptions) => {
      setExitCode(await runExplain(images, options, io));
    });
}
