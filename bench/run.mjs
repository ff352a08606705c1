// pnpm bench: load / predict / explain timings of the bundled default model on every backend
// available here, with explain/predict ratios measured in the same run, and formatAsImage next
// to Pillow doing ELI5's same work (tools/bench/pillow_format.py, when a Python with Pillow and
// matplotlib is found: $GRADCAM_PYTHON, .venv-tools/bin/python — see tools/setup-venv.sh).
// Writes bench/results.json and prints markdown tables. (Issue 9 extends it.)
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { explainBatch, explainPrediction, formatHeatmap, imgToArray, loadImg, loadModel, setBackend } from 'gradcam';
import { interleaved, median, predictVersusExplain } from './measure.mjs';

const IMAGES = ['chelsea.png', 'coffee.png', 'astronaut.png', 'rocket.jpg'].map((f) => fileURLToPath(new URL(`../examples/images/${f}`, import.meta.url)));
const LAYERS = ['out_relu', 'block_2_expand'];
const BATCHES = [1, 8];

async function time(runs, fn) {
  await fn(); // warm-up: kernels compiled, weights uploaded
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

/** Batch 1 is the first sample image; batch 8 the four samples twice. */
async function docsFor(model) {
  const images = await Promise.all(IMAGES.map((path) => loadImg(path, { targetSize: [224, 224] })));
  return tf.tidy(() => {
    const all = tf.stack([...images, ...images].map((img) => imgToArray(img)));
    const eight = model.preprocessInput(all);
    return { 1: tf.slice(eight, 0, 1), 8: eight };
  });
}

const rows = [];
const targetRows = [];
for (const backend of ['tensorflow', 'wasm', 'cpu']) {
  try {
    await setBackend(backend);
  } catch (error) {
    console.error(`skipping ${backend}: ${error.message.split('. ')[0]}`);
    continue;
  }
  const t0 = performance.now();
  const model = await loadModel('nsfw_mobilenet_v2');
  const loadMs = performance.now() - t0;
  const docs = await docsFor(model);
  const cpu = backend === 'cpu';
  rows.push(
    ...(await predictVersusExplain({
      backend,
      layers: LAYERS,
      batches: BATCHES,
      // The cpu backend takes seconds per call and compiles nothing: fewer runs, no warm-up.
      runs: (batch) => (cpu ? (batch === 1 ? 3 : 1) : batch === 1 ? 15 : 5),
      warmUp: !cpu,
      predict: async (batch) => {
        const y = model.model.predict(docs[batch]);
        await y.data();
        y.dispose();
      },
      explain: (layer, batch) => (batch === 1 ? explainPrediction(model, docs[1], { layer }) : explainBatch(model, docs[batch], { layer })),
    })),
  );
  const five = await interleaved(
    cpu ? 3 : 15,
    () => explainPrediction(model, docs[1]),
    () => explainPrediction(model, docs[1], { targets: { top: 5 } }),
    !cpu,
  );
  targetRows.push({ backend, loadMs, oneTargetMs: five.aMs, fiveTargetsMs: five.bMs, fiveOverOne: five.ratio });
  tf.dispose([docs[1], docs[8]]);
}
rows.push(...(await webglRows()));

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
  const assets = Object.fromEntries(IMAGES.map((path) => [`/${path.split('/').pop()}`, path]));
  const server = await testing.serveBundledPage(fileURLToPath(new URL('./webgl-page.mjs', import.meta.url)), assets);
  const browser = await testing.launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => 'gradcamBench' in globalThis, undefined, { timeout: 60_000 });
    return await page.evaluate(([images, layers, batches]) => globalThis.gradcamBench(images, layers, batches), [Object.keys(assets), LAYERS, BATCHES]);
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
for (const size of SIZES) {
  const { heatmap, image } = formatInputs(size);
  formatting.push({ size, oursMs: await time(size === '224x224' ? 30 : 10, () => formatHeatmap(heatmap, image)) });
}
const root = fileURLToPath(new URL('..', import.meta.url));
const python = process.env.GRADCAM_PYTHON ?? [`${root}.venv-tools/bin/python`].find((p) => existsSync(p));
let pillow;
if (python) {
  try {
    pillow = JSON.parse(execFileSync(python, [`${root}tools/bench/pillow_format.py`, ...SIZES], { encoding: 'utf8' }));
  } catch (error) {
    console.error(`Pillow reference failed: ${error.message.split('\n')[0]}`);
  }
} else {
  console.error('No Python with Pillow found (set GRADCAM_PYTHON or run tools/setup-venv.sh): formatAsImage is reported without the Pillow ratio.');
}
for (const row of formatting) {
  row.pillowMs = pillow?.[row.size];
  row.oursOverPillow = row.pillowMs ? row.oursMs / row.pillowMs : undefined;
}

const machine = `${(await import('node:os')).cpus().length} cores, Node ${process.version}`;
const results = {
  date: new Date().toISOString(),
  machine,
  model: 'nsfw_mobilenet_v2',
  rows,
  targets: targetRows,
  formatting,
  reference: pillow && { pillow: pillow.pillow, matplotlib: pillow.matplotlib },
};
await writeFile(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
const f = (x) => x.toFixed(1);
console.log(`\nnsfw_mobilenet_v2 224², predict vs Grad-CAM explain (one target per image), medians of interleaved runs; ${machine}\n`);
console.log('| backend | layer | batch | runs | predict ms | explain ms | explain/predict |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.backend} | ${r.layer} | ${r.batch} | ${r.runs} | ${f(r.predictMs)} | ${f(r.explainMs)} | ${r.explainOverPredict.toFixed(2)} |`);
}
console.log('\nLoad time, and 5 targets vs 1 target at the default layer (one call)\n');
console.log('| backend | load ms | 1 target ms | 5 targets ms | 5 targets / 1 |');
console.log('|---|---|---|---|---|');
for (const r of targetRows) console.log(`| ${r.backend} | ${f(r.loadMs)} | ${f(r.oneTargetMs)} | ${f(r.fiveTargetsMs)} | ${r.fiveOverOne.toFixed(2)} |`);
console.log(
  `\nformatAsImage (7×7 heatmap → image size, viridis, alpha 0.65, lanczos, composite); medians${pillow ? `; Pillow ${pillow.pillow}, matplotlib ${pillow.matplotlib}` : ''}\n`,
);
console.log('| size | ours ms | Pillow ms | ours / Pillow |');
console.log('|---|---|---|---|');
for (const r of formatting) {
  console.log(
    `| ${r.size} | ${f(r.oursMs)} | ${r.pillowMs === undefined ? '—' : f(r.pillowMs)} | ${r.oursOverPillow === undefined ? '—' : r.oursOverPillow.toFixed(2)} |`,
  );
}
