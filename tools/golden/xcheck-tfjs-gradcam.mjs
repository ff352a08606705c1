#!/usr/bin/env node

// Recompute the golden fixtures of packages/models/src/__fixtures__/ with TF.js (CPU backend) and report
// how far TF.js is from the Keras numbers: predictions, logits, and every Grad-CAM case (score, rawMax,
// heatmap). A check of the goldens from a second framework, and a measure of the tolerance a TF.js
// implementation can reach on each case.
//
//   toy-gradcam.json               the model.json + weights.bin in residual-toy/ and nested-toy/
//   nsfw-inception-v3-gradcam.json the original nsfwjs inception_v3 files (tfjs decodes the uint8
//                                  weights itself), fed <image>-299.png / 255
//
// Grad-CAM here is written independently of the TypeScript packages: one forward pass over the layer
// graph (recursing into nested models), with the explained layer's output replaced by the variable of
// tf.grad, so dScore/dA is the total derivative through every downstream path; then the ELI5 arithmetic
// (float32 l2-normalization and spatial mean in TF.js, float32 products summed in float64, relu,
// / (max + 1e-7)). logits = the same files with the last Dense made linear.
//
// Dependencies from the pnpm workspace: @tensorflow/tfjs-core, tfjs-layers, tfjs-backend-cpu
// (packages/models) and pngjs (packages/format); nsfwjs from packages/weights-nsfw-inception-v3 (its
// devDependency) or --nsfwjs DIR.
//
// Usage: node tools/golden/xcheck-tfjs-gradcam.mjs [--only toy|inception] [--images a.png,b.png] [--nsfwjs DIR]
//                                                  [--fixtures DIR] [--native-avgpool-grad]
// The toy check takes a second; the inception check is slow on the CPU backend (about a minute per
// mixed10 case, 5-15 minutes per mixed5/mixed2 case): run one process per image with --images.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const modelsRequire = createRequire(path.join(REPO, 'packages/models/package.json'));
const tf = modelsRequire('@tensorflow/tfjs-core');
modelsRequire('@tensorflow/tfjs-backend-cpu');
const tfl = modelsRequire('@tensorflow/tfjs-layers');
const { PNG } = createRequire(path.join(REPO, 'packages/format/package.json'))('pngjs');

const args = { only: null, images: null, nsfwjs: null, fixtures: path.join(REPO, 'packages/models/src/__fixtures__') };
let nativeAvgPoolGrad = false;
for (let i = 2; i < process.argv.length; i++) {
  if (process.argv[i] === '--native-avgpool-grad') {
    nativeAvgPoolGrad = true;
    continue;
  }
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in args) || i + 1 >= process.argv.length) {
    console.error('usage: xcheck-tfjs-gradcam.mjs [--only toy|inception] [--images a.png,b.png] [--nsfwjs DIR] [--fixtures DIR] [--native-avgpool-grad]');
    process.exit(2);
  }
  args[key] = process.argv[++i];
}

// ---------------------------------------------------------------------------------------------
// Models
// ---------------------------------------------------------------------------------------------

// A copy of the topology whose Dense layer `name` (at any depth) has a linear activation.
function withLinear(topology, name) {
  let found = 0;
  const walk = (o) => {
    if (Array.isArray(o)) return o.map(walk);
    if (!o || typeof o !== 'object') return o;
    const r = Object.fromEntries(Object.entries(o).map(([k, v]) => [k, walk(v)]));
    if (r.class_name === 'Dense' && r.config?.name === name) {
      r.config = { ...r.config, activation: 'linear' };
      found++;
    }
    return r;
  };
  const out = walk(topology);
  if (found !== 1) throw new Error(`expected one Dense layer named ${name}, found ${found}`);
  return out;
}

async function loadPair({ modelTopology, weightSpecs, weightData }, lastDense) {
  const load = (topology) => tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs, weightData }));
  return { softmax: await load(modelTopology), logits: await load(withLinear(modelTopology, lastDense)) };
}

function readFolder(dir) {
  const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
  return {
    modelTopology: modelJson.modelTopology,
    weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
    weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
  };
}

function readNsfwjs(model) {
  let dir = args.nsfwjs;
  if (!dir) {
    const weightsRequire = createRequire(path.join(REPO, 'packages/weights-nsfw-inception-v3/package.json'));
    for (const p of weightsRequire.resolve.paths('nsfwjs') ?? []) {
      if (fs.existsSync(path.join(p, 'nsfwjs', 'package.json'))) {
        dir = path.join(p, 'nsfwjs');
        break;
      }
    }
  }
  if (!dir) throw new Error('nsfwjs not found from packages/weights-nsfw-inception-v3; pass --nsfwjs DIR');
  const modelDir = path.join(path.resolve(dir), 'dist/models', model);
  const req = createRequire(path.join(modelDir, 'index.js'));
  const modelJson = req(path.join(modelDir, 'model.min.js'));
  const bufs = [];
  const weightSpecs = [];
  for (const g of modelJson.weightsManifest) {
    for (const p of g.paths) bufs.push(Buffer.from(req(path.join(modelDir, `${p}.min.js`)), 'base64'));
    weightSpecs.push(...g.weights);
  }
  const all = Buffer.concat(bufs);
  return { modelTopology: modelJson.modelTopology, weightSpecs, weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) };
}

// ---------------------------------------------------------------------------------------------
// Forward passes over the layer graph, recursing into nested models. hook = { path, replace, value,
// cache, tainted }: the first pass (replace false) stores the output of the layer at `path`
// ('layer' or 'model/layer') in hook.value and every layer output in hook.cache; the second pass
// (replace true, inside tf.grad) substitutes hook.value for that output, recomputes the layers that
// depend on it and takes every other output from the cache (constants for the gradient).
// ---------------------------------------------------------------------------------------------

// TF.js 4.22 cannot record a BatchNormalization with scale=false (no gamma) on a gradient tape: the
// FusedBatchNorm gradient saves its `scale` input, which is undefined, and Engine.clone throws
// "Cannot read properties of undefined (reading 'dataId')" (tensorflow/tfjs#2868). The nsfwjs
// InceptionV3 has 94 of them. Same kernel with scale = ones instead: (x - mean) * 1 / sqrt(var + eps)
// + beta is bit-identical to the scale-less forward, and its gradient is the one TF.js intends.
function batchNormWithoutGamma(layer, x) {
  if (layer.axis !== -1 && layer.axis !== x.rank - 1) throw new Error(`${layer.name}: axis ${layer.axis} not supported`);
  const mean = layer.movingMean.read();
  return tf.batchNorm(x, mean, layer.movingVariance.read(), layer.beta ? layer.beta.read() : undefined, tf.onesLike(mean), layer.epsilon);
}

// TF.js 4.22's AvgPoolGrad (cpu and webgl kernels) multiplies dy by 1 / (poolH * poolW) everywhere,
// while the forward of padding 'same' divides each window by the number of its cells inside the
// input; TensorFlow's gradient divides by that count too. So at the borders TF.js' gradient of a
// 'same' AveragePooling2D is wrong (e.g. 4/9 of the right value at a 3x3 window's corner). The nsfwjs
// InceptionV3 has 9 AveragePooling2D(3x3, strides 1, 'same'), in every mixed block. With
// --native-avgpool-grad this script keeps TF.js' gradient; by default it uses TF.js' forward with the
// correct gradient: dx = the transposed sum-pool of dy / count.
function avgPoolSame(layer, x) {
  const [ph, pw] = layer.poolSize;
  const [sh, sw] = layer.strides;
  if (sh !== 1 || sw !== 1) throw new Error(`${layer.name}: only strides 1 are supported`);
  const pads = [
    [0, 0],
    [Math.floor((ph - 1) / 2), ph - 1 - Math.floor((ph - 1) / 2)],
    [Math.floor((pw - 1) / 2), pw - 1 - Math.floor((pw - 1) / 2)],
    [0, 0],
  ];
  // Sum over each window (stride 1) of t zero-padded by `p`.
  const sumPool = (t, p) => tf.mul(tf.avgPool(tf.pad(t, p), [ph, pw], 1, 'valid'), ph * pw);
  // Input cell i is in the windows of outputs i - bottom .. i + top: the transposed sum-pool is a
  // sum-pool with the paddings swapped.
  const swapped = pads.map(([a, b]) => [b, a]);
  const pooled = tf.customGrad((xx) => ({
    value: layer.apply(xx),
    gradFunc: (dy) => {
      const count = tf.round(sumPool(tf.ones([1, xx.shape[1], xx.shape[2], 1]), pads));
      return sumPool(tf.div(dy, count), swapped);
    },
  }));
  return pooled(x);
}

function runLayer(layer, inputs, prefix, hook) {
  const p = prefix + layer.name;
  const dependent = hook.replace && inputs.some((t) => hook.tainted.has(t));
  if (hook.replace) {
    if (hook.path === p) {
      hook.tainted.add(hook.value);
      return hook.value;
    }
    if (!dependent && !hook.path.startsWith(`${p}/`)) return hook.cache.get(p);
  }
  const single = inputs.length === 1 ? inputs[0] : inputs;
  let out;
  const cls = layer.getClassName();
  if (layer.layers) out = runContainer(layer, inputs, `${p}/`, hook);
  else if (cls === 'BatchNormalization' && layer.gamma == null) out = batchNormWithoutGamma(layer, single);
  else if (cls === 'AveragePooling2D' && layer.padding === 'same' && !nativeAvgPoolGrad && hook.replace) out = avgPoolSame(layer, single);
  else out = layer.apply(single);
  if (!hook.replace) {
    hook.cache.set(p, out);
    if (hook.path === p) hook.value = out;
  } else if (dependent || hook.tainted.has(out)) {
    hook.tainted.add(out);
  }
  return out;
}

function runContainer(model, inputs, prefix, hook) {
  if (model.getClassName() === 'Sequential') {
    let t = inputs[0];
    for (const layer of model.layers) {
      if (layer.getClassName() !== 'InputLayer') t = runLayer(layer, [t], prefix, hook);
    }
    return t;
  }
  const values = new Map(model.inputs.map((s, i) => [s.id, inputs[i]]));
  for (const layer of model.layers) {
    if (layer.getClassName() === 'InputLayer') continue;
    const nodes = layer.inboundNodes.filter((n) => n.inputTensors.length > 0 && n.inputTensors.every((s) => values.has(s.id)));
    if (nodes.length !== 1) throw new Error(`${prefix}${layer.name}: ${nodes.length} runnable inbound nodes`);
    const out = runLayer(
      layer,
      nodes[0].inputTensors.map((s) => values.get(s.id)),
      prefix,
      hook,
    );
    const outs = Array.isArray(out) ? out : [out];
    nodes[0].outputTensors.forEach((s, i) => {
      values.set(s.id, outs[i]);
    });
  }
  if (model.outputs.length !== 1) throw new Error('one output expected');
  return values.get(model.outputs[0].id);
}

// ---------------------------------------------------------------------------------------------
// Grad-CAM (ELI5)
// ---------------------------------------------------------------------------------------------

function gradcam(model, x, layerPath, target) {
  return tf.tidy(() => {
    const hook = { path: layerPath, replace: false, cache: new Map(), tainted: new Set() };
    const y = runContainer(model, [x], '', hook);
    const A = hook.value;
    if (!A) throw new Error(`layer ${layerPath} not found`);
    const score = y.dataSync()[target];
    // tf.slice/tf.sum: tfjs-core's chained tensor methods are not registered in this setup.
    const f = (a) => tf.sum(tf.slice(runContainer(model, [x], '', { ...hook, replace: true, value: a, tainted: new Set() }), [0, target], [1, 1]));
    const G = tf.grad(f)(A);
    const gradNorm = Math.sqrt(tf.sum(tf.square(G)).dataSync()[0]);
    const Gn = tf.mul(G, tf.rsqrt(tf.maximum(tf.sum(tf.square(G)), 1e-12)));
    const w = tf.mean(Gn, [1, 2]).dataSync();
    const [, h, wd, k] = A.shape;
    const a = A.dataSync();
    const lmap = new Float64Array(h * wd);
    for (let c = 0; c < k; c++) {
      for (let i = 0; i < h * wd; i++) lmap[i] += Math.fround(w[c] * a[i * k + c]);
    }
    let rawMax = 0;
    for (let i = 0; i < lmap.length; i++) {
      lmap[i] = Math.max(lmap[i], 0);
      rawMax = Math.max(rawMax, lmap[i]);
    }
    return { score, rawMax, gradNorm, heatmap: Array.from(lmap, (v) => v / (rawMax + 1e-7)) };
  });
}

const maxAbs = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
const fmt = (v) => v.toExponential(2);

async function check(name, pair, images, layers) {
  console.log(`\n${name}`);
  const worst = { predictions: 0, logits: 0, heatmap: 0, rawMaxRel: 0, scoreRel: 0 };
  const perLayer = {};
  for (const im of images) {
    if (args.images && !args.images.split(',').includes(im.file)) continue;
    const x = im.x;
    const p = Array.from(pair.softmax.predict(x).dataSync());
    const z = Array.from(pair.logits.predict(x).dataSync());
    const dp = maxAbs(p, im.predictions);
    const dz = maxAbs(z, im.logits);
    worst.predictions = Math.max(worst.predictions, dp);
    worst.logits = Math.max(worst.logits, dz);
    console.log(`  ${im.file}: |tfjs - keras| predictions ${fmt(dp)}, logits ${fmt(dz)}`);
    for (const c of im.cases) {
      if (layers && !layers.includes(c.layer)) continue;
      const r = gradcam(c.logits ? pair.logits : pair.softmax, x, c.layer, c.target);
      const dh = maxAbs(r.heatmap, c.heatmap.flat());
      const dr = Math.abs(r.rawMax - c.rawMax) / Math.max(c.rawMax, 1e-30);
      const ds = Math.abs(r.score - c.score) / Math.max(Math.abs(c.score), 1e-30);
      worst.heatmap = Math.max(worst.heatmap, dh);
      worst.rawMaxRel = Math.max(worst.rawMaxRel, c.rawMax === 0 && r.rawMax === 0 ? 0 : dr);
      worst.scoreRel = Math.max(worst.scoreRel, ds);
      perLayer[c.layer] = Math.max(perLayer[c.layer] ?? 0, dh);
      console.log(
        `    ${c.layer.padEnd(12)} ${c.logits ? 'logits ' : 'softmax'} t=${c.target} |heatmap diff| ${fmt(dh)}  ` +
          `rawMax rel ${fmt(dr)}  score rel ${fmt(ds)}  |dS/dA| ${r.gradNorm.toPrecision(4)} (keras ${c.gradNorm})`,
      );
    }
  }
  console.log(
    `  worst: predictions ${fmt(worst.predictions)}, logits ${fmt(worst.logits)}, heatmap ${fmt(worst.heatmap)}, ` +
      `rawMax rel ${fmt(worst.rawMaxRel)}, score rel ${fmt(worst.scoreRel)}`,
  );
  console.log(
    `  worst heatmap diff per layer: ${Object.entries(perLayer)
      .map(([l, d]) => `${l} ${fmt(d)}`)
      .join(', ')}`,
  );
  return worst;
}

async function main() {
  await tf.setBackend('cpu');
  console.log(
    `tfjs-core ${tf.version_core}, tfjs-layers ${tfl.version_layers}, backend ${tf.getBackend()}, ` +
      `AveragePooling2D 'same' gradient: ${nativeAvgPoolGrad ? 'TF.js native (wrong at borders)' : 'corrected'}`,
  );
  if (args.only !== 'inception') {
    const golden = JSON.parse(fs.readFileSync(path.join(args.fixtures, 'toy-gradcam.json'), 'utf8'));
    for (const [name, m] of Object.entries(golden.models)) {
      const pair = await loadPair(readFolder(path.join(args.fixtures, m.dir)), name === 'nested_toy' ? 'probs' : 'head');
      const images = m.images.map((im) => ({ ...im, x: tf.tensor4d(Float32Array.from(im.input), [1, 24, 24, 3]) }));
      await check(`${name} (toy-gradcam.json)`, pair, images);
    }
  }
  if (args.only !== 'toy') {
    const golden = JSON.parse(fs.readFileSync(path.join(args.fixtures, 'nsfw-inception-v3-gradcam.json'), 'utf8'));
    const pair = await loadPair(readNsfwjs('inception_v3'), 'dense_3');
    const images = golden.images.map((im) => {
      const png = PNG.sync.read(fs.readFileSync(path.join(args.fixtures, im.resized)));
      const n = png.width * png.height;
      const rgb = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = png.data[4 * i + c];
      return { ...im, x: tf.div(tf.tensor4d(rgb, [1, png.height, png.width, 3]), 255) };
    });
    await check('nsfw_inception_v3 (nsfw-inception-v3-gradcam.json)', pair, images);
  }
}

await main();
