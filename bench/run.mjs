// pnpm bench: load / predict / explain timings of the bundled default model on every backend
// available here, with explain/predict ratios measured in the same run. Writes
// bench/results.json and prints a markdown table. (Issue 9 extends it.)
import { writeFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs-core';
import { explainPrediction, imgToArray, loadImg, loadModel, setBackend } from 'gradcam';

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

const machine = `${(await import('node:os')).cpus().length} cores, Node ${process.version}`;
await writeFile(
  new URL('./results.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), machine, model: 'nsfw_mobilenet_v2', rows }, null, 2)}\n`,
);
const f = (x) => x.toFixed(1);
console.log(`\nnsfw_mobilenet_v2, chelsea.png 224², Grad-CAM at the default layer (out_relu); medians; ${machine}\n`);
console.log('| backend | runs | load ms | predict ms | explain ms | explain/predict | 5 targets ms | 5 targets / 1 |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.backend} | ${r.runs} | ${f(r.loadMs)} | ${f(r.predictMs)} | ${f(r.explainMs)} | ${r.explainOverPredict.toFixed(2)} | ${f(r.explain5Ms)} | ${r.fiveOverOne.toFixed(2)} |`,
  );
}
