#!/usr/bin/env node
// Writes the SavedModels that @gradcam/backend-node's TensorFlow session executor builds for a few
// explain and predict requests of the bundled MobileNetV2, with a manifest, so that
// tools/golden/tf_graph_xcheck.py can run the very same files in Python's TensorFlow and write
// packages/backend-node/src/__fixtures__/tf-graph-xcheck.json (see the README there).
//
// Usage (after `npx -y pnpm@10 build`, with tfjs-node installed):
//   node tools/golden/tf-graph-xcheck.mjs [--out DIR]        # default $TMPDIR/gradcam-tf-graph-xcheck
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const args = process.argv.slice(2);
const out = args.includes('--out') ? path.resolve(args[args.indexOf('--out') + 1]) : path.join(os.tmpdir(), 'gradcam-tf-graph-xcheck');
// The packages as @gradcam/backend-node sees them (its node_modules), through their ESM exports.
const load = (specifier) => {
  const parts = specifier.split('/');
  const name = parts.slice(0, specifier.startsWith('@') ? 2 : 1).join('/');
  const dir = name === '@gradcam/backend-node' ? path.join(REPO, 'packages/backend-node') : path.join(REPO, 'packages/backend-node/node_modules', name);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const sub = `.${specifier.slice(name.length)}` || '.';
  const entry = pkg.exports?.[sub === '.' ? '.' : sub];
  // Without an exports map (tfjs-core), Node's own resolution: its main (CommonJS) entry.
  if (!pkg.exports) return import(path.join(dir, pkg.main));
  const file = typeof entry === 'string' ? entry : (entry?.import ?? entry?.default);
  return import(path.join(dir, file));
};
const [tf, core, format, models, node] = await Promise.all(
  ['@tensorflow/tfjs-core', '@gradcam/core', '@gradcam/format', '@gradcam/models', '@gradcam/backend-node'].map(load),
);
const { fidelityInputs } = await load('@gradcam/core/testing');

/** The requests (the test reads them back from the fixture): images are gradcam's 224×224 fixture PNGs. */
const CASES = [
  { name: 'out_relu top-2 probabilities', kind: 'capture', layer: 'out_relu', logits: false, targets: { top: 2 }, images: ['chelsea-224.png'] },
  {
    name: 'block_9_expand classes 0 and 3, logits, 2 images',
    kind: 'capture',
    layer: 'block_9_expand',
    logits: true,
    targets: [0, 3],
    images: ['chelsea-224.png', 'coffee-224.png'],
  },
  { name: 'predict logits, 2 images', kind: 'predict', logits: true, images: ['astronaut-224.png', 'rocket-224.png'] },
];

fs.rmSync(out, { recursive: true, force: true });
await node.useTensorflowBackend();
const executor = new node.TensorflowGraphExecutor({ cacheDir: path.join(out, 'graphs') });
core.registerGraphExecutor(executor);
const model = await models.loadBundledModel('nsfw_mobilenet_v2');
const adapter = core.toExplainableModel(model);
const fixture = (name) => path.join(REPO, 'packages/gradcam/src/__fixtures__', name);
const manifest = { generator: 'tools/golden/tf-graph-xcheck.mjs', cases: [] };
for (const c of CASES) {
  const images = c.images.map((file) => ({ image: format.decodeImage(new Uint8Array(fs.readFileSync(fixture(file)))), mirrored: false }));
  const x = fidelityInputs(images);
  const before = new Set(executor.sessions.map((s) => s.key));
  if (c.kind === 'predict') tf.dispose(adapter.predict(x, { logits: c.logits }));
  else
    adapter
      .captureBatch(
        x,
        adapter.layers().find((l) => l.name === c.layer),
        { logits: c.logits, targets: c.targets },
      )
      .dispose();
  x.dispose();
  const session = executor.sessions.find((s) => !before.has(s.key));
  const bytes = fs.readFileSync(path.join(session.dir, 'saved_model.pb'));
  manifest.cases.push({ ...c, savedModel: path.relative(out, session.dir), sha256: createHash('sha256').update(bytes).digest('hex') });
}
fs.writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote ${manifest.cases.length} SavedModels and ${path.join(out, 'manifest.json')}`);
model.dispose();
