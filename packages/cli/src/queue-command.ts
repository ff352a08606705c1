import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { InvalidInputError } from '@gradcam/core';
import { Command } from 'commander';
import { type BackendName, loadModel, setBackend } from 'gradcam';
import type { CliIo } from './cli-io.js';
import { failureOf, readInput } from './decode-stage.js';
import { addExplainOptions, type ExplainCommandOptions } from './explain-command.js';
import { resolveLayers } from './explain-stage.js';
import { expandInputs } from './inputs.js';
import { addBackendOption, checkExplainChoices, checkTargetOptions, integerOption, modelLoadOptions } from './options.js';
import { checkOutputFile, inputIds, outputLayerNames, planOutputs } from './output-plan.js';
import { jobSettingsOf } from './queue-jobs.js';
import { type FailureReport, type ImageReport, JSON_SCHEMA_VERSION, JsonlWriter, type ReportLine } from './report.js';
import { shown } from './terminal-text.js';

/** @gradcam/queue, an optional dependency: loaded when a queue command runs. */
export async function loadQueue(): Promise<typeof import('@gradcam/queue')> {
  try {
    return await import('@gradcam/queue');
  } catch (error) {
    throw new InvalidInputError(`The queue commands need @gradcam/queue (BullMQ on Redis): npm install @gradcam/queue. (${(error as Error).message})`);
  }
}

/** Options every queue command has. */
interface QueueOptions {
  readonly redis: string;
  readonly queue: string;
}

/** Adds `--redis <url>` (required) and `--queue <name>` to a queue command. */
export function addQueueOptions(command: Command): Command {
  return command
    .requiredOption('--redis <url>', 'the Redis every worker and command of the job uses (redis://host:port, rediss:// for TLS)')
    .option('--queue <name>', 'the queue', 'gradcam-explain');
}

type AddOptions = ExplainCommandOptions & QueueOptions & { readonly attempts: number };

/**
 * `gradcam queue add`: checks everything `explain` checks before anything is added (model, layers,
 * targets, outputs that could replace inputs), then adds one job per image. Inputs and the output
 * folder are stored as absolute paths, for workers on storage that every machine mounts at the same
 * path. Resolves to 0, or 1 when an input could not be read.
 */
export async function runQueueAdd(inputs: readonly string[], options: AddOptions, io: CliIo): Promise<number> {
  checkExplainChoices(options);
  const queue = await loadQueue();
  queue.checkRedisUrl(options.redis);
  await setBackend(options.backend as BackendName, { onNotice: (m) => io.stderr(`${shown(m)}\n`) });
  const loaded = await loadModel(options.model, modelLoadOptions(options));
  const layers = resolveLayers(loaded, options.layer ?? []).map((l) => l.name);
  const classes = checkTargetOptions(loaded, options.target, options.top);
  const out = resolve(options.out);
  const { files, unmatched, skipped } = await expandInputs(inputs, { recursive: options.recursive === true, exclude: [out] });
  const plan = await planOutputs(files, { out, layers: outputLayerNames(layers, options.mergeLayers), classes, overwrite: options.overwrite });
  const settings = jobSettingsOf(options, layers);
  const failures: FailureReport[] = unmatched.map(({ input, reason }) => ({ input, error: reason, code: 'ENOENT' }));
  const jobs = [];
  for (const [index, file] of files.entries()) {
    if (typeof file.path !== 'string') {
      failures.push({
        input: file.display,
        error: 'a name that is not UTF-8 cannot go into a job; rename it, or explain it with gradcam explain',
        code: 'EINVAL',
      });
      continue;
    }
    try {
      const sha256 = createHash('sha256')
        .update(await readInput(file))
        .digest('hex');
      jobs.push({
        index,
        input: resolve(file.path),
        display: file.display,
        sha256,
        outputBase: plan.outputBase(file),
        settings: settings as Record<string, unknown>,
      });
    } catch (error) {
      const { message, code } = failureOf(error);
      failures.push({ input: file.display, error: message, code });
    }
  }
  for (const f of failures) io.stderr(`gradcam: ${shown(f.input)}: ${shown(f.error)}\n`);
  for (const s of skipped) io.stderr(`gradcam: skipped ${shown(s.input)}: ${shown(s.reason)}\n`);
  const { added, existing } = await queue.addJobs(options.redis, options.queue, jobs, { attempts: options.attempts });
  io.stdout(
    `gradcam: added ${added} job(s) to '${shown(options.queue)}' on ${queue.shownUrl(options.redis)}${existing > 0 ? ` (${existing} already there)` : ''}; outputs go to ${shown(out)}\n`,
  );
  return failures.length > 0 ? 1 : 0;
}

/** `gradcam queue status`: the job counts, the workers connected, images/s over the last minute. */
export async function runQueueStatus(options: QueueOptions & { readonly json?: boolean }, io: CliIo): Promise<number> {
  const queue = await loadQueue();
  const status = await queue.queueStatus(options.redis, options.queue);
  if (options.json) {
    io.stdout(`${JSON.stringify({ schema: JSON_SCHEMA_VERSION, queue: options.queue, ...status }, null, 2)}\n`);
  } else {
    const { waiting, active, delayed, completed, failed, workers, imagesPerSecond } = status;
    io.stdout(
      `${options.queue}: ${waiting} waiting, ${active} active, ${delayed} delayed (retrying), ${completed} completed, ${failed} failed; ` +
        `${workers} worker(s), ${imagesPerSecond.toFixed(2)} images/s over the last minute\n`,
    );
  }
  return 0;
}

/**
 * `gradcam queue report`: every finished job as `explain --jsonl` lines — an `image` line per
 * layer of each completed job, a `failure` line per failed one — in the order the images were added.
 */
export async function runQueueReport(options: QueueOptions & { readonly jsonl: string; readonly overwrite?: boolean }, io: CliIo): Promise<number> {
  const queue = await loadQueue();
  if (options.jsonl !== '-') await checkOutputFile(options.jsonl, 'the JSON lines report', { inputs: inputIds([]), overwrite: options.overwrite });
  const outcomes = await queue.finishedJobs(options.redis, options.queue);
  const lines = await JsonlWriter.open(options.jsonl, io);
  // From the first job started to the last one finished (a loop: a spread of every job's time overflows the call stack on large queues).
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  let images = 0;
  for (const o of outcomes) {
    first = Math.min(first, o.processedOn);
    last = Math.max(last, o.finishedOn);
    if (o.state === 'completed') images++;
  }
  const body: ReportLine[] = outcomes.flatMap((o): ReportLine[] =>
    o.state === 'completed'
      ? ((o.result as { reports?: ImageReport[] })?.reports ?? []).map((r): ReportLine => ({ type: 'image', ...r }))
      : [{ type: 'failure', input: o.data.display, error: o.error, code: o.code }],
  );
  await lines.write([
    { type: 'run', schema: JSON_SCHEMA_VERSION, command: 'queue report', started: new Date().toISOString(), queue: options.queue },
    ...body,
    {
      type: 'end',
      seconds: outcomes.length === 0 ? 0 : (last - first) / 1000,
      images,
      failures: outcomes.length - images,
    },
  ]);
  await lines.close();
  if (options.jsonl !== '-') io.stderr(`gradcam: ${outcomes.length} finished job(s) → ${shown(options.jsonl)}\n`);
  return 0;
}

/** Builds `gradcam queue add|status|report`. */
export function queueCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const queue = new Command('queue').description('Explain folders on many machines: jobs on a BullMQ queue in Redis, run by `gradcam worker`.');
  const add = new Command('add')
    .description('Add one job per image (its id from the bytes, outputs and options: adding twice adds once).')
    .argument('<images...>', 'image files, directories of them, or glob patterns (quote them)');
  addQueueOptions(add);
  addExplainOptions(add);
  add
    .option('-o, --out <dir>', 'output directory, on storage every worker sees at the same path', 'out')
    .option('-r, --recursive', 'expand directories to the images in their subdirectories too (outputs mirror them)')
    .option('--overwrite', 'workers may replace outputs that exist (their own earlier tries are replaced anyway)')
    .option('--attempts <n>', 'tries per job for failures that are not the image itself (exponential backoff from 2 s)', integerOption('--attempts', 1), 3);
  addBackendOption(add).action(async (images: string[], options: AddOptions) => setExitCode(await runQueueAdd(images, options, io)));
  const status = addQueueOptions(new Command('status').description('Job counts, workers connected, and images/s over the last minute.'))
    .option('--json', 'print JSON')
    .action(async (options: QueueOptions & { json?: boolean }) => setExitCode(await runQueueStatus(options, io)));
  const report = addQueueOptions(new Command('report').description("Gather the finished jobs' report entries as `explain --jsonl` lines."))
    .requiredOption('--jsonl <file|->', 'where to write the lines')
    .option('--overwrite', 'replace an existing file')
    .action(async (options: QueueOptions & { jsonl: string; overwrite?: boolean }) => setExitCode(await runQueueReport(options, io)));
  for (const sub of [add, status, report]) queue.addCommand(sub);
  return queue.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  gradcam queue add /data/photos -r --out /data/overlays --redis redis://queue-host:6379 --top 2',
      '  gradcam worker --redis redis://queue-host:6379            # on every machine, as many as you like',
      '  gradcam queue status --redis redis://queue-host:6379',
      '  gradcam queue report --redis redis://queue-host:6379 --jsonl report.jsonl',
      '',
    ].join('\n'),
  );
}
