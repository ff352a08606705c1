// `gradcam queue` and `gradcam worker` on a real Redis (Debian's redis-server, started here on a
// free port): 200 images and 5 bad files, three worker processes, one SIGKILLed mid-run. Every
// image ends with its overlay and exactly one report entry; the failures are exactly the bad files.
// And a worker stopped by SIGTERM finishes what it holds and leaves the rest waiting.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRedis, type TestRedis } from '@gradcam/queue/testing';
import { encodePng, loadImg } from 'gradcam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BinResult, runBin, SAMPLES_DIR, startBin } from './test-support.js';

const SAMPLES = ['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg'];

// GRADCAM_SKIP_REDIS=1 leaves these out where there is no redis-server (CI never sets it).
describe.skipIf(process.env.GRADCAM_SKIP_REDIS === '1')('gradcam queue + gradcam worker on a real Redis (built binary, wasm)', () => {
  let redis: TestRedis;
  let dir: string;
  beforeAll(async () => {
    redis = await startRedis();
    dir = await mkdtemp(join(tmpdir(), 'gradcam-queue-'));
  });
  afterAll(async () => {
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('200 images, 3 workers, one killed mid-run: every image done exactly once, failures exactly the bad files', async () => {
    const photos = join(dir, 'photos');
    await mkdir(join(photos, 'more'), { recursive: true });
    // Small PNGs (96×96, made from the samples): the model's work, not drawing, sets the pace.
    const pngs = await Promise.all(SAMPLES.map(async (name) => encodePng(await loadImg(join(SAMPLES_DIR, name), { targetSize: [96, 96] }))));
    const good: string[] = [];
    for (let i = 0; i < 200; i++) {
      const path = join(photos, i % 2 ? 'more' : '', `${String(i).padStart(3, '0')}.png`);
      await writeFile(path, pngs[i % pngs.length]);
      good.push(path);
    }
    const bad = ['bad-0.png', 'bad-1.jpg', 'bad-2.png', 'bad-3.jpeg', 'bad-4.png'].map((name) => join(photos, name));
    for (const [i, path] of bad.entries()) await writeFile(path, i % 2 ? new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16]) : `not an image ${i}`);
    const out = join(dir, 'out');
    const queue = ['--redis', redis.url, '--queue', 'q200'];

    const added = await runBin(['queue', 'add', photos, '-r', '--out', out, ...queue, '--backend', 'wasm']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/added 205 job\(s\) to 'q200'/);
    const again = await runBin(['queue', 'add', photos, '-r', '--out', out, ...queue, '--backend', 'wasm']);
    expect(again.stdout).toMatch(/added 0 job\(s\) to 'q200' .*\(205 already there\)/);

    // A short lock, so the killed worker's jobs go back to the queue within seconds.
    const worker = [
      'worker',
      ...queue,
      '--backend',
      'wasm',
      '--workers',
      '0',
      '--batch-size',
      '4',
      '--lock-duration',
      '5000',
      '--stalled-interval',
      '1000',
      '--until-empty',
    ];
    let killedAfter = 0;
    const victim = startBin(worker, {
      onStdout: (soFar, child) => {
        killedAfter = (soFar.match(/: done$/gm) ?? []).length;
        if (killedAfter >= 6 && child.exitCode === null && !child.killed) child.kill('SIGKILL');
      },
    });
    const others = [startBin(worker), startBin(worker)];
    const ended: BinResult[] = await Promise.all([victim, ...others]);
    expect(ended[0].signal).toBe('SIGKILL');
    for (const other of ended.slice(1)) expect(other.code, other.stderr).toBe(0);

    const status = await runBin(['queue', 'status', ...queue, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ waiting: 0, active: 0, delayed: 0, completed: 200, failed: 5 });

    const report = join(dir, 'report.jsonl');
    expect((await runBin(['queue', 'report', ...queue, '--jsonl', report])).code).toBe(0);
    const lines = (await readFile(report, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const images = lines.filter((l) => l.type === 'image').map((l) => l.image);
    expect([...images].sort()).toEqual([...good].sort()); // each image exactly once
    expect(
      lines
        .filter((l) => l.type === 'failure')
        .map((l) => l.input)
        .sort(),
    ).toEqual([...bad].sort());
    for (const failure of lines.filter((l) => l.type === 'failure')) expect(failure.code).toBe('DECODE');
    expect(lines.at(-1)).toMatchObject({ type: 'end', images: 200, failures: 5 });
    // The overlays mirror the folders, one per image.
    const written = [...(await readdir(out)).filter((f) => f.endsWith('.png')), ...(await readdir(join(out, 'more'))).map((f) => `more/${f}`)];
    expect(written).toHaveLength(200);
    expect(lines.filter((l) => l.type === 'image').every((l) => l.targets[0].output.startsWith(out))).toBe(true);
    expect(killedAfter).toBeGreaterThanOrEqual(6);
  }, 240_000);

  it('SIGTERM: the worker finishes the jobs in hand and exits 0; nothing is left active or half-written; another worker does the rest', async () => {
    const photos = join(dir, 'graceful');
    await mkdir(photos, { recursive: true });
    const png = encodePng(await loadImg(join(SAMPLES_DIR, 'chelsea.png'), { targetSize: [96, 96] }));
    const inputs: string[] = [];
    for (let i = 0; i < 40; i++) {
      const path = join(photos, `${String(i).padStart(2, '0')}.png`);
      await writeFile(path, png);
      inputs.push(path);
    }
    const out = join(dir, 'graceful-out');
    const queue = ['--redis', redis.url, '--queue', 'graceful'];
    expect((await runBin(['queue', 'add', photos, '--out', out, ...queue, '--backend', 'wasm'])).code).toBe(0);
    const worker = ['worker', ...queue, '--backend', 'wasm', '--workers', '0', '--batch-size', '2', '--concurrency', '2'];
    let signalled = false;
    // --until-empty too: the stopped worker must not keep polling a queue that still has work.
    const first = await startBin([...worker, '--until-empty'], {
      onStdout: (soFar, child) => {
        if (!signalled && /: done$/m.test(soFar)) {
          signalled = true;
          child.kill('SIGTERM');
        }
      },
    });
    expect(first.code, first.stderr).toBe(0);
    expect(first.signal).toBeNull();
    expect(first.stderr).toMatch(/finishing the jobs in hand/);
    const doneByFirst = (first.stdout.match(/: done$/gm) ?? []).length;
    const status = JSON.parse((await runBin(['queue', 'status', ...queue, '--json'])).stdout);
    // Stopped early (the rest waits), with no job left active or stalled, and every finished job's overlay complete.
    expect(status).toMatchObject({ active: 0, failed: 0, completed: doneByFirst });
    expect(status.waiting).toBe(40 - doneByFirst);
    expect(status.waiting).toBeGreaterThan(0);
    const written = await readdir(out);
    expect(written.filter((f) => f.endsWith('.png'))).toHaveLength(doneByFirst);
    expect(written.filter((f) => !f.endsWith('.png'))).toEqual([]); // no temporary file left behind

    const second = await runBin([...worker, '--until-empty']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse((await runBin(['queue', 'status', ...queue, '--json'])).stdout)).toMatchObject({ waiting: 0, active: 0, completed: 40 });
    expect((await readdir(out)).filter((f) => f.endsWith('.png'))).toHaveLength(40);
  }, 180_000);

  it('usage errors come before anything is added: no --redis, a URL that is not Redis, a target outside the classes, --top with --target', async () => {
    expect((await runBin(['queue', 'status'])).stderr).toMatch(/required option '--redis <url>'/);
    const notRedis = await runBin(['queue', 'status', '--redis', 'http://127.0.0.1:1']);
    expect(notRedis.code).toBe(2);
    expect(notRedis.stderr).toMatch(/is not a Redis URL/);
    const target = await runBin(['queue', 'add', SAMPLES_DIR, '--redis', redis.url, '--queue', 'bad-target', '--target', '9', '--backend', 'wasm']);
    expect(target.code).toBe(2);
    expect(target.stderr).toMatch(/--target 9 is not a class/);
    const both = await runBin(['queue', 'add', SAMPLES_DIR, '--redis', redis.url, '--queue', 'bad-target', '--top', '2', '--target', '1', '--backend', 'wasm']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--top and --target cannot be combined/);
    const status = await runBin(['queue', 'status', '--redis', redis.url, '--queue', 'bad-target', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ waiting: 0, completed: 0 });
  }, 60_000);
});
