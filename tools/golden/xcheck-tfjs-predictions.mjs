#!/usr/bin/env node
// Cross-check the golden fixtures against TF.js itself: loads the original nsfwjs model files with
// tf.loadLayersModel(tf.io.fromMemory(...)) on the CPU backend, predicts on the Pillow-resized
// <image>-224.png fixtures / 255 and compares with the Keras predictions stored in the JSON (|diff| <= 1e-4).
// With --export DIR it also checks that weights.bin from tools/export-nsfw-model.mjs equals the weights
// TF.js decoded, bit for bit.
//
// Needs @tensorflow/tfjs-core, @tensorflow/tfjs-layers, @tensorflow/tfjs-backend-cpu (4.22.0) and pngjs,
// installed in --deps DIR (default: the current directory), e.g.
//   mkdir -p /tmp/xcheck && cd /tmp/xcheck && npm init -y && \
//     npm i @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-layers@4.22.0 @tensorflow/tfjs-backend-cpu@4.22.0 pngjs
//   node /path/to/repo/tools/golden/xcheck-tfjs-predictions.mjs --nsfwjs path/to/nsfwjs \
//     --export /tmp/gradcam-nsfw-export/mobilenet_v2

import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = {
  deps: process.cwd(),
  nsfwjs: null,
  fixtures: path.join(REPO, 'packages/gradcam/src/__fixtures__'),
  export: null,
};
for (let i = 2; i < process.argv.length; i++) {
  const key = process.argv[i].replace(/^--/, '');
  if (!(key in args) || i + 1 >= process.argv.length) {
    console.error('usage: xcheck-tfjs-predictions.mjs [--deps DIR] --nsfwjs DIR [--fixtures DIR] [--export DIR]');
    process.exit(2);
  }
  args[key] = process.argv[++i];
}
if (!args.nsfwjs) {
  console.error('error: pass --nsfwjs (the nsfwjs package directory)');
  process.exit(2);
}

const req = createRequire(path.join(path.resolve(args.deps), 'package.json'));
const tf = req('@tensorflow/tfjs-core');
req('@tensorflow/tfjs-backend-cpu');
const tfl = req('@tensorflow/tfjs-layers');
const { PNG } = req('pngjs');
const modelReq = createRequire(path.join(path.resolve(args.nsfwjs), 'dist/models/mobilenet_v2/index.js'));

await tf.setBackend('cpu');
const dir = path.join(path.resolve(args.nsfwjs), 'dist/models/mobilenet_v2');
const modelJson = modelReq(path.join(dir, 'model.min.js'));
const specs = [];
const bufs = [];
for (const g of modelJson.weightsManifest) {
  for (const p of g.paths) bufs.push(Buffer.from(modelReq(path.join(dir, `${p}.min.js`)), 'base64'));
  specs.push(...g.weights);
}
const all = Buffer.concat(bufs);
const weightData = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
const model = await tfl.loadLayersModel(
  tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs: specs,
    weightData,
  }),
);
console.log(`tfjs-core ${tf.version_core}, backend ${tf.getBackend()}, ${model.layers.length} layers`);
let failed = false;

if (args.export) {
  const exp = JSON.parse(fs.readFileSync(path.join(args.export, 'model.json'), 'utf8'));
  const bin = fs.readFileSync(path.join(args.export, 'weights.bin'));
  const byName = new Map(exp.weights.map((w) => [w.name, w]));
  let compared = 0;
  let bad = 0;
  for (const layer of model.layers) {
    for (const w of layer.weights) {
      const spec = byName.get(w.originalName);
      const a = w.read().dataSync();
      const b = spec ? new Float32Array(bin.buffer.slice(bin.byteOffset + spec.offset, bin.byteOffset + spec.offset + spec.byteLength)) : null;
      compared++;
      if (!b || b.length !== a.length || a.some((v, i) => !Object.is(v, b[i]))) {
        bad++;
        console.log(`  weight mismatch: ${w.originalName}`);
      }
    }
  }
  console.log(`weights: ${compared}/${exp.weights.length} compared, ${bad} differ from weights.bin`);
  failed ||= bad > 0 || compared !== exp.weights.length;
}

const golden = JSON.parse(fs.readFileSync(path.join(args.fixtures, 'nsfw-mobilenet-v2-gradcam.json'), 'utf8'));
for (const im of golden.images) {
  const png = PNG.sync.read(fs.readFileSync(path.join(args.fixtures, im.resized)));
  const n = png.width * png.height;
  const rgb = new Int32Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = png.data[4 * i + c];
  const x = tf.div(tf.cast(tf.tensor4d(rgb, [1, png.height, png.width, 3], 'int32'), 'float32'), 255);
  const p = Array.from(model.predict(x).dataSync());
  const maxDiff = Math.max(...p.map((v, i) => Math.abs(v - im.predictions[i])));
  const ok = maxDiff <= 1e-4;
  failed ||= !ok;
  console.log(`${im.file} (${im.resized} ${png.width}x${png.height})`);
  console.log(`  tfjs : ${p.map((v) => v.toPrecision(7)).join(' ')}`);
  console.log(`  keras: ${im.predictions.map((v) => v.toPrecision(7)).join(' ')}`);
  console.log(`  max |diff| = ${maxDiff.toExponential(3)} ${ok ? 'OK' : 'FAIL'} (tolerance 1e-4)`);
}
process.exit(failed ? 1 : 0);
