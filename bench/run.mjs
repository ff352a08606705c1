// pnpm bench [--reference]: speed of gradcam on every backend available here, with the ratios
// the issues target measured in the same run. Writes bench/results.json and prints markdown
// tables (see bench/README.md for what each one means):
//   - load time of each bundled model;
//   - predict and Grad-CAM explain before and after the inference form (default layer out_relu,
//     inner layers block_9_expand and block_2_expand; one image, and explainBatch of 8), round
//     robin, with the speed-ups and explain/predict (tensorflow, wasm, cpu in Node; webgl in
//     Debian's Chromium, SwiftShader); 5 targets vs 1;
//   - formatAsImage at 224² and 3000×2000, next to Pillow doing ELI5's same work;
//   - the CLI explaining 50 images end to end (images/s, the child's peak RSS);
//   - this process' peak RSS after each backend (VmHWM on Linux, see bench/rss-probe.mjs).
// --reference also starts tools/bench-reference/reference.py --serve (TensorFlow/Keras on the same
// MobileNetV2 weights: predict and Grad-CAM with GradientTape in tf.function, and Pillow) and
// times it run by run, alternating with the tensorflow backend: ours/TF and ours/Pillow.
// Python: $GRADCAM_PYTHON, else .venv-tools/bin/python (tools/setup-venv.sh), else /tmp/venv/bin/python.
// $GRADCAM_BENCH_BACKENDS (e.g. "tensorflow,wasm") limits the backends, webgl included.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import '@gradcam/backend-node';
import { LayersModelAdapter } from '@gradcam/models';
import * as weights from '@gradcam/weights-nsfw-mobilenet-v2';
import * as tf from '@tensorflow/tfjs-core';
import { BUNDLED_MODEL_IDS, explainBatch, explainPrediction, formatHeatmap, imgToArray, loadImg, loadModel, predict, setBackend } from 'gradcam';
import { folderRows, rssScaling } from './folder.mjs';
import { formRows, interleaved, median, medianOf, pairedRatio, timed } from './measure.mjs';
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
const LAYERS = ['out_relu', 'block_9_expand', 'block_2_expand'];
const BATCHES = [1, 8];
const RUNS = 10; // medians of at least 10 runs after a warm-up, everywhere the issue asks for medians
/** The (layer, batch) cases of tensorflow and wasm: every layer at batch 1 and 8. */
const CASES = LAYERS.flatMap((layer) => BATCHES.map((batch) => [layer, batch]));
/**
 * The pure-JavaScript cpu backend takes 1–3 s per batch-1 call (7–20 s at batch 8), so it runs
 * the default and one inner layer at batch 1, CPU_RUNS runs: the whole bench stays under 10
 * minutes on a 2-core machine.
 */
const CPU_CASES = [
  ['out_relu', 1],
  ['block_9_expand', 1],
];
const CPU_RUNS = 5;
/** webgl on SwiftShader: every layer at batch 1; batch 8 (2–6 s per call) at out_relu, WEBGL_BATCH8_RUNS runs. */
const WEBGL_CASES = [...LAYERS.map((layer) => [layer, 1]), ['out_relu', 8]];
const WEBGL_BATCH8_RUNS = 3;
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

/** The Python that runs Pillow and, with --reference, TensorFlow. */
const python = [process.env.GRADCAM_PYTHON, join(root, '.venv-tools/bin/python'), '/tmp/venv/bin/python'].find((p) => p && existsSync(p));

/**
 * tools/bench-reference/reference.py --serve: one JSON request per line, one reply per line. It
 * idles between requests, so its runs alternate with ours instead of overlapping them. Both sides
 * run libtensorflow's kernels with the same TF_ENABLE_ONEDNN_OPTS (@gradcam/backend-node sets 0
 * unless given; the reference defaults to 0 too; the child inherits this process' value).
 */
async function startReference() {
  const child = spawn(python, [join(root, 'tools/bench-reference/reference.py'), '--serve'], { stdio: ['pipe', 'pipe', 'inherit'], env: process.env });
  const lines = createInterface({ input: child.stdout });
  const replies = lines[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await replies.next();
    if (done) throw new Error('the TensorFlow reference exited');
    return JSON.parse(value);
  };
  await next(); // {"ready": true}: the model is built
  const ask = async (request) => {
    child.stdin.write(`${JSON.stringify(request)}\n`);
    const reply = await next();
    if (reply.error) throw new Error(reply.error);
    return reply;
  };
  return { ask, close: () => child.stdin.end() };
}
let reference;
if (REFERENCE && python) {
  progress('starting the TensorFlow reference');
  try {
    reference = await startReference();
  } catch (error) {
    console.error(`TensorFlow reference failed: ${error.message.split('\n')[0]}`);
  }
} else if (REFERENCE) console.error('No Python found (set GRADCAM_PYTHON or run tools/setup-venv.sh): no TensorFlow ratios.');

/**
 * A pause before each timed run of the tfjs-node vs TensorFlow table: both processes run
 * TensorFlow, whose thread pools spin for a while after work; without it one side's spinning
 * threads take the cores from the other's next run (TF eager's 200 ms runs most).
 */
const SETTLE_MS = 50;
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

/** Turns of the tfjs-node vs TensorFlow table: TensorFlow's own batch-8 times vary by up to a fifth from run to run. */
const VERSUS_RUNS = 15;

/** The cases of the tfjs-node vs TensorFlow table: predict and Grad-CAM at each layer, batch 1 and 8. */
const VERSUS_TF = [['predict', null, 1], ['predict', null, 8], ...LAYERS.flatMap((layer) => BATCHES.map((batch) => ['gradcam', layer, batch]))];

/**
 * tfjs-node against TensorFlow on the same weights, turn by turn: ours (the gradcam API on the
 * 'tensorflow' backend) and TensorFlow's tf.function, VERSUS_RUNS turns each after one warm-up each, the
 * side that goes first alternating, each turn after a pause (SETTLE_MS). A turn is two calls in a
 * row, both timed: the first, right after the other process' turn, finds its caches cold; the
 * second is the steady state of calling it again (a folder of images). The ratio the issue's
 * target reads is the second calls' (warm); the first calls' (cold) is reported beside it. TF
 * eager (batch 1) is timed in a loop of its own afterwards: its 200 ms runs, taken in the
 * alternation, would leave one side's next turn colder than the other's.
 */
async function versusTensorflow(model) {
  const out = [];
  for (const [what, layer, batch] of VERSUS_TF) {
    progress(`versus TensorFlow: ${what} ${layer ?? ''} batch ${batch}`);
    const ours = what === 'predict' ? (_layer, b) => predictOf((x) => predict(model, docs[x]))(b) : explainOf(model);
    const theirs = async () => (await reference.ask({ op: 'time', what, layer, batch })).ms;
    const samples = { ours: [], fn: [], oursCold: [], fnCold: [], eager: [] };
    await ours(layer, batch);
    await theirs();
    const turns = [
      async () => {
        samples.oursCold.push(await timed(() => ours(layer, batch)));
        samples.ours.push(await timed(() => ours(layer, batch)));
      },
      async () => {
        samples.fnCold.push(await theirs());
        samples.fn.push(await theirs());
      },
    ];
    for (let i = 0; i < VERSUS_RUNS; i++) {
      for (const turn of i % 2 === 0 ? turns : [...turns].reverse()) {
        await settle();
        await turn();
      }
    }
    const row = {
      what: what === 'predict' ? 'predict' : `explain ${layer}`,
      batch,
      oursMs: median(samples.ours),
      tfFunctionMs: median(samples.fn),
      oursOverTfFunction: pairedRatio(samples.ours, samples.fn),
      coldOursMs: median(samples.oursCold),
      coldTfFunctionMs: median(samples.fnCold),
      coldOursOverTfFunction: pairedRatio(samples.oursCold, samples.fnCold),
    };
    if (batch === 1) {
      await reference.ask({ op: 'time', what: `${what}-eager`, layer, batch });
      for (let i = 0; i < RUNS; i++) {
        await settle();
        samples.eager.push((await reference.ask({ op: 'time', what: `${what}-eager`, layer, batch })).ms);
      }
      row.tfEagerMs = median(samples.eager);
      row.oursOverTfEager = row.oursMs / row.tfEagerMs;
    }
    out.push(row);
  }
  return out;
}
const versusTf = [];

/** A function running one predict of `model` (an adapter or a LoadedModel) on a batch, read back. */
const predictOf = (run) => async (batch) => {
  const y = run(batch);
  await y.data();
  y.dispose();
};
const explainOf = (model) => (layer, batch) => (batch === 1 ? explainPrediction(model, docs[1], { layer }) : explainBatch(model, docs[batch], { layer }));
let docs;

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
  // Before the inference form: the model as tfjs-layers defines it, one node per layer.
  const layersForm = new LayersModelAdapter(model.model, { inferenceForm: false });
  docs = await docsFor(model);
  const cpu = backend === 'cpu';
  // On tensorflow, the inference form also op by op (no TensorFlow session): what the session adds.
  const opByOp = backend === 'tensorflow' ? new LayersModelAdapter(model.model, { graphExecutor: false }) : undefined;
  const measured = await formRows({
    backend,
    cases: cpu ? CPU_CASES : CASES,
    runs: () => (cpu ? CPU_RUNS : RUNS),
    predict: { before: predictOf((b) => model.model.predict(docs[b])), after: predictOf((b) => predict(model, docs[b])) },
    explain: { before: explainOf(layersForm), after: explainOf(model) },
    // Warm turns where calls are short (the cpu backend's take seconds, and caches matter little there).
    warm: !cpu,
    overhead: (layer) => layer === 'out_relu',
    // More turns where calls are short: a batch-8 call varies by ±5 ms run to run, as much as explain adds.
    overheadRuns: () => (backend === 'tensorflow' ? 3 * RUNS : RUNS),
    extra: opByOp ? { predictOpByOp: (_layer, b) => predictOf((x) => opByOp.predict(docs[x], { logits: false }))(b), explainOpByOp: explainOf(opByOp) } : {},
  });
  rows.push(...measured);
  const five = await interleaved(
    RUNS,
    () => explainPrediction(model, docs[1]),
    () => explainPrediction(model, docs[1], { targets: { top: 5 } }),
  );
  targetRows.push({ backend, oneTargetMs: five.aMs, fiveTargetsMs: five.bMs, fiveOverOne: five.ratio });
  if (backend === 'tensorflow' && reference) versusTf.push(...(await versusTensorflow(model)));
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
    return await page.evaluate(
      ([images, cases, runs, batch8Runs]) => globalThis.gradcamBench(images, cases, runs, batch8Runs),
      [Object.keys(images), WEBGL_CASES, RUNS, WEBGL_BATCH8_RUNS],
    );
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
  const runs = size === '224x224' ? 30 : RUNS;
  if (reference) {
    // Run by run against Pillow in the reference process.
    const ours = [];
    const theirs = [];
    formatHeatmap(heatmap, image);
    await reference.ask({ op: 'format', size });
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      formatHeatmap(heatmap, image);
      ours.push(performance.now() - t0);
      theirs.push((await reference.ask({ op: 'format', size })).ms);
    }
    formatting.push({ size, oursMs: median(ours), pillowMs: median(theirs), oursOverPillow: pairedRatio(ours, theirs) });
  } else {
    formatting.push({ size, oursMs: await medianOf(runs, () => formatHeatmap(heatmap, image)) });
  }
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

// Pillow without --reference: tools/bench/pillow_format.py's medians (not run by run).
let pillow;
if (reference) {
  pillow = Object.fromEntries(formatting.map((r) => [r.size, r.pillowMs]));
} else if (python) {
  try {
    pillow = JSON.parse(execFileSync(python, [join(root, 'tools/bench/pillow_format.py'), ...SIZES], { encoding: 'utf8' }));
  } catch (error) {
    console.error(`Pillow reference failed: ${error.message.split('\n')[0]}`);
  }
} else {
  console.error('No Python found (set GRADCAM_PYTHON or run tools/setup-venv.sh): no Pillow ratios.');
}
// The folder: gradcam explain (pipelined) vs the Python reference, and peak RSS 50 vs 2,000 images.
const folderBackends = ['tensorflow', 'wasm'].filter((b) => available.includes(b));
const folder = folderBackends.length > 0 ? await folderRows({ root, python, backends: folderBackends, progress }) : undefined;
const rssScale = folderBackends.length > 0 ? await rssScaling({ root, backend: folderBackends[0], progress }) : undefined;

for (const row of formatting) {
  row.pillowMs = pillow?.[row.size];
  row.oursOverPillow ??= row.pillowMs ? row.oursMs / row.pillowMs : undefined;
}
const referenceInfo = reference ? await reference.ask({ op: 'info' }) : undefined;
if (referenceInfo && pillow) Object.assign(pillow, { pillow: referenceInfo.pillow, matplotlib: referenceInfo.matplotlib });
reference?.close();

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
  reference: referenceInfo ? { ...referenceInfo, formatting: pillow } : pillow && { formatting: pillow },
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
console.log(
  `\nnsfw_mobilenet_v2 224², predict and Grad-CAM explain before (the model as tfjs-layers runs it) and after the inference form (one target per image; batch 8 = explainBatch), medians of round-robin runs ("× 2": each turn calls a function twice in a row; the second call is the one timed, the first — right after another function's, caches cold — gives the cold column; at out_relu, explain/predict and its cold twin come from a pair of their own after the round robin: predict and explain after the form, alternately)\n`,
);
console.log(
  '| backend | layer | batch | runs | predict before ms | after ms | × faster | explain before ms | after ms | × faster | explain/predict (after) | cold: explain/predict |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
const line = (label, r, [predictAfter, explainAfter], [predictSpeedup, explainSpeedup, explainOverPredict, cold]) =>
  console.log(
    `| ${label} | ${r.layer} | ${r.batch} | ${r.runs}${r.warm ? ' × 2' : ''} | ${f(r.predictBefore)} | ${f(predictAfter)} | ${r2(predictSpeedup)} | ` +
      `${f(r.explainBefore)} | ${f(explainAfter)} | ${r2(explainSpeedup)} | ${r2(explainOverPredict)} | ${r2(cold)} |`,
  );
for (const r of rows) {
  line(
    r.backend === 'tensorflow' ? 'tensorflow (session)' : r.backend,
    r,
    [r.predictAfter, r.explainAfter],
    [r.predictSpeedup, r.explainSpeedup, r.explainOverPredict, r.coldExplainOverPredict],
  );
  if (r.explainOpByOp !== undefined) {
    line('tensorflow (op by op)', r, [r.predictOpByOp, r.explainOpByOp], [r.opByOpPredictSpeedup, r.opByOpExplainSpeedup, r.opByOpExplainOverPredict]);
  }
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
if (referenceInfo) {
  console.log(
    `\ntfjs-node (session) vs TensorFlow ${referenceInfo.tensorflow} (Keras ${referenceInfo.keras}) on the same weights, turn by turn (two calls per turn: the second warm, the first cold — right after the other process' turn), medians of ${VERSUS_RUNS}; oneDNN ${referenceInfo.onednn}\n`,
  );
  console.log(
    '| work | batch | ours (tensorflow backend) ms | TF tf.function ms | ours / TF tf.function | cold: ours ms | cold: TF ms | cold: ours / TF | TF eager ms | ours / TF eager |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of versusTf) {
    console.log(
      `| ${r.what} | ${r.batch} | ${f(r.oursMs)} | ${f(r.tfFunctionMs)} | ${r2(r.oursOverTfFunction)} | ${f(r.coldOursMs)} | ${f(r.coldTfFunctionMs)} | ${r2(r.coldOursOverTfFunction)} | ${f(r.tfEagerMs)} | ${r2(r.oursOverTfEager)} |`,
    );
  }
}
console.log('\nThe CLI on 50 images end to end (`gradcam explain DIR`: start, model load, decode, explain, write overlays)\n');
console.log('| backend | images | seconds | images/s | peak RSS MB |');
console.log('|---|---|---|---|---|');
for (const r of cli) console.log(`| ${r.backend} | ${r.images} | ${f(r.seconds)} | ${r2(r.imagesPerSecond)} | ${f(r.peakRssMb)} |`);
if (folder) {
  const ref = folder.reference;
  console.log(
    `\nA folder of ${folder.images} mixed photos (${folder.source}): \`gradcam explain DIR --quiet\` end to end (one process, start to exit) vs the Python reference (Keras load_img, tf.function Grad-CAM, Pillow, one PNG per image) — its loop alone (start-up not counted: the stricter ratio) and its whole process${ref ? `; TensorFlow ${ref.tensorflow}, Pillow ${ref.pillow}` : ''}\n`,
  );
  console.log('| run | seconds | images/s | peak RSS MB | / Python loop | / Python process |');
  console.log('|---|---|---|---|---|---|');
  for (const r of folder.rows) {
    console.log(`| ${r.what} | ${f(r.seconds)} | ${r2(r.imagesPerSecond)} | ${f(r.peakRssMb)} | ${r2(r.overPython)} | ${r2(r.overPythonProcess)} |`);
  }
  if (ref) {
    console.log(`| Python reference, loop only | ${f(ref.seconds)} | ${r2(ref.imagesPerSecond)} | — | 1.00 | — |`);
    if (ref.processSeconds)
      console.log(`| Python reference, whole process | ${f(ref.processSeconds)} | ${r2(folder.images / ref.processSeconds)} | — | — | 1.00 |`);
  }
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
