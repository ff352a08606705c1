// The webgl side of `pnpm bench`, bundled by esbuild and run in Chromium by bench/run.mjs.
import { useWebglBackend } from '@gradcam/backend-webgl';
import { explain, explainBatch, imgToArray } from '@gradcam/core';
import { loadImg } from '@gradcam/format';
import { loadBundledModel } from '@gradcam/models';
import * as tf from '@tensorflow/tfjs-core';
import { predictVersusExplain } from './measure.mjs';

globalThis.gradcamBench = async (imageUrls, cases, runs) => {
  await useWebglBackend();
  const model = await loadBundledModel('nsfw_mobilenet_v2');
  const images = await Promise.all(imageUrls.map(async (url) => loadImg(new Uint8Array(await (await fetch(url)).arrayBuffer()), { targetSize: [224, 224] })));
  const eight = tf.tidy(() => tf.div(tf.stack([...images, ...images].map((img) => imgToArray(img))), 255));
  const docs = { 1: tf.slice(eight, 0, 1), 8: eight };
  const rows = await predictVersusExplain({
    backend: 'webgl',
    cases,
    runs: () => runs,
    predict: async (batch) => {
      const y = model.predict(docs[batch]);
      await y.data();
      y.dispose();
    },
    explain: (layer, batch) => (batch === 1 ? explain(model, docs[1], { layer }) : explainBatch(model, docs[batch], { layer })),
  });
  tf.dispose([docs[1], eight]);
  return rows;
};
