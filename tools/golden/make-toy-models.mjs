#!/usr/bin/env node

// Build the two toy TF.js layers models behind packages/models/src/__fixtures__/toy-gradcam.json, with
// seeded initializers, and save them as TF.js layers models (model.json + weights.bin):
//
//   residual-toy/  functional 'residual_toy': a Conv2D whose output feeds an Add directly and through
//                  another Conv2D, inside a second skip connection (the explained layer has several
//                  downstream paths, so only the total derivative gives the right Grad-CAM):
//     input [24,24,3] -> stem Conv2D(6, 3x3, same, relu) -> explained Conv2D(6, 3x3, same, relu)
//       -> after Conv2D(6, 1x1, linear); skip = Add([explained, after]); outer = Add([stem, skip])
//       -> pool MaxPooling2D(2) -> late Conv2D(8, 3x3, same, relu) -> gap GlobalAveragePooling2D
//       -> head Dense(3, softmax)
//   nested-toy/    Sequential 'nested_toy' of a functional model and a Sequential, the way Teachable
//                  Machine exports image models:
//     backbone (functional): input [24,24,3] -> c1 Conv2D(8, 3x3, strides 2, same, relu)
//       -> dw DepthwiseConv2D(3x3, same, relu) -> c2 Conv2D(16, 1x1, relu) -> gap GlobalAveragePooling2D
//     head (Sequential): fc Dense(6, relu) -> probs Dense(3, softmax)
//
// Kernels: glorotUniform with fixed seeds; biases: randomNormal(0, 0.1) with fixed seeds (non-zero), so
// the files are the same on every run (SEEDS below). Each model is then loaded back with
// tf.loadLayersModel from the written files (tf.io.fromMemory) and must predict exactly what the
// built model predicts.
//
// Also writes <model>/tfjs-predictions.json: TF.js predictions and logits (the same files with the last
// Dense made linear) for examples/images/{chelsea,coffee}.png resized to 24x24 the way Pillow's
// Image.resize(NEAREST) does it (re-implemented below; tools/golden/toy_gradcam.py checks the pixels
// against Pillow by sha256 and the predictions against Keras).
//
// Dependencies: @tensorflow/tfjs-core, tfjs-layers, tfjs-backend-cpu (devDependencies of
// packages/models) and pngjs (a dependency of packages/format), from the pnpm workspace.
//
// Usage: node tools/golden/make-toy-models.mjs [--out DIR] [--residual-seed N] [--nested-seed N]
// (default out: packages/models/src/__fixtures__; seeds: SEEDS below)

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const modelsRequire = createRequire(path.join(REPO, 'packages/models/package.json'));
const formatRequire = createRequire(path.join(REPO, 'packages/format/package.json'));
const tf = modelsRequire('@tensorflow/tfjs-core');
modelsRequire('@tensorflow/tfjs-backend-cpu');
const tfl = modelsRequire('@tensorflow/tfjs-layers');
const { PNG } = formatRequire('pngjs');

// Seed bases of the initializers (layer i, counted from 0: kernel seed base + 100 * i + 1, bias + 2).
// With a GlobalAveragePooling2D right after c2, nested_toy's localization maps are nearly uniform, so
// for most seeds whole heatmaps come out 0 (every cell negative before the relu); 42000 was picked
// from a scan of seeds (1000, 2000, ..., 52000) as one where no heatmap is all zero and most have
// some zero cells.
const SEEDS = { residual: 100, nested: 42000 };

const args = { out: path.join(REPO, 'packages/models/src/__fixtures__') };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--out' && i + 1 < process.argv.length) args.out = path.resolve(process.argv[++i]);
  else if ((a === '--residual-seed' || a === '--nested-seed') && i + 1 < process.argv.length) SEEDS[a.slice(2, -5)] = Number(process.argv[++i]);
  else {
    console.error('usage: node tools/golden/make-toy-models.mjs [--out DIR] [--residual-seed N] [--nested-seed N]');
    process.exit(2);
  }
}

const IMAGES = ['chelsea.png', 'coffee.png'];
const SIZE = 24;

// Seeded initializers: one seed per weight, fixed here so the models never change.
const kernel = (seed) => tfl.initializers.glorotUniform({ seed });
const bias = (seed) => tfl.initializers.randomNormal({ mean: 0, stddev: 0.1, seed });

function residualToy() {
  const input = tfl.input({ shape: [SIZE, SIZE, 3], name: 'input' });
  const conv = (name, filters, kernelSize, activation, seed) =>
    tfl.layers.conv2d({ name, filters, kernelSize, padding: 'same', activation, kernelInitializer: kernel(seed), biasInitializer: bias(seed + 1) });
  const stem = conv('stem', 6, 3, 'relu', SEEDS.residual + 1).apply(input);
  const explained = conv('explained', 6, 3, 'relu', SEEDS.residual + 101).apply(stem);
  const after = conv('after', 6, 1, 'linear', SEEDS.residual + 201).apply(explained);
  const skip = tfl.layers.add({ name: 'skip' }).apply([explained, after]);
  const outer = tfl.layers.add({ name: 'outer' }).apply([stem, skip]);
  const pool = tfl.layers.maxPooling2d({ name: 'pool', poolSize: 2 }).apply(outer);
  const late = conv('late', 8, 3, 'relu', SEEDS.residual + 301).apply(pool);
  const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(late);
  const head = tfl.layers
    .dense({ name: 'head', units: 3, activation: 'softmax', kernelInitializer: kernel(SEEDS.residual + 401), biasInitializer: bias(SEEDS.residual + 402) })
    .apply(gap);
  return { model: tfl.model({ name: 'residual_toy', inputs: input, outputs: head }), lastDense: 'head' };
}

function nestedToy() {
  const input = tfl.input({ shape: [SIZE, SIZE, 3], name: 'backbone_input' });
  const c1 = tfl.layers
    .conv2d({
      name: 'c1',
      filters: 8,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: kernel(SEEDS.nested + 1),
      biasInitializer: bias(SEEDS.nested + 2),
    })
    .apply(input);
  const dw = tfl.layers
    .depthwiseConv2d({
      name: 'dw',
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
      depthwiseInitializer: kernel(SEEDS.nested + 101),
      biasInitializer: bias(SEEDS.nested + 102),
    })
    .apply(c1);
  const c2 = tfl.layers
    .conv2d({
      name: 'c2',
      filters: 16,
      kernelSize: 1,
      activation: 'relu',
      kernelInitializer: kernel(SEEDS.nested + 201),
      biasInitializer: bias(SEEDS.nested + 202),
    })
    .apply(dw);
  const gap = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(c2);
  const backbone = tfl.model({ name: 'backbone', inputs: input, outputs: gap });
  const head = tfl.sequential({
    name: 'head',
    layers: [
      tfl.layers.dense({
        name: 'fc',
        inputShape: [16],
        units: 6,
        activation: 'relu',
        kernelInitializer: kernel(SEEDS.nested + 301),
        biasInitializer: bias(SEEDS.nested + 302),
      }),
      tfl.layers.dense({
        name: 'probs',
        units: 3,
        activation: 'softmax',
        kernelInitializer: kernel(SEEDS.nested + 401),
        biasInitializer: bias(SEEDS.nested + 402),
      }),
    ],
  });
  return { model: tfl.sequential({ name: 'nested_toy', layers: [backbone, head] }), lastDense: 'probs' };
}

// What tfjs-core's io handlers write (getModelJSONForModelArtifacts), with the weights in weights.bin.
async function saveLayersModel(model, dir) {
  let saved;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const weightData = tf.io.CompositeArrayBuffer.join(saved.weightData);
  const modelJson = {
    modelTopology: saved.modelTopology,
    format: saved.format,
    generatedBy: saved.generatedBy,
    convertedBy: saved.convertedBy ?? null,
    weightsManifest: [{ paths: ['weights.bin'], weights: saved.weightSpecs }],
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.json'), `${JSON.stringify(modelJson, null, 2)}\n`);
  fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(weightData));
  return modelJson;
}

function readSaved(dir) {
  const modelJson = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const bin = fs.readFileSync(path.join(dir, 'weights.bin'));
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  return { modelJson, weightData, sha256: createHash('sha256').update(bin).digest('hex'), bytes: bin.length };
}

// A copy of the topology whose layer `name` (at any nesting depth) has a linear activation.
function withLinear(topology, name) {
  let found = 0;
  const walk = (o) => {
    if (Array.isArray(o)) return o.map(walk);
    if (o && typeof o === 'object') {
      const r = Object.fromEntries(Object.entries(o).map(([k, v]) => [k, walk(v)]));
      if (r.config && r.config.name === name && 'activation' in r.config && r.class_name === 'Dense') {
        r.config = { ...r.config, activation: 'linear' };
        found++;
      }
      return r;
    }
    return o;
  };
  const out = walk(topology);
  if (found !== 1) throw new Error(`expected one Dense layer named ${name}, found ${found}`);
  return out;
}

async function loadSaved(dir, linearLayer) {
  const { modelJson, weightData } = readSaved(dir);
  const topology = linearLayer ? withLinear(modelJson.modelTopology, linearLayer) : modelJson.modelTopology;
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: modelJson.weightsManifest[0].weights, weightData }));
}

// Pillow's Image.resize((w, h), Image.NEAREST) (libImaging ImagingScaleAffine, Pillow 9-12): source
// coordinate accumulated in float64 from a * 0.5 in steps of a = in / out, truncated to an integer.
function nearestIndices(inSize, outSize) {
  const a = inSize / outSize;
  const idx = [];
  let v = a * 0.5;
  for (let i = 0; i < outSize; i++) {
    idx.push(Math.min(inSize - 1, Math.trunc(v)));
    v += a;
  }
  return idx;
}

function loadImage24(file) {
  const png = PNG.sync.read(fs.readFileSync(path.join(REPO, 'examples/images', file)));
  const xs = nearestIndices(png.width, SIZE);
  const ys = nearestIndices(png.height, SIZE);
  const pixels = new Uint8Array(SIZE * SIZE * 3);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const s = 4 * (ys[y] * png.width + xs[x]);
      for (let c = 0; c < 3; c++) pixels[3 * (y * SIZE + x) + c] = png.data[s + c];
    }
  }
  return pixels;
}

const predict = (model, x) => Array.from(model.predict(x).dataSync());
const maxAbsDiff = (a, b) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));

async function main() {
  await tf.setBackend('cpu');
  tf.util.assert(tf.getBackend() === 'cpu', () => 'the cpu backend is required');
  const inputs = IMAGES.map((file) => {
    const pixels = loadImage24(file);
    const x = tf.div(tf.tensor4d(Float32Array.from(pixels), [1, SIZE, SIZE, 3]), 255);
    return { file, pixels, x };
  });
  let failed = false;
  for (const [folder, make] of [
    ['residual-toy', residualToy],
    ['nested-toy', nestedToy],
  ]) {
    const { model, lastDense } = make();
    const dir = path.join(args.out, folder);
    await saveLayersModel(model, dir);
    const { sha256, bytes, modelJson } = readSaved(dir);
    const loaded = await loadSaved(dir);
    const logitsModel = await loadSaved(dir, lastDense);
    console.log(`${folder}: ${model.name}, ${model.countParams()} parameters, weights.bin ${bytes} bytes sha256 ${sha256}`);
    console.log(`  weights: ${modelJson.weightsManifest[0].weights.map((w) => `${w.name}[${w.shape}]`).join(' ')}`);
    const images = [];
    for (const { file, pixels, x } of inputs) {
      const built = predict(model, x);
      const reloaded = predict(loaded, x);
      const logits = predict(logitsModel, x);
      const reloadDiff = maxAbsDiff(built, reloaded);
      const sm = tf.softmax(tf.tensor1d(logits)).arraySync();
      const smDiff = maxAbsDiff(sm, reloaded);
      console.log(`  ${file}: predictions ${reloaded.map((v) => v.toPrecision(7)).join(' ')}`);
      console.log(`    logits ${logits.map((v) => v.toPrecision(7)).join(' ')}`);
      console.log(`    |built - reloaded| max ${reloadDiff.toExponential(2)}, |softmax(logits) - predictions| max ${smDiff.toExponential(2)}`);
      if (reloadDiff !== 0 || smDiff > 1e-6) failed = true;
      images.push({
        file,
        resize: `Pillow-equivalent NEAREST ${SIZE}x${SIZE}`,
        pixelsSha256: createHash('sha256').update(pixels).digest('hex'),
        predictions: reloaded,
        logits,
      });
    }
    const report = {
      generator: 'tools/golden/make-toy-models.mjs',
      versions: { node: process.versions.node, 'tfjs-core': tf.version_core, 'tfjs-layers': tfl.version_layers, backend: tf.getBackend() },
      model: model.name,
      weightsSha256: sha256,
      input: `examples/images/<file> -> RGB -> ${SIZE}x${SIZE} NEAREST (as Pillow) -> float32 / 255, [1, ${SIZE}, ${SIZE}, 3]`,
      logits: `the same files with ${lastDense} made linear`,
      images,
    };
    fs.writeFileSync(path.join(dir, 'tfjs-predictions.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`  wrote ${path.relative(REPO, dir)}/{model.json,weights.bin,tfjs-predictions.json}`);
  }
  if (failed) {
    console.error('FAILED: reloaded model differs from the built one, or softmax(logits) != predictions');
    process.exit(1);
  }
}

await main();
