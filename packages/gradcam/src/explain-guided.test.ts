import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './golden-fixture.js';
import { type BackendName, explainGuided, formatSignedHeatmap, imgToArray, type LoadedModel, loadImg, loadModel, setBackend } from './index.js';

// The reference: tools/golden/guided_backprop.py — the same weights in Keras 3 with guided ReLUs
// (tf.custom_gradient), d y[target] / d input by GradientTape, subsampled every 8th pixel.
interface GuidedGolden {
  stride: number;
  images: { file: string; target: number; maxAbs: number; subsample: number[][] }[];
}
const golden: GuidedGolden = JSON.parse(await readFile(fixture('nsfw-mobilenet-v2-guided-backprop.json'), 'utf8'));
const sample = (name: string) => fileURLToPath(new URL(`../../../examples/images/${name}`, import.meta.url));
const backend: BackendName = process.env.GRADCAM_SKIP_TFJS_NODE === '1' ? 'wasm' : 'tensorflow';

describe(`guided backpropagation and Guided Grad-CAM on nsfw_mobilenet_v2 (backend ${backend})`, () => {
  let model: LoadedModel;
  beforeAll(async () => {
    expect(await setBackend(backend)).toBe(backend);
    model = await loadModel('nsfw_mobilenet_v2');
  });

  for (const image of golden.images) {
    it(`${image.file}: the guided gradient equals TensorFlow's within 5e-3 (of max|g|); Guided Grad-CAM = gradient × upsampled CAM`, async () => {
      const img = await loadImg(sample(image.file), { targetSize: [224, 224] });
      const doc = tf.tidy(() => model.preprocessInput(tf.expandDims(imgToArray(img), 0)));
      const before = tf.memory().numTensors;
      const guided = await explainGuided(model, doc, { targets: [image.target] });
      expect(tf.memory().numTensors).toBe(before);
      doc.dispose();
      const [t] = guided.targets;
      const { width, height, channels, data } = t.guidedBackprop;
      expect([width, height, channels]).toEqual([224, 224, 3]);
      const maxAbs = data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      expect(Math.abs(maxAbs - image.maxAbs) / image.maxAbs).toBeLessThan(1e-3);
      let worst = 0;
      image.subsample.forEach((row, i) => {
        row.forEach((v, k) => {
          const j = Math.floor(k / 3);
          const c = k % 3;
          worst = Math.max(worst, Math.abs(data[(i * golden.stride * width + j * golden.stride) * 3 + c] / maxAbs - v));
        });
      });
      console.log(`guided backprop ${image.file}: max |g/max|g| − TF| = ${worst.toExponential(2)} (${backend})`);
      expect(worst).toBeLessThanOrEqual(5e-3);
      // Guided Grad-CAM: zero where the CAM is zero, signed, normalised to [-1, 1] in `heatmap`.
      expect(t.guidedGradCam.data.length).toBe(224 * 224 * 3);
      expect(Math.max(...t.heatmap.data.map(Math.abs))).toBeCloseTo(1, 4);
      const overlay = formatSignedHeatmap(t.heatmap, img);
      expect([overlay.width, overlay.height]).toEqual([224, 224]);
    }, 120_000);
  }
});
