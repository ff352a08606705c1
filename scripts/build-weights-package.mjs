#!/usr/bin/env node
// Builds a weights-only package (packages/weights-*) from the nsfwjs npm package, its
// devDependency: nsfwjs ships each model as UMD modules — `model.min.js` exports the tfjs model
// JSON, `group1-shardNofM.min.js` the base64 of one weight shard. This script evaluates them in an
// empty `node:vm` context (no require, no process, no globals of this process), decodes the base64
// and writes plain tfjs files plus a tiny entry that tells where they are:
//
//   dist/model.json                 the nsfwjs model JSON, `format` set, shard paths renamed `<path>.bin`
//   dist/group1-shardNofM.bin       the weight bytes, exactly as nsfwjs carries them (uint8-quantized)
//   dist/index.js                   modelId, packageName, format, source, modelJson, weightFiles
//   dist/index.d.ts                 their types
//
// The entry is ES only: require() of it (Node ≥ 20.19) loads the same module as import, so both
// see the same objects (one `modelJson`, not one per module system).
//
// Every file's byte size and SHA-256 are pinned in the package's `weights.json`; the build fails
// when a file differs (another nsfwjs, a changed decoder), so the published weights are the bytes
// the golden tests were computed on. `--update` rewrites the pins instead (review the diff).
//
// Usage (from a weights package folder, as its `build` script): node ../../scripts/build-weights-package.mjs [--update]
// No dependencies beyond Node ≥ 20.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import vm from 'node:vm';

const pkgDir = resolve(process.cwd());
const update = process.argv.includes('--update');
const fail = (message) => {
  console.error(`build-weights-package (${pkgDir}): ${message}`);
  process.exit(1);
};

const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const configPath = join(pkgDir, 'weights.json');
if (!existsSync(configPath)) fail('no weights.json here (run this as the build script of a packages/weights-* package).');
const config = JSON.parse(readFileSync(configPath, 'utf8'));
const { modelId, format, from } = config;
if (!/^[a-z0-9_]+$/.test(modelId ?? '')) fail(`weights.json: modelId must be a model id like nsfw_mobilenet_v2; got ${JSON.stringify(modelId)}.`);
if (format !== 'layers-model' && format !== 'graph-model') fail(`weights.json: format must be 'layers-model' or 'graph-model'; got ${JSON.stringify(format)}.`);
if (from?.package !== 'nsfwjs' || !/^[a-z0-9_]+$/.test(from?.model ?? '')) fail('weights.json: from must be { package: "nsfwjs", version, model }.');

// nsfwjs' exports map has no "./package.json"; its CommonJS model entry sits at dist/cjs/models/<model>.js.
const require = createRequire(join(pkgDir, 'package.json'));
let nsfwjsDir;
try {
  nsfwjsDir = resolve(dirname(require.resolve(`nsfwjs/models/${from.model}`)), '..', '..', '..');
} catch (error) {
  fail(`cannot resolve nsfwjs/models/${from.model} from here (${error.message}); it is a devDependency of this package: run pnpm install.`);
}
const nsfwjs = JSON.parse(readFileSync(join(nsfwjsDir, 'package.json'), 'utf8'));
if (nsfwjs.name !== 'nsfwjs' || nsfwjs.version !== from.version)
  fail(`expected nsfwjs ${from.version}, found ${nsfwjs.name} ${nsfwjs.version} at ${nsfwjsDir}.`);
const licence = readFileSync(join(nsfwjsDir, 'LICENSE'), 'utf8').trim();
if (!readFileSync(join(pkgDir, 'LICENSE'), 'utf8').includes(licence))
  fail(`LICENSE must contain nsfwjs' licence notice verbatim (${join(nsfwjsDir, 'LICENSE')}).`);

/** The value a UMD module assigns to module.exports, evaluated in an empty context. */
function umdExports(file) {
  const sandbox = { module: { exports: {} } };
  sandbox.exports = sandbox.module.exports;
  vm.runInNewContext(readFileSync(file, 'utf8'), sandbox, { filename: file, timeout: 60_000 });
  return sandbox.module.exports;
}

const modelDir = join(nsfwjsDir, 'dist', 'models', from.model);
// Round-trip through JSON: plain objects of this realm, and nothing a JSON file cannot hold.
const source = JSON.parse(JSON.stringify(umdExports(join(modelDir, 'model.min.js'))));
if (typeof source?.modelTopology !== 'object' || !Array.isArray(source?.weightsManifest)) fail(`${modelDir}/model.min.js is not a tfjs model JSON.`);
if (source.format !== undefined && source.format !== format) fail(`nsfwjs says the model is a ${source.format}; weights.json says ${format}.`);

const BYTES_PER = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, string: Number.NaN, complex64: 8 };
const shards = [];
const manifest = source.weightsManifest.map((group) => {
  const paths = group.paths.map((path) => {
    if (!/^[\w.-]+$/.test(path)) fail(`unexpected shard path '${path}' in ${modelDir}/model.min.js.`);
    const base64 = umdExports(join(modelDir, `${path}.min.js`));
    if (typeof base64 !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) fail(`${modelDir}/${path}.min.js does not export base64.`);
    shards.push({ path: `${path}.bin`, bytes: new Uint8Array(Buffer.from(base64, 'base64')) });
    return `${path}.bin`;
  });
  return { ...group, paths };
});
// The weight bytes the manifest declares must be exactly the bytes of the shards.
const declared = manifest.flatMap((g) => g.weights).reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * BYTES_PER[w.quantization?.dtype ?? w.dtype], 0);
const actual = shards.reduce((n, s) => n + s.bytes.byteLength, 0);
if (declared !== actual) fail(`the manifest declares ${declared} weight bytes; the shards hold ${actual}.`);

const { format: _f, modelTopology, weightsManifest: _w, ...rest } = source;
const modelJson = JSON.stringify({ format, ...rest, modelTopology, weightsManifest: manifest });
const files = [{ path: 'model.json', bytes: new Uint8Array(Buffer.from(modelJson, 'utf8')) }, ...shards].map((f) => ({
  ...f,
  size: f.bytes.byteLength,
  sha256: createHash('sha256').update(f.bytes).digest('hex'),
}));

const pins = Object.fromEntries(files.map((f) => [f.path, { bytes: f.size, sha256: f.sha256 }]));
if (update) {
  writeFileSync(configPath, `${JSON.stringify({ ...config, files: pins }, null, 2)}\n`);
  console.log(`build-weights-package: pinned ${files.length} files in ${configPath}`);
} else {
  const pinned = config.files ?? {};
  const problems = [];
  for (const f of files) {
    const pin = pinned[f.path];
    if (!pin) problems.push(`${f.path} is not pinned`);
    else if (pin.bytes !== f.size || pin.sha256 !== f.sha256)
      problems.push(`${f.path}: ${f.size} bytes, sha256 ${f.sha256}; pinned ${pin.bytes} bytes, sha256 ${pin.sha256}`);
  }
  for (const path of Object.keys(pinned)) if (!files.some((f) => f.path === path)) problems.push(`${path} is pinned but not produced`);
  if (problems.length > 0) fail(`the files differ from weights.json:\n  ${problems.join('\n  ')}\n(--update rewrites the pins, after review.)`);
}

// The entry: `new URL('./file', import.meta.url)` is what Node, Vite and webpack 5 all resolve
// (the bundlers emit the file as an asset and rewrite the URL).
const describe = (f) =>
  `{ path: ${JSON.stringify(f.path)}, url: new URL(${JSON.stringify(`./${f.path}`)}, import.meta.url), bytes: ${f.size}, sha256: '${f.sha256}' }`;
const origin = { package: 'nsfwjs', version: nsfwjs.version, license: nsfwjs.license, path: `dist/models/${from.model}` };
const esm = [
  `// Generated by scripts/build-weights-package.mjs from nsfwjs ${nsfwjs.version} (MIT, Infinite Red, Inc.): do not edit.`,
  `/** The gradcam model id these weights belong to. */`,
  `export const modelId = ${JSON.stringify(modelId)};`,
  `/** This package's name. */`,
  `export const packageName = ${JSON.stringify(pkg.name)};`,
  `/** The tfjs model format of model.json. */`,
  `export const format = ${JSON.stringify(format)};`,
  `/** Where the files come from. */`,
  `export const source = ${JSON.stringify(origin)};`,
  `/** model.json: the topology and the weights manifest. */`,
  `export const modelJson = ${describe(files[0])};`,
  `/** The weight shards, in the order of the manifest. */`,
  `export const weightFiles = [\n${files
    .slice(1)
    .map((f) => `  ${describe(f)},`)
    .join('\n')}\n];`,
  '',
].join('\n');
const dts = [
  `/** One file of the package: its name in the manifest, where it is, its size and SHA-256 (hex). */`,
  `export interface WeightsFile {`,
  `  readonly path: string;`,
  `  readonly url: URL;`,
  `  readonly bytes: number;`,
  `  readonly sha256: string;`,
  `}`,
  `/** The gradcam model id these weights belong to. */`,
  `export declare const modelId: ${JSON.stringify(modelId)};`,
  `/** This package's name. */`,
  `export declare const packageName: ${JSON.stringify(pkg.name)};`,
  `/** The tfjs model format of model.json. */`,
  `export declare const format: ${JSON.stringify(format)};`,
  `/** Where the files come from. */`,
  `export declare const source: { readonly package: string; readonly version: string; readonly license: string; readonly path: string };`,
  `/** model.json: the topology and the weights manifest. */`,
  `export declare const modelJson: WeightsFile;`,
  `/** The weight shards, in the order of the manifest. */`,
  `export declare const weightFiles: readonly WeightsFile[];`,
  '',
].join('\n');

// Write into a fresh folder and swap it in, so an interrupted build leaves no half package.
const dist = join(pkgDir, 'dist');
const next = join(pkgDir, 'dist.tmp');
rmSync(next, { recursive: true, force: true });
mkdirSync(next);
for (const f of files) writeFileSync(join(next, f.path), f.bytes);
writeFileSync(join(next, 'index.js'), esm);
writeFileSync(join(next, 'index.d.ts'), dts);
rmSync(dist, { recursive: true, force: true });
renameSync(next, dist);
const total = files.reduce((n, f) => n + f.size, 0);
console.log(`${pkg.name}: ${files.length} files, ${total} bytes (nsfwjs ${nsfwjs.version} ${from.model}, ${format})`);
