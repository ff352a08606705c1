// pnpm bench [--reference]: speed of gradcam on every backend available here, with the ratios
// the issue targets measured in the same run. Writes bench/results.json and prints markdown
// tables (see bench/README.md for what each one means):
//   - load time of each bundled model;
//   - predict vs Grad-CAM explain (default layer out_relu and inner layer block_2_expand; one
//     image, and explainBatch of 8), explain/predict ratios; 5 targets vs 1 (cpu, wasm, tensorflow
//     in Node; webgl in Debian's Chromium, SwiftShader);
//   - formatAsImage at 224² and 3000×2000, next to Pillow doing ELI5's same work;
//   - the CLI explaining 50 images end to end (images/s, the child's peak RSS);
//   - this process' peak RSS after each backend (VmHWM on Linux, see bench/rss-probe.mjs).
// --reference also runs tools/bench-reference/reference.py (TensorFlow/Keras GradientTape on the
// same MobileNetV2 weights, eager and tf.function, and Pillow) and prints ours/TF and ours/Pillow.
// Python: $GRADCAM_PYTHON, else .venv-tools/bin/python (tools/setup-venv.sh), else /tmp/venv/bin/python.
// $GRADCAM_BENCH_BACKENDS (e.g. "tensorflow,wasm") limits the backends, webgl included.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as weights from '@gradcam/weights-nsfw-mobilenet-v2';
import * as tf from '@tensorflow/tfjs-core';
import '@gradcam/backend-node';
import { BUNDLED_MODEL_IDS, explainBatch, explainPrediction, formatHeatmap, imgToArray, loadImg, loadModel, setBackend } from 'gradcam';
import { folderRows, rssScaling } from './folder.mjs';
import { interleaved, median, medianOf, predictVersusExplain } from './measure.mjs';
import { peakRssKb } from './rss-probe.mjs';

const args = process.argv.slice(2);
const REFERENCE = args.includes('--reference');
if (args.some((a) => a !== '--reference')) {
  console.error(`usage: pnpm bench [--reference]   (unknown: ${args.filter((a) => a !== '--reference').join(' ')})`);
  process.exit(2);
}
const benchStart = performance.now();
const root = fileURLToPath(new URL('..', import.meta.url));
const SAMPLE_FILES = ['chelsea.png', 'coffee.png', 'astronaut.png', 'rocket.jpg'];
const IMAGES = SAMPLE_FILES.map((f) => join(root, 'examples/images', f));
const LAYERS = ['out_relu', 'block_2_expand'];
const BATCHES = [1, 8];
const RUNS = 10; // medians of at least 10 runs after a warm-up, everywhere the issue asks for medians
/**
 * The (layer, batch) cases: both layers at batch 1 and 8 on every backend. The pure-JavaScript
 * cpu backend takes 7–20 s per batch-8 predict or explain, so its batch-8 cases use
 * CPU_BATCH8_RUNS runs, to keep the whole bench under 10 minutes on a 2-core machine.
 */
const CPU_BATCH8_RUNS = 3;
const CASES = LAYERS.flatMap((layer) => BATCHES.map((batch) => [layer, batch]));
const wanted = process.env.GRADCAM_BENCH_BACKENDS?.split(',').map((b) => b.trim());
const include = (backend) => !wanted || wanted.includes(backend);
const peakRssMb = () => peakRssKb() / 1024;
/** One progress line on stderr (the tables go to stdout). */
const progress = (what) => console.error(`bench: ${what} (${((performance.now() - benchStart) / 1000).toFixed(0)} s)`);

/** Batch 1 is the first sample image; batch 8 the four samples twice. */
async function docsFor(model) {
  const images = await Promise.all(IMAGES.map((path) => loadImg(path, { targetSize: [224, 224] })));
  return tf.tidy(() => {
    const all = tf.stack([...images, ...images].map((img) => imgToArray(img)));
    const eight = model.preprocessInput(all);
    return { 1: tf.slice(eight, 0, 1), 8: eight };
  });
}

/** First load of each bundled model on this backend, then the median of 3 reloads. */
async function loadRows(backend) {
  const rows = [];
  for (const id of BUNDLED_MODEL_IDS) {
    const t0 = performance.now();
    const first = await loadModel(id);
    const firstMs = performance.now() - t0;
    first.model.dispose();
    const samples = [];
    for (let i = 0; i < 3; i++) {
      const t1 = performance.now();
      const again = await loadModel(id);
      samples.push(performance.now() - t1);
      again.model.dispose();
    }
    rows.push({ backend, model: id, firstMs, reloadMs: median(samples) });
  }
  return rows;
}

const loads = [];
const rows = [];
const targetRows = [];
const rss = [];
const available = [];
for (const backend of ['tensorflow', 'wasm', 'cpu'].filter(include)) {
  try {
    await setBackend(backend);
  } catch (error) {
    console.error(`skipping ${backend}: ${error.message.split('. ')[0]}`);
    continue;
  }
  available.push(backend);
  progress(backend);
  const started = performance.now();
  loads.push(...(await loadRows(backend)));
  const model = await loadModel('nsfw_mobilenet_v2');
  const docs = await docsFor(model);
  rows.push(
    ...(await predictVersusExplain({
      backend,
      cases: CASES,
      runs: (batch) => (backend === 'cpu' && batch === 8 ? CPU_BATCH8_RUNS : RUNS),
      predict: async (batch) => {
        const y = model.model.predict(docs[batch]);
        await y.data();
        y.dispose();
      },
      explain: (layer, batch) => (batch === 1 ? explainPrediction(model, docs[1], { layer }) : explainBatch(model, docs[batch], { layer })),
    })),
  );
  const five = await interleaved(
    RUNS,
    () => explainPrediction(model, docs[1]),
    () => explainPrediction(model, docs[1], { targets: { top: 5 } }),
  );
  targetRows.push({ backend, oneTargetMs: five.aMs, fiveTargetsMs: five.bMs, fiveOverOne: five.ratio });
  tf.dispose([docs[1], docs[8]]);
  model.model.dispose();
  rss.push({ after: backend, peakRssMb: peakRssMb(), seconds: (performance.now() - started) / 1000 });
}
if (include('webgl')) {
  progress('webgl');
  try {
    rows.push(...(await webglRows()));
  } catch (error) {
    console.error(`webgl failed, not reported: ${error.message.split('\n')[0]}`);
  }
}

/**
 * The same measurement on webgl, in Debian's Chromium (SwiftShader: a CPU-emulated GPU, so the
 * absolute times say little; the ratio is the point). Skipped with a notice when there is no
 * Chromium.
 */
async function webglRows() {
  let testing;
  try {
    testing = await import('@gradcam/backend-webgl/testing');
    testing.findChromium();
  } catch (error) {
    console.error(`skipping webgl: ${error.message.split('. ')[0]}`);
    return [];
  }
  const images = Object.fromEntries(IMAGES.map((path) => [`/${path.split('/').pop()}`, path]));
  // esbuild keeps the weights package's `new URL('./model.json', import.meta.url)`: the page
  // (/page.js) fetches the default model's files from the root.
  const modelFiles = Object.fromEntries([weights.modelJson, ...weights.weightFiles].map((f) => [`/${f.path}`, fileURLToPath(f.url)]));
  const assets = { ...images, ...modelFiles };
  const server = await testing.serveBundledPage(fileURLToPath(new URL('./webgl-page.mjs', import.meta.url)), assets);
  const browser = await testing.launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => 'gradcamBench' in globalThis, undefined, { timeout: 60_000 });
    return await page.evaluate(([images, cases, runs]) => globalThis.gradcamBench(images, cases, runs), [Object.keys(images), CASES, RUNS]);
  } finally {
    await browser.close();
    await server.close();
  }
}

// formatAsImage: the inputs tools/bench/pillow_format.py builds too.
const SIZES = ['224x224', '3000x2000'];
function formatInputs(size) {
  const [width, height] = size.split('x').map(Number);
  const heatmap = { width: 7, height: 7, data: Float32Array.from({ length: 49 }, (_, k) => (k % 10) / 9) };
  const data = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set([x % 256, y % 256, (x + y) % 256, 255], (y * width + x) * 4);
  }
  return { heatmap, image: { width, height, data } };
}
const formatting = [];
progress('formatAsImage');
for (const size of SIZES) {
  const { heatmap, image } = formatInputs(size);
  formatting.push({ size, oursMs: await medianOf(size === '224x224' ? 30 : RUNS, () => formatHeatmap(heatmap, image)) });
}

/**
 * `gradcam explain` on 50 images (the samples copied round-robin), once per backend, end to
 * end: process start, model load, decode, explain, overlay PNGs written. The child's peak RSS
 * comes from bench/rss-probe.mjs, preloaded with --import.
 */
async function cliRows(backends) {
  const dir = await mkdtemp(join(os.tmpdir(), 'gradcam-bench-cli-'));
  const inputs = join(dir, 'in');
  await (await import('node:fs/promises')).mkdir(inputs);
  await Promise.all(
    Array.from({ length: 50 }, (_, i) => {
      const file = SAMPLE_FILES[i % SAMPLE_FILES.length];
      return copyFile(join(root, 'examples/images', file), join(inputs, `${String(i).padStart(2, '0')}-${file}`));
    }),
  );
  const bin = join(root, 'packages/cli/dist/bin.js');
  const probe = fileURLToPath(new URL('./rss-probe.mjs', import.meta.url));
  const out = [];
  try {
    for (const backend of backends) {
      progress(`CLI on 50 images, ${backend}`);
      const rssFile = join(dir, `${backend}.rss`);
      const t0 = performance.now();
      const code = await new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', probe, bin, 'explain', inputs, '--out', join(dir, backend), '--backend', backend], {
          env: { ...process.env, GRADCAM_BENCH_RSS_FILE: rssFile, TF_CPP_MIN_LOG_LEVEL: '2' },
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        child.on('error', reject);
        child.on('close', resolve);
      });
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) {
        console.error(`CLI on ${backend} exited with ${code}; not reported.`);
        continue;
      }
      const peak = Number(await readFile(rssFile, 'utf8')) / 1024;
      out.push({ backend, images: 50, seconds, imagesPerSecond: 50 / seconds, peakRssMb: peak });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
const cli = await cliRows(['tensorflow', 'wasm'].filter((b) => available.includes(b)));

// Python: Pillow alone (always, when found), or the whole TensorFlow + Pillow reference (--reference).
const python = [process.env.GRADCAM_PYTHON, join(root, '.venv-tools/bin/python'), '/tmp/venv/bin/python'].find((p) => p && existsSync(p));
let pillow;
let reference;
if (!python) {
  console.error('No Python found (set GRADCAM_PYTHON or run tools/setup-venv.sh): no Pillow or TensorFlow ratios.');
} else if (REFERENCE) {
  progress('TensorFlow and Pillow reference');
  try {
    // Same kernels on both sides: the child inherits TF_ENABLE_ONEDNN_OPTS, which
    // @gradcam/backend-node sets to 0 (unless given) before tfjs-node loads; the reference script
    // defaults it to 0 as well.
    const env = process.env;
    const text = execFileSync(python, [join(root, 'tools/bench-reference/reference.py'), '--runs', String(RUNS), '--layers', ...LAYERS, '--sizes', ...SIZES], {
      encoding: 'utf8',
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    reference = JSON.parse(text);
    pillow = reference.formatting;
  } catch (error) {
    console.error(`TensorFlow reference failed: ${error.message.split('\n')[0]}`);
  }
} else {
  try {
    pillow = JSON.parse(execFileSync(python, [join(root, 'tools/bench/pillow_format.py'), ...SIZES], { encoding: 'utf8' }));
  } catch (error) {
    console.error(`Pillow reference failed: ${error.message.split('\n')[0]}`);
  }
}
// The folder: gradcam explain (pipelined) vs the Python reference, and peak RSS 50 vs 2,000 images.
const folderBackends = ['tensorflow', 'wasm'].filter((b) => available.includes(b));
const folder = folderBackends.length > 0 ? await folderRows({ root, python, backends: folderBackends, progress }) : undefined;
const rssScale = folderBackends.length > 0 ? await rssScaling({ root, backend: folderBackends[0], progress }) : undefined;

for (const row of formatting) {
  row.pillowMs = pillow?.[row.size];
  row.oursOverPillow = row.pillowMs ? row.oursMs / row.pillowMs : undefined;
}

// tfjs-node vs TensorFlow on the same weights: batch 1, one target, at each layer.
const versusTf = [];
if (reference) {
  const ours = (layer) => rows.find((r) => r.backend === 'tensorflow' && r.layer === layer && r.batch === 1);
  const predict = ours(LAYERS[0])?.predictMs;
  if (predict !== undefined) {
    versusTf.push({ what: 'predict', oursMs: predict, tfEagerMs: reference.predict.eagerMs, tfFunctionMs: reference.predict.functionMs });
  }
  for (const layer of LAYERS) {
    const row = ours(layer);
    const tfRow = reference.gradcam[layer];
    if (row && tfRow) versusTf.push({ what: `explain ${layer}`, oursMs: row.explainMs, tfEagerMs: tfRow.eagerMs, tfFunctionMs: tfRow.functionMs });
  }
  for (const r of versusTf) {
    r.oursOverTfFunction = r.oursMs / r.tfFunctionMs;
    r.oursOverTfEager = r.oursMs / r.tfEagerMs;
  }
}

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Linux ${os.release()}, Node ${process.version}`;
const results = {
  date: new Date().toISOString(),
  machine,
  model: 'nsfw_mobilenet_v2',
  runs: RUNS,
  totalSeconds: (performance.now() - benchStart) / 1000,
  loads,
  rows,
  targets: targetRows,
  formatting,
  cli,
  folder,
  rssScaling: rssScale,
  peakRss: [...rss, { after: 'all', peakRssMb: peakRssMb() }],
  reference: reference ?? (pillow && { formatting: pillow }),
  versusTensorflow: versusTf,
};
await writeFile(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);

const f = (x) => (x === undefined ? '—' : x.toFixed(1));
const r2 = (x) => (x === undefined ? '—' : x.toFixed(2));
console.log(`\n${results.date}; ${machine}; bench took ${f(results.totalSeconds)} s\n`);
console.log('Load time of each bundled model: first load on the backend, then the median of 3 reloads\n');
console.log('| backend | model | first load ms | reload ms |');
console.log('|---|---|---|---|');
for (const r of loads) console.log(`| ${r.backend} | ${r.model} | ${f(r.firstMs)} | ${f(r.reloadMs)} |`);
console.log(`\nnsfw_mobilenet_v2 224², predict vs Grad-CAM explain (one target per image; batch 8 = explainBatch), medians of ${RUNS} interleaved runs\n`);
console.log('| backend | layer | batch | runs | predict ms | explain ms | explain/predict |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.backend} | ${r.layer} | ${r.batch} | ${r.runs} | ${f(r.predictMs)} | ${f(r.explainMs)} | ${r2(r.explainOverPredict)} |`);
}
console.log(`\n5 targets vs 1 target at the default layer (one explainPrediction call, batch 1), medians of ${RUNS} interleaved runs\n`);
console.log('| backend | 1 target ms | 5 targets ms | 5 targets / 1 |');
console.log('|---|---|---|---|');
for (const r of targetRows) console.log(`| ${r.backend} | ${f(r.oneTargetMs)} | ${f(r.fiveTargetsMs)} | ${r2(r.fiveOverOne)} |`);
console.log(
  `\nformatAsImage (7×7 heatmap → image size, viridis, alpha 0.65, lanczos, composite); medians${pillow ? `; Pillow ${pillow.pillow}, matplotlib ${pillow.matplotlib}` : ''}\n`,
);
console.log('| size | ours ms | Pillow ms | ours / Pillow |');
console.log('|---|---|---|---|');
for (const r of formatting) console.log(`| ${r.size} | ${f(r.oursMs)} | ${f(r.pillowMs)} | ${r2(r.oursOverPillow)} |`);
if (reference) {
  console.log(
    `\ntfjs-node vs TensorFlow ${reference.tensorflow} (Keras ${reference.keras}) GradientTape on the same weights, batch 1, medians of ${reference.runs}; oneDNN ${reference.onednn}\n`,
  );
  console.log('| work | ours (tensorflow backend) ms | TF eager ms | TF tf.function ms | ours / TF tf.function | ours / TF eager |');
  console.log('|---|---|---|---|---|---|');
  for (const r of versusTf) {
    console.log(`| ${r.what} | ${f(r.oursMs)} | ${f(r.tfEagerMs)} | ${f(r.tfFunctionMs)} | ${r2(r.oursOverTfFunction)} | ${r2(r.oursOverTfEager)} |`);
  }
}
console.log('\nThe CLI on 50 images end to end (`gradcam explain DIR`: start, model load, decode, explain, write overlays)\n');
console.log('| backend | images | seconds | images/s | peak RSS MB |');
console.log('|---|---|---|---|---|');
for (const r of cli) console.log(`| ${r.backend} | ${r.images} | ${f(r.seconds)} | ${r2(r.imagesPerSecond)} | ${f(r.peakRssMb)} |`);
if (folder) {
  const ref = folder.reference;
  console.log(
    `\nA folder of ${folder.images} mixed photos (${folder.source}): \`gradcam explain DIR --quiet\` end to end vs the Python reference's loop (Keras load_img, tf.function Grad-CAM, Pillow, one PNG per image; start-up not counted)${ref ? `; TensorFlow ${ref.tensorflow}, Pillow ${ref.pillow}` : ''}\n`,
  );
  console.log('| run | seconds | images/s | peak RSS MB | / Python |');
  console.log('|---|---|---|---|---|');
  for (const r of folder.rows) console.log(`| ${r.what} | ${f(r.seconds)} | ${r2(r.imagesPerSecond)} | ${f(r.peakRssMb)} | ${r2(r.overPython)} |`);
  if (ref) console.log(`| Python reference (loop only) | ${f(ref.seconds)} | ${r2(ref.imagesPerSecond)} | — | 1.00 |`);
}
if (rssScale) {
  console.log(`\nPeak RSS of \`gradcam explain\` on 50 vs 2,000 images (224×224 PNGs, ${rssScale.backend})\n`);
  console.log('| images | seconds | images/s | peak RSS MB |');
  console.log('|---|---|---|---|');
  for (const [n, r] of [
    [50, rssScale.small],
    [2000, rssScale.large],
  ]) {
    console.log(`| ${n} | ${f(r.seconds)} | ${r2(r.imagesPerSecond)} | ${f(r.peakRssMb)} |`);
  }
  console.log(`\n2,000 / 50 images: ${r2(rssScale.ratio)} × the peak RSS`);
}
console.log('\nPeak RSS of the bench process (cumulative: after each backend, then at the end)\n');
console.log('| after | peak RSS MB | section s |');
console.log('|---|---|---|');
for (const r of results.peakRss) console.log(`| ${r.after} | ${f(r.peakRssMb)} | ${f(r.seconds)} |`);
