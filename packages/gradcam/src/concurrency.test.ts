// Concurrency: explainPrediction calls in flight together (each awaits the backend several
// times, so their steps interleave) must give the maps that the same calls give one by one.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendName, type Explanation, explainPrediction, imgToArray, type LoadedModel, loadImg, loadModel, setBackend } from './index.js';

const SAMPLES = ['chelsea.png', 'coffee.png', 'astronaut.png', 'rocket.jpg'].map((f) => new URL(`../../../examples/images/${f}`, import.meta.url));

/** Every image with every class: 4 × 5 = 20 calls, each with its own target. */
const CALLS = Array.from({ length: 20 }, (_, i) => ({ image: i % 4, target: Math.floor(i / 4) }));

const backends: BackendName[] = process.env.GRADCAM_SKIP_TFJS_NODE === '1' ? ['wasm'] : ['wasm', 'tensorflow'];

describe.each(backends)('20 concurrent explainPrediction calls (%s, bundled MobileNetV2)', (backend) => {
  let model: LoadedModel;
  let docs: tf.Tensor[];
  beforeAll(async () => {
    await setBackend(backend);
    model = await loadModel('nsfw_mobilenet_v2');
    const images = await Promise.all(SAMPLES.map((url) => loadImg(url, { targetSize: [224, 224] })));
    docs = images.map((img) => tf.tidy(() => model.preprocessInput(tf.expandDims(imgToArray(img), 0))));
  }, 60_000);
  afterAll(() => {
    tf.dispose(docs);
  });

  const run = (call: (typeof CALLS)[number], layer?: string) => explainPrediction(model, docs[call.image], { targets: [call.target], layer });
  const maps = (expls: Explanation[]) => expls.map((e) => Array.from(e.targets[0].heatmap.data));

  for (const layer of ['out_relu', 'block_9_expand']) {
    it(`at ${layer}: the same maps, targets and scores as serial calls, and no tensor left`, async () => {
      const serial: Explanation[] = [];
      for (const call of CALLS) serial.push(await run(call, layer));
      const before = tf.memory().numTensors;
      const concurrent = await Promise.all(CALLS.map((call) => run(call, layer)));
      expect(tf.memory().numTensors).toBe(before);
      expect(concurrent.map((e) => e.targets[0].target)).toEqual(CALLS.map((c) => c.target));
      expect(concurrent.map((e) => e.layer)).toEqual(serial.map((e) => e.layer));
      const [a, b] = [maps(concurrent), maps(serial)];
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) for (let j = 0; j < a[i].length; j++) maxDiff = Math.max(maxDiff, Math.abs(a[i][j] - b[i][j]));
      expect(maxDiff).toBeLessThanOrEqual(1e-6);
      for (let i = 0; i < CALLS.length; i++) expect(concurrent[i].targets[0].score).toBeCloseTo(serial[i].targets[0].score, 6);
      // The calls really differ: the maps of one image's five classes are not all the same.
      expect(new Set(b.filter((_, i) => CALLS[i].image === 0).map((m) => m.join(','))).size).toBeGreaterThan(1);
    }, 180_000);
  }
});
