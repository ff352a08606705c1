import { join } from 'node:path';
import { getCamMethod, InvalidInputError } from '@gradcam/core';
import { type BackendName, loadModel, setBackend } from 'gradcam';
import { AtomicWriter } from './atomic-write.js';
import { CAM_METHODS } from './cam-methods.js';
import type { CliIo } from './cli-io.js';
import type { Decoded } from './decode-stage.js';
import type { ExplainCommandOptions } from './explain-command.js';
import { type Explained, explainInputs, resolveLayers } from './explain-stage.js';
import { createImagePool, defaultWorkers, type ImagePool } from './image-pool.js';
import { InputError } from './input-error.js';
import { expandInputs, type InputFile } from './inputs.js';
import { checkExplainChoices, checkTargetOptions, modelLoadOptions } from './options.js';
import { checkOutputFile, inputIds, outputLayerNames, planOutputs } from './output-plan.js';
import { type Outcome, runPipeline } from './pipeline.js';
import { createProgress } from './progress.js';
import { type ExplainReport, type FailureReport, type ImageReport, JSON_SCHEMA_VERSION, JsonlWriter, type SkippedReport } from './report.js';
import { doneInJsonl, outputsExist } from './resume.js';
import { inShard } from './shard.js';
import { onInterrupt } from './signals.js';
import { shown } from './terminal-text.js';
import { writeOutputs } from './write-stage.js';

/** Decoded bytes in flight at most (besides the window's count): large photos do not pile up. */
const MAX_DECODED_BYTES = 512 * 2 ** 20;

/** The option checks that need no model, no file and no backend. */
function checkOptions(options: ExplainCommandOptions): void {
  checkExplainChoices(options);
  if (options.json === '-' && options.jsonl === '-') throw new InvalidInputError('--json - and --jsonl - both want stdout; write one of them to a file.');
  if (options.resume !== undefined && options.jsonl !== undefined && options.jsonl !== options.resume) {
    throw new InvalidInputError(`--resume ${shown(options.resume)} appends to that file; --jsonl names another (${shown(options.jsonl)}). Give one of them.`);
  }
}

/**
 * Runs `gradcam explain` as a pipeline: inputs are expanded and every output checked before any
 * image is read (usage errors throw); then a bounded window of images flows through decode and
 * resize (worker threads), batched explanations (this thread, `--batch-size` images per pass), drawing
 * and PNG encoding (worker threads) and writing (in input order), each image's report line
 * streamed as it is done. Resolves to the exit code: 0 every input explained, 1 some failed.
 */
export async function runExplain(inputs: readonly string[], options: ExplainCommandOptions, io: CliIo): Promise<number> {
  checkOptions(options);
  // The worker threads start (and load their modules) while this thread loads the backend and the model.
  const workers = options.workers ?? defaultWorkers();
  const pool = createImagePool(workers);
  try {
    return await explainFolder(inputs, options, io, pool);
  } finally {
    await pool.close();
  }
}

/** runExplain's work once the image pool runs: backend, model, checks, the pipeline, the reports. */
async function explainFolder(inputs: readonly string[], options: ExplainCommandOptions, io: CliIo, pool: ImagePool): Promise<number> {
  const started = performance.now();
  const jsonl = options.resume ?? options.jsonl;
  // Informational lines go to stderr when stdout carries a report.
  const log = options.json === '-' || jsonl === '-' ? io.stderr : io.stdout;
  const backend = await setBackend(options.backend as BackendName, { onNotice: (m) => io.stderr(`${shown(m)}\n`) });
  const native = backend === 'tensorflow';
  const warm = native ? pool.prepareNative() : Promise.resolve();
  const loaded = await loadModel(options.model, modelLoadOptions(options));
  const layers = resolveLayers(loaded, options.layer ?? []);
  const classes = checkTargetOptions(loaded, options.target, options.top);
  const { files, unmatched, skipped } = await expandInputs(inputs, { recursive: options.recursive === true, exclude: [options.out] });
  const plan = await planOutputs(files, {
    out: options.out,
    // Merged layers make one overlay per target, named as for one layer.
    layers: outputLayerNames(
      layers.map((l) => l.name),
      options.mergeLayers,
    ),
    classes,
    report: options.json === '-' ? undefined : options.json,
    overwrite: options.overwrite,
  });
  if (jsonl !== undefined && jsonl !== '-') {
    await checkOutputFile(jsonl, 'the JSON lines report', { inputs: inputIds(files), overwrite: options.overwrite || options.resume !== undefined });
  }

  // A killed run (SIGKILL: no chance to clean up) leaves its temporary files: they are not outputs.
  const folders = [...new Set(files.map((f) => join(options.out, f.subdir)))];
  const stale = (await Promise.all(folders.map((folder) => AtomicWriter.removeStale(folder)))).reduce((a, b) => a + b, 0);
  if (stale > 0) io.stderr(`gradcam: removed ${stale} temporary file(s) that an interrupted run left in ${shown(options.out)}\n`);

  // Inputs an earlier run completed (--resume, --skip-existing) are left out, with a note.
  const done =
    options.resume === undefined
      ? new Map<string, ImageReport[]>()
      : await doneInJsonl(
          options.resume,
          layers.map((l) => l.name),
        ).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return new Map<string, ImageReport[]>(); // the first run of a resumable job
          throw new InvalidInputError(`--resume: ${shown(error.message)}`);
        });
  const todo: InputFile[] = [];
  const earlier: SkippedReport[] = [];
  for (const file of inShard(files, options.shard)) {
    const skip =
      done.has(file.display) ||
      (options.skipExisting === true &&
        (await outputsExist(file, plan, {
          layers: layers.map((l) => l.name),
          targets: options.target,
          top: options.top ?? 1,
          guided: options.guided === true,
        })));
    if (skip) earlier.push({ input: file.display, reason: 'done in an earlier run (its outputs exist)' });
    else todo.push(file);
  }

  if (!options.quiet) {
    const methodName = CAM_METHODS[options.method] ?? options.method;
    const more = earlier.length > 0 ? ` (${earlier.length} done earlier)` : '';
    log(
      `gradcam: explaining ${todo.length} image(s)${more} with ${shown(loaded.id)} at ${layers.map((l) => shown(l.name)).join(', ')} (${methodName}) on the '${backend}' backend\n`,
    );
  }

  const writer = new AtomicWriter();
  const lines = jsonl === undefined ? undefined : await JsonlWriter.open(jsonl, io, options.resume !== undefined);
  const explainedNow = new Map<InputFile, ImageReport[]>();
  const failures: FailureReport[] = unmatched.map(({ input, reason }) => ({ input, error: reason, code: 'ENOENT' }));
  const passedOver = [...skipped, ...earlier];
  await lines?.write([
    {
      type: 'run',
      schema: JSON_SCHEMA_VERSION,
      command: 'explain',
      started: new Date().toISOString(),
      model: loaded.id,
      layers: layers.map((l) => l.name),
      method: getCamMethod(options.method).displayName,
      backend,
      inputs: files.length,
    },
    ...failures.map((f) => ({ type: 'failure', ...f })),
    ...passedOver.map((s) => ({ type: 'skipped', ...s })),
  ]);
  for (const f of failures) io.stderr(`gradcam: ${shown(f.input)}: ${shown(f.error)}\n`);
  if (!options.quiet) for (const s of skipped) io.stderr(`gradcam: skipped ${shown(s.input)}: ${shown(s.reason)}\n`);

  await warm;
  const progress = createProgress(todo.length, io.progressStream, { quiet: options.quiet });
  const off = onInterrupt(() => {
    writer.removePendingSync();
    progress.stop();
  });
  const [height, width] = loaded.inputShape.slice(1, 3) as [number, number];
  const settings = { loaded, layers, options, plan };
  // Resuming redoes inputs whose outputs an interrupted run may have written in part: those are replaced.
  const overwrite = options.overwrite === true || options.skipExisting === true || options.resume !== undefined;
  const writeContext = { writer, plan, overwrite, written: new Map<string, string>() };
  const batchSize = options.batchSize ?? 8;
  try {
    await runPipeline<InputFile, Decoded, Explained, { explained: Explained; pngs: Uint8Array[] }>(
      todo,
      {
        decode: async (file) => {
          progress.start(shown(file.display));
          const result = await pool.decode({ path: file.path, display: file.display, size: [height, width], native });
          if (!result.ok) throw new InputError(result.message, result.code ?? 'DECODE');
          return result.value;
        },
        weigh: (decoded) => decoded.original.data.byteLength + decoded.small.data.byteLength,
        explain: (batch) => explainInputs(settings, batch),
        draw: async (_file, decoded, explained) => {
          const result = await pool.draw({ original: decoded.original, overlays: explained.overlays.map((o) => o.spec) });
          if (!result.ok) throw new InputError(result.message, result.code ?? 'DRAW');
          return { explained, pngs: result.value };
        },
        finish: async (file, outcome) => finish(file, outcome),
      },
      { window: 2 * batchSize + 2 * Math.max(pool.workers, 1), batchSize, maxBytes: MAX_DECODED_BYTES, decoding: Math.max(pool.workers, 1) + 1 },
    );
  } finally {
    progress.stop();
    off();
  }

  async function finish(file: InputFile, outcome: Outcome<{ explained: Explained; pngs: Uint8Array[] }>): Promise<void> {
    try {
      if (!outcome.ok) throw outcome.error;
      const { explained, pngs } = outcome.value;
      await writeOutputs(
        writeContext,
        file.display,
        explained.overlays.map((o, i) => ({ path: o.path, png: pngs[i] })),
      );
      if (options.json !== undefined) explainedNow.set(file, explained.reports); // kept for the report at the end only
      await lines?.write(explained.reports.map((r) => ({ type: 'image', ...r })));
      if (!options.quiet) {
        const top = explained.reports[0].predictions
          .slice(0, 3)
          .map((p) => `${p.label} ${p.score.toFixed(3)}`)
          .join(', ');
        progress.line(log, `${shown(file.display)}: ${shown(top)} → ${explained.overlays.map((o) => shown(o.path)).join(', ')}\n`);
      }
    } catch (error) {
      const e = error as { message?: string; code?: unknown };
      const failure = { input: file.display, error: e?.message ?? String(error), code: typeof e?.code === 'string' ? e.code : null };
      failures.push(failure);
      await lines?.write([{ type: 'failure', ...failure }]);
      progress.line(io.stderr, `gradcam: ${shown(file.display)}: ${shown(failure.error)}\n`);
    }
    progress.done();
  }

  const seconds = (performance.now() - started) / 1000;
  await lines?.write([
    { type: 'end', seconds, images: todo.length - (failures.length - unmatched.length), failures: failures.length, skipped: passedOver.length },
  ]);
  await lines?.close();
  if (options.json !== undefined) {
    // Input order, with the entries an earlier run wrote for the inputs it had done.
    const images = files.flatMap((file) => explainedNow.get(file) ?? done.get(file.display) ?? []);
    const report: ExplainReport = { schema: JSON_SCHEMA_VERSION, images, failures, skipped: passedOver };
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
