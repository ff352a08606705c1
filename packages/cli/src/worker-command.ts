import { Command } from 'commander';
import { type BackendName, setBackend } from 'gradcam';
import { AtomicWriter } from './atomic-write.js';
import type { CliIo } from './cli-io.js';
import { createImagePool, defaultWorkers } from './image-pool.js';
import { addBackendOption, addTimeoutOption, integerOption } from './options.js';
import { addQueueOptions, loadQueue } from './queue-command.js';
import { explainJobs } from './queue-jobs.js';
import { shown } from './terminal-text.js';

/** Parsed options of `gradcam worker`. */
export interface WorkerCommandOptions {
  readonly redis: string;
  readonly queue: string;
  readonly backend: string;
  readonly timeout: number;
  /** Jobs per batched explanation (default 8); also the explanations' batch size, as explain's --batch-size, when given. */
  readonly batchSize?: number;
  /** Jobs held at once (default 2 × batch size). */
  readonly concurrency?: number;
  /** Worker threads that decode and draw (default cores − 1). */
  readonly workers?: number;
  readonly lockDuration: number;
  readonly stalledInterval: number;
  /** Exit (0) once the queue has no waiting, delayed or active job left. */
  readonly untilEmpty?: boolean;
  readonly quiet?: boolean;
}

/**
 * Runs `gradcam worker`: takes jobs from the queue in batches of equal settings and explains them
 * with the same stages as `gradcam explain`, until SIGINT/SIGTERM (the first finishes the jobs in
 * hand, a second stops at once — what it held goes back to the queue after the lock expires) or,
 * with --until-empty, until the queue is empty.
 */
export async function runWorker(options: WorkerCommandOptions, io: CliIo): Promise<number> {
  const queue = await loadQueue();
  queue.checkRedisUrl(options.redis);
  const pool = createImagePool(options.workers ?? defaultWorkers());
  const backend = await setBackend(options.backend as BackendName, { onNotice: (m) => io.stderr(`${shown(m)}\n`) });
  if (backend === 'tensorflow') await pool.prepareNative();
  const writer = new AtomicWriter();
  // Undefined unless given: the explanations then keep explain's defaults (Score-CAM's 32 masked images per call).
  const context = { pool, backend, batchSize: options.batchSize, timeoutMs: options.timeout * 1000, models: new Map(), writer };
  let done = 0;
  let failed = 0;
  let lastError = '';
  const started = performance.now();
  const worker = queue.startWorker(
    options.redis,
    options.queue,
    (jobs) => explainJobs(context, jobs, (message, code) => new queue.PermanentJobError(message, code)),
    {
      batchSize: options.batchSize ?? 8,
      concurrency: options.concurrency,
      lockDurationMs: options.lockDuration,
      stalledIntervalMs: options.stalledInterval,
      onJob: (job, outcome) => {
        if (outcome.ok) {
          done++;
          if (!options.quiet) io.stdout(`${shown(job.data.display)}: done\n`);
        } else {
          if (outcome.permanent) failed++;
          io.stderr(`gradcam worker: ${shown(job.data.display)}: ${shown(outcome.error.message)}${outcome.permanent ? '' : ' (will be retried)'}\n`);
        }
      },
      onError: (error) => {
        if (error.message === lastError) return; // a Redis that is down says so once, not every retry
        lastError = error.message;
        io.stderr(`gradcam worker: ${shown(error.message)} (retrying)\n`);
      },
    },
  );
  io.stderr(`gradcam worker: taking jobs from '${shown(options.queue)}' on ${queue.shownUrl(options.redis)} (${backend} backend)\n`);
  let stopping = 0;
  let poll: NodeJS.Timeout | undefined;
  let onSignal = () => {};
  const stopped = new Promise<void>((resolve) => {
    const stop = (force: boolean) => worker.close(force).then(resolve, resolve);
    onSignal = () => {
      stopping++;
      io.stderr(stopping === 1 ? 'gradcam worker: finishing the jobs in hand (again to stop now)\n' : 'gradcam worker: stopping now\n');
      stop(stopping > 1);
    };
    if (options.untilEmpty) {
      // One count query a second, never two at once; a Redis that is down is asked again.
      let asking = false;
      poll = setInterval(async () => {
        if (asking) return;
        asking = true;
        const pending = await queue.pendingJobs(options.redis, options.queue).catch(() => undefined);
        asking = false;
        if (pending === 0 && poll !== undefined) {
          clearInterval(poll);
          stop(false);
        }
      }, 1000);
    }
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await stopped;
  } finally {
    // A worker stopped by a signal while jobs wait: no poll or handler outlives it.
    clearInterval(poll);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  writer.removePendingSync();
  await pool.close();
  const seconds = (performance.now() - started) / 1000;
  io.stderr(`gradcam worker: ${done} image(s) done, ${failed} failed, in ${seconds.toFixed(1)} s\n`);
  return 0;
}

/** Builds `gradcam worker`. */
export function workerCommand(io: CliIo, setExitCode: (code: number) => void): Command {
  const command = addQueueOptions(
    new Command('worker').description('Explain the jobs of a queue (gradcam queue add) until stopped; run as many as you like, anywhere.'),
  );
  command
    .option('--batch-size <n>', 'images per batched explanation (jobs of equal settings; default 8)', integerOption('--batch-size', 1))
    .option('--concurrency <k>', 'jobs held at once (default: 2 × batch size, so a batch fills while another runs)', integerOption('--concurrency', 1))
    .option('--workers <n>', 'worker threads that decode and draw (0: none; default cores − 1)', integerOption('--workers', 0))
    .option(
      '--lock-duration <ms>',
      "how long a job's lock lasts unrenewed: a killed worker's jobs return to the queue after it",
      integerOption('--lock-duration', 1000),
      30_000,
    )
    .option('--stalled-interval <ms>', 'how often this worker looks for jobs whose lock expired', integerOption('--stalled-interval', 100), 30_000)
    .option('--until-empty', 'exit once the queue has no job left to do')
    .option('-q, --quiet', 'print no line per job; failures still print');
  addBackendOption(command);
  addTimeoutOption(command);
  return command.action(async (options: WorkerCommandOptions) => setExitCode(await runWorker(options, io)));
}
