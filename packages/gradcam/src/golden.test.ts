import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { differences, fixture, golden } from './golden-fixture.js';
import { type BackendName, decodeImage, explainPrediction, imgToArray, type LoadedModel, loadImg, loadModel, setBackend } from './index.js';

const sample = (name: string) => fileURLToPath(new URL(`../../../examples/images/${name}`, import.meta.url));
const fixtures = fixture;
const maxAbsDiff = (actual: Float32Array, expected: number[][]) => differences(actual, expected).max;

describe('the model input equals Keras load_img', () => {
  for (const image of golden.images) {
    it(`loadImg resizes ${image.file} like Keras load_img (Pillow NEAREST), byte for byte`, async () => {
      const ours = await loadImg(sample(image.file), { targetSize: [224, 224] });
      const pillow = decodeImage(new Uint8Array(await readFile(fixtures(image.resized))));
      expect(ours.width).toBe(224);
      expect(Buffer.from(ours.data).equals(Buffer.from(pillow.data))).toBe(true);
    });
  }
});

// tfjs-node is optional: GRADCAM_SKIP_TFJS_NODE=1 (documented, never set by CI) leaves it out;
// otherwise a missing 'tensorflow' backend fails this suite loudly.
const backends: BackendName[] = process.env.GRADCAM_SKIP_TFJS_NODE === '1' ? ['cpu', 'wasm'] : ['cpu', 'wasm', 'tensorflow'];

// The reference: TensorFlow 2.21 GradientTape on the same nsfwjs weights (tools/golden/nsfw_gradcam.py).
describe.each(backends)('Grad-CAM on the bundled nsfw_mobilenet_v2 equals TensorFlow (GradientTape) — backend %s', (backend) => {
  let model: LoadedModel;
  beforeAll(async () => {
    expect(await setBackend(backend)).toBe(backend);
    model = await loadModel('nsfw_mobilenet_v2');
  });

  for (const image of golden.images) {
    for (const logits of [false, true]) {
      const cases = image.cases.filter((c) => c.layer === 'out_relu' && c.logits === logits);
      it(`${image.file}: out_relu, top-2 targets, ${logits ? 'logits' : 'softmax'} — heatmaps within 5e-3`, async () => {
        const img = await loadImg(sample(image.file), { targetSize: [224, 224] });
        const doc = tf.tidy(() => model.preprocessInput(tf.expandDims(imgToArray(img), 0)));
        const before = tf.memory().numTensors;
        const expl = await explainPrediction(model, doc, { targets: cases.map((c) => c.target), logits });
        expect(tf.memory().numTensors).toBe(before);
        doc.dispose();
        expect(expl.backend).toBe(backend);
        expect(expl.layer).toBe('out_relu');
        expect(expl.estimator).toBe('model_1');
        expect(expl.method).toBe('Grad-CAM');
        for (const [i, c] of cases.entries()) {
          const t = expl.targets[i];
          expect(t.target).toBe(c.target);
          expect(t.label).toBe(model.labels[c.target]);
          expect(t.score).toBeCloseTo(c.score, 4);
          expect([t.heatmap.height, t.heatmap.width]).toEqual([7, 7]);
          expect(maxAbsDiff(t.heatmap.data, c.heatmap)).toBeLessThanOrEqual(5e-3);
        }
        for (const [k, p] of image.predictions.entries()) expect(expl.outputs[k]).toBeCloseTo(p, 4);
      }, 60_000);
    }
  }

  it('the default layer is out_relu and the default target is the predicted class', async () => {
    const image = golden.images[1];
    const img = await loadImg(sample(image.file), { targetSize: [224, 224] });
    const doc = tf.tidy(() => model.preprocessInput(imgToArray(img)));
    const expl = await explainPrediction(model, doc);
    doc.dispose();
    const argmax = image.predictions.indexOf(Math.max(...image.predictions));
    expect(expl.layer).toBe('out_relu');
    expect(expl.targets.map((t) => t.target)).toEqual([argmax]);
    const reference = image.cases.find((c) => c.layer === 'out_relu' && !c.logits && c.target === argmax);
    expect(maxAbsDiff(expl.targets[0].heatmap.data, reference!.heatmap)).toBeLessThanOrEqual(5e-3);
  }, 60_000);
});
