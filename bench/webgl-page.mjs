// The webgl side of `pnpm bench`, bundled by esbuild and run in Chromium by bench/run.mjs:
// predict and explain before and after the inference form, round robin (bench/measure.mjs).
import { useWebglBackend } from '@gradcam/backend-webgl';
import { explain, explainBatch, imgToArray, toExplainableModel } from '@gradcam/core';
import { loadImg } from '@gradcam/format';
import { LayersModelAdapter, loadBundledModel } from '@gradcam/models';
import * as tf from '@tensorflow/tfjs-core';
import { formRows } from './measure.mjs';

globalThis.gradcamBench = async (imageUrls, cases, runs, batch8Runs) => {
  await useWebglBackend();
  const model = await loadBundledModel('nsfw_mobilenet_v2');
  const after = toExplainableModel(model);
  after.prepare?.(); // as gradcam's loadModel does
  const before = new LayersModelAdapter(model, { inferenceForm: false });
  const images = await Promise.all(imageUrls.map(async (url) => loadImg(new Uint8Array(await (await fetch(url)).arrayBuffer()), { targetSize: [224, 224] })));
  const eight = tf.tidy(() => tf.div(tf.stack([...images, ...images].map((img) => imgToArray(img))), 255));
  const docs = { 1: tf.slice(eight, 0, 1), 8: eight };
  const read = (run) => async (batch) => {
    const y = run(docs[batch]);
    await y.data();
    y.dispose();
  };
  const explainWith = (m) => (layer, batch) => (batch === 1 ? explain(m, docs[1], { layer }) : explainBatch(m, docs[batch], { layer }));
  const rows = await formRows({
    backend: 'webgl',
    cases,
    runs: (batch) => (batch === 8 ? batch8Runs : runs),
    predict: { before: read((x) => model.predict(x)), after: read((x) => after.predict(x, { logits: false })) },
    explain: { before: explainWith(before), after: explainWith(after) },
    overhead: (layer) => layer === 'out_relu',
  });
  tf.dispose([docs[1], eight]);
  model.dispose();
  return rows;
};
