import { getCamMethod, InvalidInputError } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import { Command, Option } from 'commander';
import { type BackendName, decodeImage, evaluateExplanation, imgToArray, loadImg, loadModel, setBackend, type TargetEvaluation } from 'gradcam';
import { AtomicWriter } from './atomic-write.js';
import { CAM_METHOD_IDS } from './cam-methods.js';
import type { CliIo } from './cli-io.js';
import { failureOf, readInput } from './decode-stage.js';
import { expandInputs } from './inputs.js';
import { addBackendOption, addModelOption, checkExplainChoices, checkTargetOptions, integerOption, modelLoadOptions } from './options.js';
import { checkOutputFile, inputIds } from './output-plan.js';
import { finiteOrNull, JSON_SCHEMA_VERSION, JsonlWriter } from './report.js';
import { formatTable } from './table.js';
import { shown } from './terminal-text.js';

/** Parsed options of `gradcam evaluate`. */
export interface EvaluateCommandOptions {
  readonly model: string;
  readonly layer?: string;
  readonly method: string;
  readonly target?: readonly number[];
  readonly top?: number;
  readonly logits?: boolean;
  readonly counterfactual?: boolean;
  readonly eigenSmooth?: boolean;
  readonly augSmooth?: boolean;
  readonly steps: number;
  readonly baseline: 'blur' | 'mean' | 'zero';
  readonly randomMaps: number;
  readonly randomizeBlocks: number;
  readonly seed: number;
  readonly batchSize: number;
  readonly backend: string;
  readonly json?: string;
  /** Stream one JSON line per (image, target) as each image is done, to a file or '-'. */
  readonly jsonl?: string;
  readonly overwrite?: boolean;
  readonly recursive?: boolean;
  /** Seconds without progress before a model URL or a weight download is given up. */
  readonly timeout: number;
  /** ImageNet ids: a Keras .h5 weight file or its URL (--weights). */
  readonly weights?: string;
}

/** One (image, target) pair of `gradcam evaluate --json`. */
export interface EvaluationEntry extends TargetEvaluation {
  readonly image: string;
}

/** The summary over every (image, target) pair. */
export interface EvaluationSummary {
  readonly pairs: number;
  /** Share of pairs whose deletion AUC is below the random maps' (lower = more faithful). */
  readonly deletionBelowRandom: number;
  /** Share of pairs whose insertion AUC is above the random maps'. */
  readonly insertionAboveRandom: number;
  readonly meanDeletionAuc: number;
  readonly meanRandomDeletionAuc: number;
  readonly meanInsertionAuc: number;
  readonly meanRandomInsertionAuc: number;
  /** Average Drop, percent (Grad-CAM++'s metric). */
  readonly averageDropPercent: number;
  /** Increase in Confidence, percent of pairs. */
  readonly increaseInConfidencePercent: number;
  /** Randomization check after every re-initialised block: the blocks, and the correlations' mean and maximum. */
  readonly randomization: { readonly blocks: string[]; readonly meanCorrelation: number; readonly maxCorrelation: number; readonly belowHalf: number } | null;
}

/** The JSON of `gradcam evaluate --json`. */
export interface EvaluationReport {
  readonly schema: 1;
  readonly model: string;
  readonly method: string;
  readonly layer: string;
  readonly backend: string;
  readonly options: { steps: number; baseline: string; randomMaps: number; randomizeBlocks: number; seed: number };
  readonly entries: EvaluationEntry[];
  readonly summary: EvaluationSummary;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/** The summary over the entries. */
export function summarize(entries: readonly EvaluationEntry[]): EvaluationSummary {
  const last = entries.map((e) => e.randomization?.correlations.at(-1)).filter((c): c is number => c !== undefined);
  const drops = entries.map((e) => e.confidence.drop).filter((d) => !Number.isNaN(d));
  return {
    pairs: entries.length,
    deletionBelowRandom: mean(entries.map((e) => (e.deletion.auc < e.deletion.randomAuc ? 1 : 0))),
    insertionAboveRandom: mean(entries.map((e) => (e.insertion.auc > e.insertion.randomAuc ? 1 : 0))),
    meanDeletionAuc: mean(entries.map((e) => e.deletion.auc)),
    meanRandomDeletionAuc: mean(entries.map((e) => e.deletion.randomAuc)),
    meanInsertionAuc: mean(entries.map((e) => e.insertion.auc)),
    meanRandomInsertionAuc: mean(entries.map((e) => e.insertion.randomAuc)),
    averageDropPercent: 100 * mean(drops),
    increaseInConfidencePercent: 100 * mean(entries.map((e) => (e.confidence.increase ? 1 : 0))),
    randomization:
      last.length > 0
        ? {
            blocks: entries.find((e) => e.randomization)?.randomization?.blocks ?? [],
            meanCorrelation: mean(last),
            maxCorrelation: Math.max(...last),
            belowHalf: mean(last.map((c) => (c < 0.5 ? 1 : 0))),
          }
        : null,
  };
}

const f3 = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(3));
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/** The table and summary lines `gradcam evaluate` prints. */
export function formatEvaluation(report: EvaluationReport): string {
  const rows = report.entries.map((e) => [
    e.image,
    `${e.target}${e.label ? ` ${e.label}` : ''}`,
    f3(e.score),
    f3(e.deletion.auc),
    f3(e.deletion.randomAuc),
    f3(e.insertion.auc),
    f3(e.insertion.randomAuc),
    f3(e.confidence.drop),
    e.confidence.increase ? 'yes' : 'no',
    e.randomization ? f3(e.randomization.correlations.at(-1) ?? Number.NaN) : '–',
  ]);
  const header = ['image', 'target', 'score', 'deletion', 'del.random', 'insertion', 'ins.random', 'drop', 'increase', 'rand.rho'];
  const s = report.summary;
  const lines = [
    formatTable(header, rows, new Set([2, 3, 4, 5, 6, 7, 9])),
    `${report.method} at ${report.layer} (${report.model}, ${report.backend}), ${s.pairs} (image, target) pair(s):`,
    `  deletion AUC below the random maps': ${pct(s.deletionBelowRandom)} of pairs (mean ${f3(s.meanDeletionAuc)} vs ${f3(s.meanRandomDeletionAuc)}; lower is better)`,
    `  insertion AUC above the random maps': ${pct(s.insertionAboveRandom)} of pairs (mean ${f3(s.meanInsertionAuc)} vs ${f3(s.meanRandomInsertionAuc)}; higher is better)`,
    `  image × map: average drop ${s.averageDropPercent.toFixed(1)}%, increase in confidence ${s.increaseInConfidencePercent.toFixed(0)}% of pairs`,
    s.randomization
      ? `  randomization (re-initialised ${s.randomization.blocks.join(', ')}): Spearman rho mean ${f3(s.randomization.meanCorrelation)}, max ${f3(s.randomization.maxCorrelation)}; below 0.5 for ${pct(s.randomization.belowHalf)} of pairs`
      : '  randomization: not run (a graph model, or --randomize-blocks 0)',
  ];
  return `${lines.join('\n')}\n`;
}

/** Runs `gradcam evaluate`; resolves to the exit code (0, or 1 when an input failed). */
export async function runEvaluate(inputs: readonly string[], options: EvaluateCommandOptions, io: CliIo): Promise<number> {
  checkExplainChoices(options);
  const method = getCamMethod(options.method);
  if (options.json === '-' && options.jsonl === '-') throw new InvalidInputError('--json - and --jsonl - both want stdout; write one of them to a file.');
  const started = performance.now();
  const log = options.json === '-' || options.jsonl === '-' ? io.stderr : io.stdout;
  const backend = await setBackend(options.backend as BackendName, { onNotice: (m) => io.stderr(`${shown(m)}\n`) });
  const loaded = await loadModel(options.model, modelLoadOptions(options));
  checkTargetOptions(loaded, options.target, options.top);
  const { files, unmatched, skipped } = await expandInputs(inputs, { recursive: options.recursive === true });
  for (const [path, what] of [
    [options.json, 'the JSON report'],
    [options.jsonl, 'the JSON lines report'],
  ] as const) {
    if (path !== undefined && path !== '-') await checkOutputFile(path, what, { inputs: inputIds(files), overwrite: options.overwrite });
  }
  const lines = options.jsonl === undefined ? undefined : await JsonlWriter.open(options.jsonl, io);
  await lines?.write([
    { type: 'run', schema: JSON_SCHEMA_VERSION, command: 'evaluate', started: new Date().toISOString(), model: loaded.id, method: method.displayName, backend },
    ...unmatched.map((u) => ({ type: 'failure', input: u.input, error: u.reason, code: 'ENOENT' })),
    ...skipped.map((s) => ({ type: 'skipped', ...s })),
  ]);
  for (const u of unmatched) io.stderr(`gradcam: ${shown(u.input)}: ${shown(u.reason)}\n`);
  for (const s of skipped) io.stderr(`gradcam: skipped ${shown(s.input)}: ${shown(s.reason)}\n`);
  const [height, width] = loaded.inputShape.slice(1, 3) as [number, number];
  const targets = options.top !== undefined ? { top: options.top } : (options.target?.length ?? 0) > 0 ? options.target : undefined;
  const entries: EvaluationEntry[] = [];
  let layer = options.layer ?? loaded.explainable.defaultLayer().name;
  let failed = unmatched.length;
  for (const file of files) {
    try {
      const img = await loadImg(decodeImage(await readInput(file)), { targetSize: [height, width] });
      const doc = tf.tidy(() => loaded.preprocessInput(tf.expandDims(imgToArray(img), 0)));
      try {
        const evaluation = await evaluateExplanation(loaded, doc, {
          targets,
          layer,
          method: method.id,
          logits: options.logits,
          counterfactual: options.counterfactual,
          eigenSmooth: options.eigenSmooth,
          augSmooth: options.augSmooth,
          steps: options.steps,
          baseline: options.baseline,
          randomMaps: options.randomMaps,
          randomizeBlocks: options.randomizeBlocks,
          seed: options.seed,
          batchSize: options.batchSize,
        });
        layer = evaluation.explanation.layer;
        const own = evaluation.targets.map((t) => ({ image: file.display, ...t }));
        entries.push(...own);
        await lines?.write(own.map((e) => ({ type: 'entry', layer: evaluation.explanation.layer, ...e })));
        log(
          `${shown(file.display)}: ${evaluation.targets.map((t) => `${t.label ?? t.target} deletion ${f3(t.deletion.auc)} (random ${f3(t.deletion.randomAuc)})`).join(', ')}\n`,
        );
      } finally {
        doc.dispose();
      }
    } catch (error) {
      failed++;
      const { message, code } = failureOf(error);
      await lines?.write([{ type: 'failure', input: file.display, error: message, code }]);
      io.stderr(`gradcam: ${shown(file.display)}: ${shown(message)}\n`);
    }
  }
  const report: EvaluationReport = {
    schema: 1,
    model: loaded.id,
    method: method.displayName,
    layer,
    backend,
    options: { steps: options.steps, baseline: options.baseline, randomMaps: options.randomMaps, randomizeBlocks: options.randomizeBlocks, seed: options.seed },
    entries,
    summary: summarize(entries),
  };
  log(formatEvaluation(report));
  await lines?.write([{ type: 'end', seconds: (performance.now() - started) / 1000, summary: report.summary }]);
  await lines?.close();
  if (options.json !== undefined) {
    // NaN (a metric that does not apply) becomes null in JSON.
    const text = `${JSON.stringify(report, finiteOrNull, 2)}\n`;
    if (options.json === '-') io.stdout(text);
    else await new AtomicWriter().write(options.json, text);
  }
  return failed > 0 ? 1 : 0;
}

/** Builds the `evaluate` command. */
export function evaluateCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const command = new Command('evaluate')
    .description('Measure explanations: deletion/insertion AUC against random maps, confidence drop/increase, and the model-randomization check.')
    .argument('<images...>', 'image files (PNG or JPEG), directories of them, or glob patterns (quote them)');
  addModelOption(command);
  command
    .option('-l, --layer <name>', 'layer to explain at; default: automatic')
    .addOption(new Option('--method <name>', 'CAM method').choices(CAM_METHOD_IDS).default(CAM_METHOD_IDS[0]))
    .option('-t, --target <class>', 'class id to evaluate, repeatable; default: the predicted class', integerOption('--target', 0, true))
    .option('--top <k>', 'evaluate the k best classes of each image', integerOption('--top', 1))
    .option('--logits', 'score and explain the pre-softmax output')
    .option('--counterfactual', 'negate the gradients (gradient methods)')
    .option('--eigen-smooth', 'eigen-smoothed maps')
    .option('--aug-smooth', 'augmentation-smoothed maps (flip × brightness 0.9/1.0/1.1)')
    .option('--steps <n>', 'deletion/insertion steps', integerOption('--steps', 1), 20)
    .addOption(new Option('--baseline <kind>', 'what deleted pixels become / insertion starts from').choices(['blur', 'mean', 'zero']).default('blur'))
    .option('--random-maps <n>', 'random maps whose mean AUC the map is compared with', integerOption('--random-maps', 1), 3)
    .option('--randomize-blocks <n>', 'weight blocks re-initialised from the top for the sanity check (0 = skip)', integerOption('--randomize-blocks', 0), 5)
    .option('--seed <n>', 'seed of the random maps and weights', integerOption('--seed', 0), 0)
    .option('--batch-size <n>', 'images per model call', integerOption('--batch-size', 1), 16);
  addBackendOption(command);
  return command
    .option('--json <file|->', "write the JSON report to a file, or '-' for stdout (the table then goes to stderr)")
    .option('--jsonl <file|->', "stream one JSON line per image and target as each image is done, to a file or '-'")
    .option('--overwrite', 'replace an existing --json or --jsonl file')
    .option('-r, --recursive', 'expand directories to the images in their subdirectories too')
    .addHelpText(
      'after',
      [
        '',
        'Deletion/insertion (RISE, arXiv 1806.07421): pixels replaced in the order of the map, in --steps steps;',
        'the AUC of the class score is compared with the mean over --random-maps seeded random maps.',
        'Randomization (Adebayo et al., arXiv 1810.03292): the top --randomize-blocks weight blocks are',
        're-initialised one after another (LayersModels only); rand.rho is the Spearman correlation with',
        'the trained model’s map after the last one. The weights are restored afterwards.',
        '',
        'Examples:',
        '  gradcam evaluate examples/images',
        '  gradcam evaluate cat.jpg dog.jpg --method gradcam++ --top 2 --json report.json',
        '',
      ].join('\n'),
    )
    .action(async (images: string[], options: EvaluateCommandOptions) => {
      setExitCode(await runEvaluate(images, options, io));
    });
}
