// @gradcam/queue against a real redis-server (started here on a free port; no mocks).
import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addJobs, type ExplainJobData, finishedJobs, jobIdOf, PermanentJobError, queueStatus, startWorker } from './index.js';
import { startRedis, type TestRedis } from './testing.js';

const data = (index: number, settings: Record<string, unknown> = { model: 'm', layer: 'out_relu' }): ExplainJobData => ({
  index,
  input: `/photos/${index}.png`,
  display: `photos/${index}.png`,
  sha256: `sha-${index}`,
  outputBase: `/out/${index}`,
  settings,
});

/** Resolves once `check` holds, polling every 50 ms (a bound against hangs is the test's own timeout). */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 50));
}

// GRADCAM_SKIP_REDIS=1 leaves these out where there is no redis-server (CI never sets it).
describe.skipIf(process.env.GRADCAM_SKIP_REDIS === '1')('@gradcam/queue on a real Redis', () => {
  let redis: TestRedis;
  let n = 0;
  const queueName = () => `test-${process.pid}-${n++}`;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('job ids: same bytes, outputs and options → the same id; any of them different → another', () => {
    const a = data(1);
    expect(jobIdOf(a)).toBe(jobIdOf({ ...a, settings: { layer: 'out_relu', model: 'm' } })); // key order does not matter
    for (const other of [
      { ...a, sha256: 'x' },
      { ...a, outputBase: '/out/other' },
      { ...a, settings: { model: 'm', layer: 'Conv_1' } },
    ]) {
      expect(jobIdOf(other)).not.toBe(jobIdOf(a));
    }
  });

  it('adding the same images twice adds them once', async () => {
    const name = queueName();
    const jobs = Array.from({ length: 5 }, (_, i) => data(i));
    expect(await addJobs(redis.url, name, jobs)).toEqual({ added: 5, existing: 0 });
    expect(await addJobs(redis.url, name, [...jobs, data(5)])).toEqual({ added: 1, existing: 5 });
    const status = await queueStatus(redis.url, name);
    expect(status).toMatchObject({ waiting: 6, active: 0, completed: 0, failed: 0 });
  });

  it('workers take batches of equal settings; a permanent failure is not retried, another is; results come in input order', async () => {
    const name = queueName();
    const other = { model: 'm', layer: 'Conv_1' };
    const jobs = [...Array.from({ length: 10 }, (_, i) => data(i)), data(10, other), data(11, other)];
    await addJobs(redis.url, name, jobs, { attempts: 3, backoffMs: 10 });
    const batches: number[][] = [];
    const tries = new Map<number, number>();
    const worker = startWorker<{ doubled: number }>(
      redis.url,
      name,
      async (batch: readonly Job<ExplainJobData>[]) => {
        batches.push(batch.map((j) => j.data.index));
        return batch.map((job) => {
          const i = job.data.index;
          tries.set(i, (tries.get(i) ?? 0) + 1);
          if (i === 3) return new PermanentJobError('not an image', 'DECODE');
          if (i === 4 && (tries.get(i) ?? 0) < 2) return new Error('the disk was busy');
          return { doubled: 2 * i };
        });
      },
      { batchSize: 4, flushMs: 20 },
    );
    await until(async () => {
      const s = await queueStatus(redis.url, name);
      return s.completed + s.failed === jobs.length;
    });
    await worker.close();
    // Batches never mix settings, and hold at most 4 jobs.
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(4);
      expect(new Set(batch.map((i) => (i >= 10 ? 'other' : 'default'))).size).toBe(1);
    }
    expect(tries.get(3)).toBe(1); // permanent: no retry
    expect(tries.get(4)).toBe(2); // retried once, then done
    const outcomes = await finishedJobs(redis.url, name);
    expect(outcomes.map((o) => o.data.index)).toEqual(jobs.map((j) => j.index));
    expect(outcomes[3]).toMatchObject({ state: 'failed', error: 'not an image', code: 'DECODE', attempts: 1 });
    expect(outcomes[5]).toMatchObject({ state: 'completed', result: { doubled: 10 } });
    const status = await queueStatus(redis.url, name);
    expect(status).toMatchObject({ waiting: 0, active: 0, completed: 11, failed: 1 });
    expect(status.imagesPerSecond).toBeCloseTo(11 / 60, 5);
  }, 60_000);

  it('refuses a URL that is not redis://, and a Redis that is not there ends in an error, not a hang', async () => {
    await expect(queueStatus('http://127.0.0.1:1', queueName())).rejects.toThrow(/not a Redis URL/);
    const stopped = await startRedis();
    await stopped.stop();
    await expect(queueStatus(stopped.url, queueName())).rejects.toThrow(/Cannot reach Redis at redis:\/\/127\.0\.0\.1:\d+\/?: connect ECONNREFUSED/);
  }, 60_000);
});
