import { type Job, Queue } from 'bullmq';
import { connectRedis, shownUrl } from './connection.js';
import { type ExplainJobData, jobIdOf } from './job.js';

/** The queue `gradcam queue` and `gradcam worker` use unless told otherwise. */
export const DEFAULT_QUEUE_NAME = 'gradcam-explain';

/** How added jobs are retried after a failure that is not permanent. */
export interface AddOptions {
  /** Tries in all (default 3). */
  readonly attempts?: number;
  /** First retry after this many ms, then twice as long each time (default 2000). */
  readonly backoffMs?: number;
}

/** Opens a queue for one command; `use` runs with it and the queue is closed after, also on failure. */
export async function withQueue<T>(url: string, name: string, use: (queue: Queue<ExplainJobData>) => Promise<T>): Promise<T> {
  const connection = connectRedis(url, { mode: 'command' });
  let lastError: Error | undefined;
  connection.on('error', (error: Error) => {
    lastError = error;
  });
  const queue = new Queue<ExplainJobData>(name, { connection });
  queue.on('error', (error: Error) => {
    lastError = error;
  });
  try {
    return await use(queue);
  } catch (error) {
    // ioredis gives up with "Connection is closed."; say which Redis and why.
    if (lastError && connection.status === 'end') throw new Error(`Cannot reach Redis at ${shownUrl(url)}: ${lastError.message}.`, { cause: error });
    throw error;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

/**
 * Adds one job per image, its id derived from the image's bytes, outputs and options (jobIdOf):
 * a job already in the queue — waiting, running, done or failed — is not added again. Returns how
 * many were added and how many were there already.
 */
export async function addJobs(
  url: string,
  name: string,
  jobs: readonly ExplainJobData[],
  options: AddOptions = {},
): Promise<{ added: number; existing: number }> {
  return withQueue(url, name, async (queue) => {
    let added = 0;
    for (let start = 0; start < jobs.length; start += 500) {
      const chunk = jobs.slice(start, start + 500).map((data) => ({ data, id: jobIdOf(data) }));
      const present = await Promise.all(chunk.map(({ id }) => queue.getJob(id)));
      const fresh = chunk.filter((_, i) => present[i] === undefined);
      await queue.addBulk(
        fresh.map(({ data, id }) => ({
          name: 'explain',
          data,
          opts: {
            jobId: id,
            attempts: options.attempts ?? 3,
            backoff: { type: 'exponential', delay: options.backoffMs ?? 2000 },
            removeOnComplete: false,
            removeOnFail: false,
          },
        })),
      );
      added += fresh.length;
    }
    return { added, existing: jobs.length - added };
  });
}

/** Where a queue stands. */
export interface QueueStatus {
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly completed: number;
  readonly failed: number;
  /** Workers connected now. */
  readonly workers: number;
  /** Images completed in the last minute, per second. */
  readonly imagesPerSecond: number;
}

/** The job counts, the workers connected and the rate of the last minute. */
export async function queueStatus(url: string, name: string, now: number = Date.now()): Promise<QueueStatus> {
  return withQueue(url, name, async (queue) => {
    const counts = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed', 'completed', 'failed');
    const recent = await queue.getJobs(['completed'], 0, 4999);
    const lastMinute = recent.filter((job) => (job.finishedOn ?? 0) > now - 60_000).length;
    return {
      waiting: (counts.wait ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      completed: counts.completed ?? 0,
      failed: counts.failed ?? 0,
      workers: await queue.getWorkersCount(),
      imagesPerSecond: lastMinute / 60,
    };
  });
}

/** Jobs not finished yet (waiting, prioritized, active or delayed): one count query, for polling. */
export async function pendingJobs(url: string, name: string): Promise<number> {
  return withQueue(url, name, async (queue) => {
    const counts = await queue.getJobCounts('wait', 'prioritized', 'active', 'delayed');
    return Object.values(counts).reduce((sum, n) => sum + (n ?? 0), 0);
  });
}

/** A finished job: its data and either its result or why it failed. */
export type JobOutcome = (
  | { readonly state: 'completed'; readonly result: unknown }
  | { readonly state: 'failed'; readonly error: string; readonly code: string | null }
) & {
  readonly data: ExplainJobData;
  readonly attempts: number;
  /** When its last try started and when it finished (epoch ms). */
  readonly processedOn: number;
  readonly finishedOn: number;
};

/** Every finished job (completed or failed), in the order the images were added. */
export async function finishedJobs(url: string, name: string): Promise<JobOutcome[]> {
  return withQueue(url, name, async (queue) => {
    const outcomes: JobOutcome[] = [];
    for (const state of ['completed', 'failed'] as const) {
      for (let start = 0; ; start += 1000) {
        const page: Job<ExplainJobData>[] = await queue.getJobs([state], start, start + 999, true);
        for (const job of page) {
          if (!job) continue;
          const common = { data: job.data, attempts: job.attemptsMade, processedOn: job.processedOn ?? 0, finishedOn: job.finishedOn ?? 0 };
          if (state === 'completed') outcomes.push({ ...common, state, result: job.returnvalue });
          else {
            const progress = job.progress as { code?: string | null } | number;
            const code = typeof progress === 'object' && progress !== null ? (progress.code ?? null) : null;
            outcomes.push({ ...common, state, error: job.failedReason ?? 'failed', code });
          }
        }
        if (page.length < 1000) break;
      }
    }
    return outcomes.sort((a, b) => a.data.index - b.data.index);
  });
}
