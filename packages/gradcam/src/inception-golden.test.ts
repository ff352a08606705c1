import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { differences } from './golden-fixture.js';
import { type BackendName, decodeImage, explainPrediction, imgToArray, type LoadedModel, loadModel, setBackend } from './index.js';

// The fixture of tools/golden/inception_gradcam.py lives with the models package.
const fixture = (name: string) => new URL(`../../models/src/__fixtures__/${name}`, import.meta.url);
const golden: {
  images: { file: string; resized: string; predictions: number[]; cases: { layer: string; target: number; logits: boolean; heatmap: number[][] }[] }[];
} = JSON.parse(await readFile(fixture('nsfw-inception-v3-gradcam.json'), 'utf8'));

// InceptionV3 at mixed2, mixed5 and mixed10 on wasm and tfjs-node (GRADCAM_SKIP_TFJS_NODE=1,
// documented and never set in CI, leaves tfjs-node out). mixed2 sits before a stride-2 max-pooling
// block: on wasm it needs @gradcam/backend-wasm's MaxPoolGrad. The cpu backend would block the
// event loop for minutes here; graph-ops.test.ts in @gradcam/models covers its layer
// replacements on cpu.
const backends: BackendName[] = process.env.GRADCAM_SKIP_TFJS_NODE === '1' ? ['wasm'] : ['wasm', 'tensorflow'];

describe.each(backends)('nsfw_inception_v3 against TensorFlow GradientTape (tools/golden/inception_gradcam.py) — %s', (backend) => {
  let model: LoadedModel;
  beforeAll(async () => {
    await setBackend(backend);
    model = await loadModel('nsfw_inception_v3');
  });

  for (const image of golden.images) {
    it(`${image.file}: every stored layer, two targets, softmax and logits (max ≤ 5e-3, mean ≤ 5e-4)`, async () => {
      const img = decodeImage(new Uint8Array(await readFile(fixture(image.resized))));
      const doc = tf.tidy(() => model.preprocessInput(tf.expandDims(imgToArray(img), 0)));
      const groups = new Map<string, typeof image.cases>();
      for (const c of image.cases) groups.set(`${c.layer}|${c.logits}`, [...(groups.get(`${c.layer}|${c.logits}`) ?? []), c]);
      for (const cases of groups.values()) {
        const { layer, logits } = cases[0];
        const before = tf.memory().numTensors;
        const expl = await explainPrediction(model, doc, { layer, logits, targets: cases.map((c) => c.target) });
        expect(tf.memory().numTensors).toBe(before);
        for (const [k, p] of image.predictions.entries()) expect(Math.abs(expl.outputs[k] - p)).toBeLessThanOrEqual(1e-4);
        for (const [i, c] of cases.entries()) {
          const { max, mean } = differences(expl.targets[i].heatmap.data, c.heatmap);
          // Through a softmax, a target below 1% probability amplifies float32 round-off.
          const small = !logits && image.predictions[c.target] < 0.01;
          expect(max, `${layer} target ${c.target} ${logits ? 'logits' : 'softmax'}`).toBeLessThanOrEqual(small ? 3e-2 : 5e-3);
          expect(mean).toBeLessThanOrEqual(5e-4);
        }
      }
      doc.dispose();
    }, 120_000);
  }
});
