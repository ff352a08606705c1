import { readFile } from 'node:fs/promises';
import { road } from '@gradcam/core/metrics';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './golden-fixture.js';
import {
  type BackendName,
  detectionTarget,
  explainPrediction,
  integratedGradients,
  type LoadedModel,
  loadModel,
  occlusionSensitivity,
  regressionTarget,
  segmentationTarget,
  setBackend,
  smoothGrad,
} from './index.js';

// The reference: tools/golden/keras_goldens.py — Keras 3 models saved as .keras and .h5, and
// TensorFlow GradientTape / model calls on them (see __fixtures__/README.md).
type Rows = number[][];
interface Golden {
  images: { pixels: number[]; size: number }[];
  loading: { model: string; files: string[]; image: number; preprocess: string; predictions: number[]; target: number; gradcam: Record<string, Rows> }[];
  targets: {
    regression: { model: string; layer: string; score: number; gradcam: Rows };
    segmentation: { model: string; layer: string; category: number; mask: number[]; score: number; gradcam: Rows };
    detection: { model: string; layer: string; box: [number, number, number, number]; classId: number; iouThreshold: number; score: number; gradcam: Rows };
  };
  methods: Record<string, { raw?: Rows; heatmap?: Rows; layers?: string[]; layer?: string }> & { target: number };
  road: { target: number; fractions: number[]; noise: number; seed: number; heatmap: Rows; original: number; morf: number[]; lerf: number[] };
}
const golden: Golden = JSON.parse(await readFile(fixture('keras/keras-goldens.json'), 'utf8'));
const backend: BackendName = process.env.GRADCAM_SKIP_TFJS_NODE === '1' ? 'cpu' : 'tensorflow';
const TOLERANCE = 1e-4;

/** max |actual − expected| / max |expected| */
function relativeError(actual: ArrayLike<number>, expected: Rows): number {
  const flat = expected.flat();
  expect(actual.length).toBe(flat.length);
  const scale = Math.max(...flat.map(Math.abs), 1e-30);
  return flat.reduce((m, v, i) => Math.max(m, Math.abs(v - actual[i])), 0) / scale;
}

const models = new Map<string, LoadedModel>();
const model = async (file: string) => {
  if (!models.has(file)) models.set(file, await loadModel(fixture(`keras/${file}`)));
  return models.get(file) as LoadedModel;
};
const docOf = (m: LoadedModel, image: number) => {
  const { pixels, size } = golden.images[image];
  return tf.tidy(() => m.preprocessInput(tf.tensor4d(pixels, [1, size, size, 3], 'float32'))) as tf.Tensor4D;
};

beforeAll(async () => {
  expect(await setBackend(backend)).toBe(backend);
});

describe(`Keras model files (.keras, .h5) load and explain as Keras computes (backend ${backend})`, () => {
  for (const c of golden.loading) {
    for (const file of c.files) {
      it(`${file}, image ${c.image}: predictions and Grad-CAM at ${Object.keys(c.gradcam).join(', ')}`, async () => {
        const m = await model(file);
        expect(m.preprocessInput === undefined).toBe(false);
        const doc = docOf(m, c.image);
        try {
          const predictions = tf.tidy(() => (m.model as { predict(x: tf.Tensor): tf.Tensor }).predict(doc).dataSync());
          expect(relativeError(predictions, [c.predictions])).toBeLessThan(1e-5);
          for (const [layer, heatmap] of Object.entries(c.gradcam)) {
            const before = tf.memory().numTensors;
            const expl = await explainPrediction(m, doc, { targets: [c.target], layer });
            expect(tf.memory().numTensors).toBe(before);
            expect(relativeError(expl.targets[0].heatmap.data, heatmap)).toBeLessThan(TOLERANCE);
          }
        } finally {
          doc.dispose();
        }
      });
    }
  }
});

describe('target functions match GradientTape on regression, segmentation and detection models', () => {
  it('regressionTarget, segmentationTarget, detectionTarget: scores and Grad-CAM maps', async () => {
    const { regression, segmentation, detection } = golden.targets;
    const cases = [
      { g: regression, target: regressionTarget(0) },
      { g: segmentation, target: segmentationTarget(segmentation.category, { width: 32, height: 32, data: segmentation.mask }) },
      {
        g: detection,
        target: detectionTarget({ boxes: [detection.box], classIds: detection.classId, iouThreshold: detection.iouThreshold, format: 'cxcywh' }),
      },
    ];
    for (const { g, target } of cases) {
      const m = await model(g.model);
      const doc = docOf(m, 0);
      const before = tf.memory().numTensors;
      const expl = await explainPrediction(m, doc, { targets: [target], layer: g.layer });
      expect(tf.memory().numTensors).toBe(before);
      expect(expl.targets[0].score).not.toBe(0);
      expect(expl.targets[0].name).toBe(target.targetName);
      expect(expl.targets[0].score).toBeCloseTo(g.score, 4);
      expect(relativeError(expl.targets[0].heatmap.data, g.gradcam)).toBeLessThan(TOLERANCE);
      // explainBatch gives each image the same as explain.
      const [batched] = await (await import('./index.js')).explainBatch(m, [doc], { targets: [target], layer: g.layer });
      expect(relativeError(batched.targets[0].heatmap.data, g.gradcam)).toBeLessThan(TOLERANCE);
      doc.dispose();
    }
  });

  it('a class id needs a classifier output: the error names the target functions', async () => {
    const m = await model(golden.targets.segmentation.model);
    const doc = docOf(m, 0);
    await expect(explainPrediction(m, doc, { targets: [1] })).rejects.toThrow(/needs a classifier output.*segmentationTarget/);
    doc.dispose();
  });
});

describe('AblationCAM, Integrated Gradients, SmoothGrad, Occlusion, Score-CAM on logits, several layers: TensorFlow references', () => {
  const { methods } = golden;
  const raw = async (
    method: Parameters<typeof explainPrediction>[2] extends infer O ? (O extends { method?: infer M } ? M : never) : never,
    layer?: string,
  ) => {
    const m = await model('small_cnn.keras');
    const doc = docOf(m, 0);
    const before = tf.memory().numTensors;
    const expl = await explainPrediction(m, doc, { method, targets: [methods.target], layer, relu: false, normalize: false, batchSize: 5 });
    expect(tf.memory().numTensors).toBe(before);
    doc.dispose();
    return expl.targets[0].heatmap.data;
  };
  it('integrated-gradients (8 steps), smoothgrad (4 samples, seed 0), occlusion (window 8, stride 4)', async () => {
    expect(relativeError(await raw(integratedGradients({ steps: 8 })), methods.integratedGradients.raw as Rows)).toBeLessThan(TOLERANCE);
    expect(relativeError(await raw(smoothGrad({ samples: 4, noise: 0.15, seed: 0 })), methods.smoothGrad.raw as Rows)).toBeLessThan(TOLERANCE);
    expect(relativeError(await raw(occlusionSensitivity({ window: 8, stride: 4 })), methods.occlusion.raw as Rows)).toBeLessThan(TOLERANCE);
  });
  it('ablationcam and scorecam (pre-softmax scores by default on a softmax model) at sep', async () => {
    expect(relativeError(await raw('ablationcam', 'sep'), methods.ablationcam.raw as Rows)).toBeLessThan(TOLERANCE);
    expect(relativeError(await raw('scorecam', 'sep'), methods.scorecamLogits.raw as Rows)).toBeLessThan(TOLERANCE);
  });
  it('several layers: each map resized to the largest, averaged, normalised again', async () => {
    const m = await model('small_cnn.keras');
    const doc = docOf(m, 0);
    const expl = await explainPrediction(m, doc, { targets: [methods.target], layer: methods.multiLayer.layers });
    doc.dispose();
    expect(expl.layer).toBe('conv1+sep');
    expect(relativeError(expl.targets[0].heatmap.data, methods.multiLayer.heatmap as Rows)).toBeLessThan(TOLERANCE);
  });
});

describe('ROAD equals its reference (sparse-solve imputation, seeded noise, Keras scores)', () => {
  it('most and least relevant first at 20, 50, 80 % removed', async () => {
    const g = golden.road;
    const m = await model('small_cnn.keras');
    const doc = docOf(m, 0);
    const heat = g.heatmap;
    const heatmap = { width: heat[0].length, height: heat.length, data: Float32Array.from(heat.flat()) };
    const before = tf.memory().numTensors;
    const result = await road(m.explainable, doc, heatmap, { target: g.target, fractions: g.fractions, noise: g.noise, seed: g.seed });
    expect(tf.memory().numTensors).toBe(before);
    doc.dispose();
    expect(result.original).toBeCloseTo(g.original, 5);
    // 1e-3, not 1e-4: the removal order follows the upsampled map, whose float32 values (tfjs vs
    // TF) can swap near-ties; measured 5.5e-4 on tfjs-node.
    expect(relativeError(result.morf.scores, [g.morf])).toBeLessThan(1e-3);
    expect(relativeError(result.lerf.scores, [g.lerf])).toBeLessThan(1e-3);
    expect(result.combined).toBeCloseTo((result.lerf.meanChange - result.morf.meanChange) / 2, 10);
  });
});
