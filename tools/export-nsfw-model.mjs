#!/usr/bin/env node

// Export an nsfwjs bundled TF.js layers model to plain files, dequantized exactly as TF.js does.
//
// nsfwjs (MIT, https://github.com/infinitered/nsfwjs) ships its models as CommonJS/UMD modules:
//   dist/models/<model>/model.min.js             module.exports = tfjs layers-model JSON
//   dist/models/<model>/group1-shardNofM.min.js  module.exports = base64 of the weight bytes
// Weights are uint8-quantized; TF.js (@tensorflow/tfjs-core 4.22.0, src/io/io_utils.ts, decodeWeight)
// turns each byte v into `values[i] = v * quantization.scale + quantization.min`, evaluated in float64
// and stored into a Float32Array. This script does the same, byte for byte.
//
// Output (in --out DIR):
//   model.json   { format, generatedBy, source, modelTopology, weightsManifest, weights }
//                weightsManifest is a standard TF.js manifest over weights.bin (float32, no
//                quantization), so the folder also loads with tf.loadLayersModel('file://…/model.json');
//                weights = [{ name, shape, dtype, offset, byteLength }] with byte offsets into weights.bin.
//   weights.bin  every weight, float32 little-endian, concatenated in manifest order.
//
// Usage:
//   node tools/export-nsfw-model.mjs [NSFWJS_PACKAGE_DIR] [--model mobilenet_v2|mobilenet_v2_mid|inception_v3]
//                                    [--out DIR]
// Defaults: the nsfwjs package resolved from packages/weights-nsfw-mobilenet-v2 (its devDependency), --model mobilenet_v2,
// --out $TMPDIR/gradcam-nsfw-export/<model>.
// No dependencies beyond Node >= 18.

import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, '..');

const MODELS = {
  mobilenet_v2: { inputSize: 224 },
  mobilenet_v2_mid: { inputSize: 224 },
  inception_v3: { inputSize: 299 },
};

function usage(msg) {
  if (msg) console.error(`error: ${msg}`);
  console.error('usage: node tools/export-nsfw-model.mjs [NSFWJS_PACKAGE_DIR] ' + '[--model mobilenet_v2|mobilenet_v2_mid|inception_v3] [--out DIR]');
  process.exit(msg ? 2 : 0);
}

function parseArgs(argv) {
  const opts = { pkgDir: null, model: 'mobilenet_v2', out: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (a.includes('=')) return a.slice(a.indexOf('=') + 1);
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '-h' || a === '--help') usage();
    else if (a === '--model' || a.startsWith('--model=')) opts.model = value();
    else if (a === '--out' || a.startsWith('--out=')) opts.out = value();
    else if (a === '--nsfwjs' || a.startsWith('--nsfwjs=')) opts.pkgDir = value();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (opts.pkgDir == null) opts.pkgDir = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!(opts.model in MODELS)) usage(`unknown model ${opts.model}; one of ${Object.keys(MODELS).join(', ')}`);
  return opts;
}

// nsfwjs 4.x has an "exports" map without "./package.json", so require.resolve('nsfwjs/package.json')
// throws ERR_PACKAGE_PATH_NOT_EXPORTED; fall back to looking in each node_modules on the lookup path.
function findNsfwjs() {
  const from = path.join(REPO, 'packages', 'weights-nsfw-mobilenet-v2', 'package.json');
  const require = createRequire(from);
  try {
    return path.dirname(require.resolve('nsfwjs/package.json'));
  } catch {
    for (const dir of require.resolve.paths('nsfwjs') ?? []) {
      const candidate = path.join(dir, 'nsfwjs');
      if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    }
  }
  console.error(
    `error: could not resolve the nsfwjs package from ${path.dirname(from)}.\n` +
      '       Install it there (npm install) or pass the package directory, e.g.\n' +
      '       node tools/export-nsfw-model.mjs path/to/node_modules/nsfwjs',
  );
  process.exit(1);
}

// The exact float16 -> float32 conversion (every half value is representable in float32).
function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const BYTES = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

// Mirrors tfjs-core io_utils decodeWeight for the cases nsfwjs uses (float32 weights, optionally
// uint8/uint16/float16-quantized). Returns a Float32Array.
function decodeWeight(spec, bytes) {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.dtype !== 'float32') throw new Error(`${spec.name}: unsupported dtype ${spec.dtype}`);
  const q = spec.quantization;
  const values = new Float32Array(size);
  if (!q) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < size; i++) values[i] = dv.getFloat32(i * 4, true);
  } else if (q.dtype === 'uint8' || q.dtype === 'uint16') {
    if (!('min' in q && 'scale' in q)) throw new Error(`${spec.name}: quantization without min/scale`);
    const quantized = q.dtype === 'uint8' ? bytes : new Uint16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    // Same expression and evaluation order as tfjs: v * scale + min in float64, then rounded to float32.
    for (let i = 0; i < size; i++) values[i] = quantized[i] * q.scale + q.min;
  } else if (q.dtype === 'float16') {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < size; i++) values[i] = halfToFloat(dv.getUint16(i * 2, true));
  } else {
    throw new Error(`${spec.name}: unknown quantization dtype ${q.dtype}`);
  }
  return values;
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const pkgDir = path.resolve(opts.pkgDir ?? findNsfwjs());
  const pkgJsonPath = path.join(pkgDir, 'package.json');
  if (!fs.existsSync(pkgJsonPath)) {
    console.error(`error: ${pkgDir} is not a package directory (no package.json); pass the nsfwjs package dir`);
    process.exit(1);
  }
  const pkg = JSON.parse(fs.readFileSync(pkgJsonPath, 'utf8'));
  const modelDir = path.join(pkgDir, 'dist', 'models', opts.model);
  const require = createRequire(path.join(modelDir, 'index.js'));

  const modelJson = require(path.join(modelDir, 'model.min.js'));
  if (!modelJson?.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new Error(`${modelDir}/model.min.js does not export a layers-model JSON`);
  }

  // Concatenate the shards in manifest order (what nsfwjs' JSONHandler hands to tfjs).
  const specs = [];
  const chunks = [];
  for (const group of modelJson.weightsManifest) {
    for (const p of group.paths) {
      const file = path.join(modelDir, `${p}.min.js`);
      const b64 = require(file);
      if (typeof b64 !== 'string') throw new Error(`${file} does not export a base64 string`);
      chunks.push(Buffer.from(b64, 'base64'));
    }
    specs.push(...group.weights);
  }
  const raw = Buffer.concat(chunks);

  const outSpecs = [];
  const outChunks = [];
  let inOffset = 0;
  let outOffset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const byteLength = size * BYTES[spec.quantization ? spec.quantization.dtype : spec.dtype];
    if (inOffset + byteLength > raw.length) throw new Error(`weight data too short at ${spec.name}`);
    const values = decodeWeight(spec, raw.subarray(inOffset, inOffset + byteLength));
    inOffset += byteLength;
    const buf = Buffer.alloc(size * 4);
    for (let i = 0; i < size; i++) buf.writeFloatLE(values[i], i * 4);
    outChunks.push(buf);
    outSpecs.push({
      name: spec.name,
      shape: spec.shape,
      dtype: 'float32',
      offset: outOffset,
      byteLength: buf.length,
    });
    outOffset += buf.length;
  }
  if (inOffset !== raw.length) throw new Error(`weight data has ${raw.length - inOffset} unused bytes`);
  const weightsBin = Buffer.concat(outChunks);

  const outDir = path.resolve(opts.out ?? path.join(os.tmpdir(), 'gradcam-nsfw-export', opts.model));
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'weights.bin'), weightsBin);
  const out = {
    format: 'layers-model',
    generatedBy: 'tools/export-nsfw-model.mjs',
    source: {
      package: pkg.name,
      version: pkg.version,
      license: pkg.license,
      model: opts.model,
      inputSize: MODELS[opts.model].inputSize,
      shards: chunks.length,
      dequantization: 'tfjs-core io_utils decodeWeight: float32(v * scale + min)',
    },
    weightsSha256: createHash('sha256').update(weightsBin).digest('hex'),
    modelTopology: modelJson.modelTopology,
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: outSpecs.map(({ name, shape, dtype }) => ({
          name,
          shape,
          dtype,
        })),
      },
    ],
    weights: outSpecs,
  };
  fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(out));
  console.log(
    `${pkg.name}@${pkg.version} ${opts.model}: ${outSpecs.length} weights, ` +
      `${raw.length} quantized bytes -> ${weightsBin.length} float32 bytes\n` +
      `wrote ${path.join(outDir, 'model.json')}\n      ${path.join(outDir, 'weights.bin')} (sha256 ${out.weightsSha256})`,
  );
}

main();
