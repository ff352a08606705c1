// The folder benchmarks of `pnpm bench` (issue 17): `gradcam explain FOLDER` on the mixed
// 52-photo folder (scikit-image's sample photos, twice) against the Python reference that does the
// same job one image after another (tools/bench-reference/folder_reference.py), and the CLI's peak
// RSS on 2,000 images against 50. Each CLI figure is one child process, start to exit.
import { execFileSync, spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { encodePng, loadImg } from 'gradcam';

const EXTENSIONS = /\.(png|jpe?g)$/i;

/** Runs the CLI once: seconds start to exit, and the child's peak RSS in MB (bench/rss-probe.mjs). */
async function runCli(root, args) {
  const bin = join(root, 'packages/cli/dist/bin.js');
  const probe = fileURLToPath(new URL('./rss-probe.mjs', import.meta.url));
  const rssFile = join(os.tmpdir(), `gradcam-bench-rss-${process.pid}-${Math.random().toString(16).slice(2)}`);
  const t0 = performance.now();
  const code = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', probe, bin, ...args], {
      env: { ...process.env, GRADCAM_BENCH_RSS_FILE: rssFile, TF_CPP_MIN_LOG_LEVEL: '2' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
  const seconds = (performance.now() - t0) / 1000;
  const peakRssMb = Number(await readFile(rssFile, 'utf8').catch(() => 'NaN')) / 1024;
  await rm(rssFile, { force: true });
  return { code, seconds, peakRssMb };
}

/** scikit-image's sample photos (its data folder), through the Python that has it; undefined without. */
function skimagePhotos(python) {
  if (!python) return undefined;
  try {
    return execFileSync(python, ['-c', 'import os, skimage; print(os.path.join(os.path.dirname(skimage.__file__), "data"))'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}

/**
 * The mixed folder: every .png/.jpg of scikit-image's data folder, twice (a-…, b-…: 52 files of
 * sizes from 102² to 741×500, gray, RGB, RGBA, 16-bit, JPEG); without scikit-image, the repository's
 * four sample images 13 times. Returns the folder and what it holds.
 */
async function mixedFolder(root, python, dir) {
  const source = skimagePhotos(python);
  const folder = join(dir, 'photos');
  await mkdir(folder);
  if (source) {
    const names = (await readdir(source)).filter((n) => EXTENSIONS.test(n)).sort();
    for (const prefix of ['a', 'b']) for (const name of names) await copyFile(join(source, name), join(folder, `${prefix}-${name}`));
    return { folder, count: 2 * names.length, source: `scikit-image's data folder (${names.length} photos) twice` };
  }
  const samples = (await readdir(join(root, 'examples/images'))).filter((n) => EXTENSIONS.test(n)).sort();
  for (let i = 0; i < 52; i++)
    await copyFile(join(root, 'examples/images', samples[i % samples.length]), join(folder, `${String(i).padStart(2, '0')}-${samples[i % samples.length]}`));
  return { folder, count: 52, source: 'examples/images, 13 times (no scikit-image found)' };
}

/**
 * `gradcam queue add` of the folder on a fresh redis-server, then `workers` worker processes with
 * --until-empty: seconds from the workers' start to the last one's exit (the add is not timed), and
 * the largest worker's peak RSS. Undefined (with a notice) without redis-server.
 */
async function queueRun(root, folder, out, workers, backend) {
  let redis;
  try {
    const { startRedis } = await import('@gradcam/queue/testing');
    redis = await startRedis();
  } catch (error) {
    console.error(`skipping the queue rows: ${error.message.split('\n')[0]}`);
    return undefined;
  }
  try {
    const queue = ['--redis', redis.url, '--queue', 'bench'];
    const added = await runCli(root, ['queue', 'add', folder, '--out', out, ...queue, '--backend', backend]);
    if (added.code !== 0) throw new Error(`queue add exited with ${added.code}`);
    const t0 = performance.now();
    const runs = await Promise.all(Array.from({ length: workers }, () => runCli(root, ['worker', ...queue, '--backend', backend, '--until-empty', '--quiet'])));
    const seconds = (performance.now() - t0) / 1000;
    if (runs.some((r) => r.code !== 0)) throw new Error(`a worker exited with ${runs.map((r) => r.code).join(', ')}`);
    return { code: 0, seconds, peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)) };
  } catch (error) {
    console.error(`the queue rows failed: ${error.message.split('\n')[0]}`);
    return undefined;
  } finally {
    await redis.stop();
  }
}

/**
 * images/s of `gradcam explain` on the mixed folder per backend (`--workers 1`, the default on 2
 * cores, `--workers 2`, and one thread: `--workers 0`), and of the Python reference when a Python
 * with TensorFlow is there.
 */
export async function folderRows({ root, python, backends, progress }) {
  const dir = await mkdtemp(join(os.tmpdir(), 'gradcam-bench-folder-'));
  try {
    const { folder, count, source } = await mixedFolder(root, python, dir);
    const rows = [];
    for (const backend of backends) {
      // --workers 1 is the default on a 2-core machine (cores − 1); 0 runs everything on one thread.
      for (const workers of ['1', '2', '0']) {
        progress(`gradcam explain on the ${count}-photo folder, ${backend}, --workers ${workers}`);
        const out = join(dir, `out-${backend}-${workers}`);
        const run = await runCli(root, ['explain', folder, '--out', out, '--backend', backend, '--quiet', '--workers', workers]);
        if (run.code !== 0) {
          console.error(`gradcam explain on ${backend} exited with ${run.code}; not reported.`);
          continue;
        }
        rows.push({
          what: `gradcam, ${backend}, --workers ${workers}${workers === '0' ? ' (one thread)' : ''}`,
          images: count,
          ...run,
          imagesPerSecond: count / run.seconds,
        });
      }
    }
    for (const workers of [1, 2]) {
      progress(`gradcam worker × ${workers} on the ${count}-photo folder (BullMQ on a local redis-server), ${backends[0]}`);
      const run = await queueRun(root, folder, join(dir, `out-queue-${workers}`), workers, backends[0]);
      if (run) rows.push({ what: `gradcam queue, ${backends[0]}, ${workers} worker process(es)`, images: count, ...run, imagesPerSecond: count / run.seconds });
    }
    let reference;
    if (python) {
      progress('the Python reference on the same folder');
      try {
        const t0 = performance.now();
        const text = execFileSync(python, [join(root, 'tools/bench-reference/folder_reference.py'), '--images', folder, '--out', join(dir, 'out-python')], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        // The whole process too, start to exit, as each gradcam row is timed.
        reference = { ...JSON.parse(text), processSeconds: (performance.now() - t0) / 1000 };
      } catch (error) {
        console.error(`the Python folder reference failed: ${error.message.split('\n')[0]}`);
      }
    }
    for (const row of rows) {
      row.overPython = reference ? row.imagesPerSecond / reference.imagesPerSecond : undefined;
      row.overPythonProcess = reference ? row.imagesPerSecond / (count / reference.processSeconds) : undefined;
    }
    return { source, images: count, rows, reference };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Peak RSS of `gradcam explain` on 50 and on 2,000 images (224×224 PNGs made from the samples,
 * each its own file), on `backend`: memory must not grow with the folder.
 */
export async function rssScaling({ root, backend, progress }) {
  const dir = await mkdtemp(join(os.tmpdir(), 'gradcam-bench-rss-'));
  try {
    const samples = (await readdir(join(root, 'examples/images'))).filter((n) => EXTENSIONS.test(n)).sort();
    const pngs = await Promise.all(samples.map(async (name) => encodePng(await loadImg(join(root, 'examples/images', name), { targetSize: [224, 224] }))));
    const result = {};
    for (const count of [50, 2000]) {
      const folder = join(dir, `in-${count}`);
      await mkdir(folder);
      for (let i = 0; i < count; i++) {
        await writeFile(join(folder, `${String(i).padStart(4, '0')}.png`), pngs[i % pngs.length]); // each its own file
      }
      progress(`gradcam explain on ${count} images (peak RSS), ${backend}`);
      const run = await runCli(root, ['explain', folder, '--out', join(dir, `out-${count}`), '--backend', backend, '--quiet']);
      if (run.code !== 0) throw new Error(`gradcam explain on ${count} images exited with ${run.code}`);
      result[count] = { ...run, imagesPerSecond: count / run.seconds };
    }
    return { backend, small: result[50], large: result[2000], ratio: result[2000].peakRssMb / result[50].peakRssMb };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
