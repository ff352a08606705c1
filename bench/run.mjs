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
import { explainPrediction, formatHeatmap, imgToArray, loadImg, loadModel, setBackend } from 'gradcam';

const image = new URL('../examples/images/chelsea.png', import.meta.url);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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

const rows = [];
for (const backend of ['tensorflow', 'wasm', 'cpu']) {
  try {
    await setBackend(backend);
  } catch (error) {
    console.error(`skipping ${backend}: ${error.message.split('. ')[0]}`);
    continue;
  }
  const runs = backend === 'cpu' ? 3 : 10;
  const t0 = performance.now();
  const model = await loadModel('nsfw_mobilenet_v2');
  const load = performance.now() - t0;
  const img = await loadImg(image.pathname, { targetSize: [224, 224] });
  const doc = tf.tidy(() => model.preprocessInput(tf.expandDims(imgToArray(img), 0)));
  const predict = await time(runs, async () => {
    const y = model.model.predict(doc);
    await y.data();
    y.dispose();
  });
  const explain = await time(runs, () => explainPrediction(model, doc));
  const explain5 = await time(runs, () => explainPrediction(model, doc, { targets: { top: 5 } }));
  doc.dispose();
  rows.push({
    backend,
    runs,
    loadMs: load,
    predictMs: predict,
    explainMs: explain,
    explain5Ms: explain5,
    explainOverPredict: explain / predict,
    fiveOverOne: explain5 / explain,
  });
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
  formatting,
  reference: pillow && { pillow: pillow.pillow, matplotlib: pillow.matplotlib },
};
await writeFile(new URL('./results.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
const f = (x) => x.toFixed(1);
console.log(`\nnsfw_mobilenet_v2, chelsea.png 224², Grad-CAM at the default layer (out_relu); medians; ${machine}\n`);
console.log('| backend | runs | load ms | predict ms | explain ms | explain/predict | 5 targets ms | 5 targets / 1 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.backend} | ${r.runs} | ${f(r.loadMs)} | ${f(r.predictMs)} | ${f(r.explainMs)} | ${r.explainOverPredict.toFixed(2)} | ${f(r.explain5Ms)} | ${r.fiveOverOne.toFixed(2)} |`,
  );
}
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
