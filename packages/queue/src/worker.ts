import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { connectRedis } from './connection.js';
import { canonicalJson, type ExplainJobData, PermanentJobError } from './job.js';

/** How a worker takes jobs and groups them into batches. */
export interface WorkerOptions {
  /** Images per batch handed to `handle` (jobs of equal settings only). Default 8. */
  readonly batchSize?: number;
  /** Jobs held at once (running or waiting for their batch). Default 2 × batchSize, so one batch fills while another runs. */
  readonly concurrency?: number;
  /** A batch that is not full starts this many ms after its first job arrived. Default 50. */
  readonly flushMs?: number;
  /** How long a job's lock lasts without renewal; a killed worker's jobs go back to the queue after it (and the stall check). Default 30 000. */
  readonly lockDurationMs?: number;
  /** How often workers look for jobs whose lock expired (stalled). Default 30 000. */
  readonly stalledIntervalMs?: number;
  /** Stalls a job may have before it fails. Default 2. */
  readonly maxStalledCount?: number;
  /** Told of errors of the worker itself, e.g. a lost Redis connection (ioredis keeps reconnecting). */
  readonly onError?: (error: Error) => void;
  /** Told of each finished job (for a progress line). */
  readonly onJob?: (job: Job<ExplainJobData>, outcome: { ok: true } | { ok: false; error: Error; permanent: boolean }) => void;
}

/** Handles a batch of jobs with equal settings; one result per job, or an Error (a PermanentJobError fails it without retries). */
export type BatchHandler<R> = (jobs: readonly Job<ExplainJobData>[]) => Promise<(R | Error)[]>;

/** A running worker. */
export interface RunningWorker {
  /** Stops taking jobs; with `force` false (default) waits for the jobs it holds to finish. */
  close(force?: boolean): Promise<void>;
}

interface Waiting<R> {
  readonly job: Job<ExplainJobData>;
  resolve(value: R): void;
  reject(error: Error): void;
}

/**
 * Runs a BullMQ worker on queue `name` that hands jobs to `handle` in batches of equal settings:
 * a batch starts when it holds `batchSize` jobs or `flushMs` after its first one. A job whose
 * handler result is a PermanentJobError fails at once (BullMQ's UnrecoverableError, no retry, its
 * code kept in the job's progress); any other error is retried with the job's backoff. A worker
 * killed mid-job (SIGKILL) leaves its jobs locked until `lockDurationMs`; the next stall check of
 * any worker puts them back in the queue.
 */
export function startWorker<R>(url: string, name: string, handle: BatchHandler<R>, options: WorkerOptions = {}): RunningWorker {
  const batchSize = options.batchSize ?? 8;
  const groups = new Map<string, { waiting: Waiting<R>[]; timer?: ReturnType<typeof setTimeout> }>();

  const flush = (key: string) => {
    const group = groups.get(key);
    if (!group || group.waiting.length === 0) return;
    groups.delete(key);
    clearTimeout(group.timer);
    const batch = group.waiting;
    handle(batch.map((w) => w.job)).then(
      (results) =>
        batch.forEach((w, i) => {
          const result = results[i];
          if (result instanceof Error) w.reject(result);
          else w.resolve(result as R);
        }),
      (error: unknown) => {
        for (const w of batch) w.reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  };

  const processor = async (job: Job<ExplainJobData>): Promise<R> => {
    const key = canonicalJson(job.data.settings);
    try {
      return await new Promise<R>((resolve, reject) => {
        const group = groups.get(key) ?? { waiting: [] };
        groups.set(key, group);
        group.waiting.push({ job, resolve, reject });
        if (group.waiting.length >= batchSize) flush(key);
        else group.timer ??= setTimeout(() => flush(key), options.flushMs ?? 50);
      });
    } catch (error) {
      if (error instanceof PermanentJobError) {
        await job.updateProgress({ code: error.code });
        throw new UnrecoverableError(error.message);
      }
      throw error;
    }
  };

  const connection = connectRedis(url, { mode: 'worker' });
  const worker = new Worker<ExplainJobData, R>(name, processor, {
    connection,
    concurrency: options.concurrency ?? 2 * batchSize,
    lockDuration: options.lockDurationMs ?? 30_000,
    stalledInterval: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 2,
  });
  worker.on('completed', (job) => options.onJob?.(job, { ok: true }));
  worker.on('failed', (job, error) => {
    if (job) options.onJob?.(job, { ok: false, error, permanent: error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1) });
  });
  // Errors of the connection (Redis restarting) are retried by ioredis; BullMQ reports them here.
  worker.on('error', (error) => options.onError?.(error));
  let closing: Promise<void> | undefined;
  return {
    close(force = false) {
      closing ??= (async () => {
        await worker.close(force);
        connection.disconnect();
      })();
      return closing;
    },
  };
}
