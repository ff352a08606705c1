import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { explain } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import './index.js'; // registers the LayersModel adapter

interface GoldenCase {
  layer: string;
  target: number;
  logits: boolean;
  heatmap: number[][];
}
interface GoldenImage {
  file: string;
  resized?: string;
  input?: number[];
  predictions: number[];
  cases: GoldenCase[];
}

const fixture = (name: string) => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));
const readJson = async <T>(name: string): Promise<T> => JSON.parse(await readFile(fixture(name), 'utf8'));

async function loadFixtureModel(dir: string): Promise<tfl.LayersModel> {
  const json = await readJson<{ modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] }>(`${dir}/model.json`);
  const weights = await readFile(fixture(`${dir}/weights.bin`));
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: new Uint8Array(weights).buffer,
    }),
  );
}

/** Checks every case of one image: the bounds (max 5e-3, mean 5e-4; 3e-2 below 1%). */
async function checkImage(model: tfl.LayersModel, doc: tf.Tensor4D, image: GoldenImage): Promise<void> {
  const groups = new Map<string, GoldenCase[]>();
  for (const c of image.cases) groups.set(`${c.layer}|${c.logits}`, [...(groups.get(`${c.layer}|${c.logits}`) ?? []), c]);
  for (const cases of groups.values()) {
    const { layer, logits } = cases[0];
    const before = tf.memory().numTensors;
    const expl = await explain(model, doc, { layer, logits, targets: cases.map((c) => c.target) });
    expect(tf.memory().numTensors).toBe(before);
    expect(expl.layer).toBe(layer);
    for (const [k, p] of image.predictions.entries()) expect(Math.abs(expl.outputs[k] - p), `probability ${k}`).toBeLessThanOrEqual(1e-4);
    for (const [i, c] of cases.entries()) {
      const flat = c.heatmap.flat();
      const ours = expl.targets[i].heatmap.data;
      expect(ours.length).toBe(flat.length);
      const diffs = flat.map((v, j) => Math.abs(v - ours[j]));
      const small = !logits && image.predictions[c.target] < 0.01;
      expect(Math.max(...diffs), `${image.file} ${layer} target ${c.target} ${logits ? 'logits' : 'softmax'}`).toBeLessThanOrEqual(small ? 3e-2 : 5e-3);
      expect(diffs.reduce((a, b) => a + b, 0) / diffs.length).toBeLessThanOrEqual(5e-4);
    }
  }
}

const toy = await readJson<{ models: Record<string, { dir: string; images: GoldenImage[] }> }>('toy-gradcam.json');

describe('small models against TensorFlow GradientTape (tools/golden/toy_gradcam.py)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const [name, entry] of Object.entries(toy.models)) {
    it(`${name}: every layer, two targets, softmax and logits`, async () => {
      const model = await loadFixtureModel(entry.dir);
      for (const image of entry.images) {
        const doc = tf.tensor4d(image.input as number[], [1, 24, 24, 3]);
        await checkImage(model, doc, image);
        doc.dispose();
      }
    });
  }
});

// nsfw_inception_v3 against its TensorFlow fixture runs in the umbrella package
// (packages/gradcam/src/inception-golden.test.ts), on wasm and tfjs-node, which this package
// cannot depend on.
