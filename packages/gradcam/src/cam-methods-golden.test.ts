import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './golden-fixture.js';
import { type BackendName, explainPrediction, imgToArray, type LoadedModel, loadImg, loadModel, setBackend } from './index.js';

// The reference: tools/golden/cam_methods.py — pytorch-grad-cam's formulas on TensorFlow 2.21
// GradientTape gradients of the same nsfwjs weights; Score-CAM scored by the TF model.
interface MethodCase {
  method: string;
  target: number;
  eigenSmooth: boolean;
  counterfactual: boolean;
  raw: number[][];
}
interface MethodGolden {
  versions: Record<string, string>;
  images: { file: string; targets: number[]; predictions: number[]; layers: { layer: string; shape: number[]; cases: MethodCase[] }[] }[];
}
const golden: MethodGolden = JSON.parse(await readFile(fixture('nsfw-mobilenet-v2-cam-methods.json'), 'utf8'));
const sample = (name: string) => fileURLToPath(new URL(`../../../examples/images/${name}`, import.meta.url));

/** The pipeline's post-processing, in float64: ReLU, then / (max|·| + 1e-7) for ELI5's Grad-CAM, / max|·| for the others. */
function normalise(raw: number[][], relu: boolean, method = 'gradcam'): number[] {
  const flat = raw.flat().map((v) => (relu ? Math.max(v, 0) : v));
  const max = Math.max(...flat.map(Math.abs));
  const by = method === 'gradcam' ? max + 1e-7 : max;
  return flat.map((v) => (by > 0 ? v / by : 0));
}
const maxDiff = (actual: Float32Array, expected: number[]) => {
  expect(actual.length).toBe(expected.length);
  return expected.reduce((m, v, i) => Math.max(m, Math.abs(v - actual[i])), 0);
};

const TOLERANCE = 5e-3;
// Score-CAM runs the model once per channel (1280 + 576 per image, ~3 minutes on 2 cores): only
// on the first image, without eigenSmooth (which the other weight methods cover).
const SCORECAM_IMAGES = 1;
const backend: BackendName = process.env.GRADCAM_SKIP_TFJS_NODE === '1' ? 'wasm' : 'tensorflow';
const worst = new Map<string, number>();
const record = (key: string, diff: number) => worst.set(key, Math.max(worst.get(key) ?? 0, diff));
afterAll(() => {
  console.log(`max |heatmap − TF reference| per method (${backend}):\n${[...worst].map(([k, v]) => `  ${k.padEnd(28)} ${v.toExponential(2)}`).join('\n')}`);
});

describe(`every CAM method equals its TensorFlow reference on nsfw_mobilenet_v2 (backend ${backend})`, () => {
  let model: LoadedModel;
  beforeAll(async () => {
    expect(await setBackend(backend)).toBe(backend);
    model = await loadModel('nsfw_mobilenet_v2');
  });

  golden.images.forEach((image, imageIndex) => {
    for (const { layer, shape, cases } of image.layers) {
      const variants = [...new Set(cases.map((c) => `${c.eigenSmooth}/${c.counterfactual}`))];
      for (const variant of variants) {
        const [eigenSmooth, counterfactual] = variant.split('/').map((v) => v === 'true');
        const methods = [...new Set(cases.filter((c) => c.eigenSmooth === eigenSmooth && c.counterfactual === counterfactual).map((c) => c.method))].filter(
          (m) => m !== 'scorecam' || (imageIndex < SCORECAM_IMAGES && !eigenSmooth),
        );
        const label = `${image.file} at ${layer}${eigenSmooth ? ', eigenSmooth' : ''}${counterfactual ? ', counterfactual' : ''}`;
        it(`${label}: ${methods.length} methods × ${image.targets.length} targets, heatmaps within ${TOLERANCE} (also with relu: false)`, async () => {
          const img = await loadImg(sample(image.file), { targetSize: [224, 224] });
          const doc = tf.tidy(() => model.preprocessInput(tf.expandDims(imgToArray(img), 0)));
          try {
            for (const method of methods) {
              const expected = cases.filter((c) => c.method === method && c.eigenSmooth === eigenSmooth && c.counterfactual === counterfactual);
              for (const relu of [true, false]) {
                if (!relu && (method === 'scorecam' || eigenSmooth || counterfactual)) continue; // one signed check per method is enough
                const before = tf.memory().numTensors;
                const expl = await explainPrediction(model, doc, {
                  method,
                  layer,
                  targets: image.targets,
                  eigenSmooth,
                  counterfactual,
                  relu,
                  batchSize: 64,
                  // The reference scores Score-CAM's masked images on probabilities.
                  logits: false,
                });
                expect(tf.memory().numTensors).toBe(before);
                expect(expl.targets.map((t) => t.target)).toEqual(expected.map((c) => c.target));
                for (const [i, c] of expected.entries()) {
                  const t = expl.targets[i];
                  expect([t.heatmap.height, t.heatmap.width]).toEqual(shape.slice(0, 2));
                  const diff = maxDiff(t.heatmap.data, normalise(c.raw, relu, method));
                  record(`${method}${relu ? '' : ' (relu false)'}${eigenSmooth ? ' (eigenSmooth)' : ''}${counterfactual ? ' (counterf.)' : ''}`, diff);
                  expect(diff, `${method} target ${c.target} relu ${relu}`).toBeLessThanOrEqual(TOLERANCE);
                }
              }
            }
          } finally {
            doc.dispose();
          }
        }, 600_000);
      }
    }
  });
});

interface AugGolden {
  images: { file: string; targets: number[]; layer: string; cases: { method: string; target: number; heatmap: number[][] }[] }[];
}
const augGolden: AugGolden = JSON.parse(await readFile(fixture('nsfw-mobilenet-v2-aug-smooth.json'), 'utf8'));

describe(`augSmooth equals pytorch-grad-cam's aug_smooth computed in TensorFlow (backend ${backend})`, () => {
  let model: LoadedModel;
  beforeAll(async () => {
    expect(await setBackend(backend)).toBe(backend);
    model = await loadModel('nsfw_mobilenet_v2');
  });

  for (const image of augGolden.images) {
    it(`${image.file} at ${image.layer}: flip × brightness 0.9/1/1.1, maps averaged, within ${TOLERANCE}`, async () => {
      const img = await loadImg(sample(image.file), { targetSize: [224, 224] });
      const doc = tf.tidy(() => model.preprocessInput(tf.expandDims(imgToArray(img), 0)));
      try {
        for (const method of [...new Set(image.cases.map((c) => c.method))]) {
          const before = tf.memory().numTensors;
          const expl = await explainPrediction(model, doc, { method, layer: image.layer, targets: image.targets, augSmooth: true });
          expect(tf.memory().numTensors).toBe(before);
          for (const c of image.cases.filter((x) => x.method === method)) {
            const t = expl.targets.find((x) => x.target === c.target);
            const diff = maxDiff((t as (typeof expl.targets)[number]).heatmap.data, c.heatmap.flat());
            record(`${method} (augSmooth)`, diff);
            expect(diff).toBeLessThanOrEqual(TOLERANCE);
          }
        }
      } finally {
        doc.dispose();
      }
    }, 120_000);
  }
});
