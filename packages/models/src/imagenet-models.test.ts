import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { explain, imgToArray, ModelLoadError, toExplainableModel } from '@gradcam/core';
import { decodeImage } from '@gradcam/format';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildMobileNetV2, decodePredictions, IMAGENET_CLASS_INDEX, mobileNetV2, nasNet, preprocessInput, readKerasH5, setKerasWeights } from './index.js';

interface GoldenCase {
  layer: string;
  target: number;
  heatmap: number[][];
}
interface GoldenModel {
  builder: 'mobileNetV2' | 'nasNet';
  args: Record<string, unknown>;
  name: string;
  weights: string;
  layers: string[];
  images: { file: string; resized: string; predictions: number[]; cases: GoldenCase[] }[];
}
interface LayerRecord {
  name: string;
  className: string;
  outputShape: (number | null)[];
  paramCount: number;
}

const fixture = (name: string) => fileURLToPath(new URL(`./__fixtures__/imagenet/${name}`, import.meta.url));
const golden = JSON.parse(await readFile(fixture('imagenet-small-gradcam.json'), 'utf8')) as { models: Record<string, GoldenModel> };
const structure = JSON.parse(await readFile(fixture('structure.json'), 'utf8')) as {
  models: Record<string, { name: string; paramCount: number; layers: LayerRecord[] }>;
};

async function buildSmall(entry: GoldenModel, weights: string | null = fixture(entry.weights)): Promise<tfl.LayersModel> {
  const options = { ...entry.args, weights } as Parameters<typeof nasNet>[0] & Parameters<typeof mobileNetV2>[0];
  return entry.builder === 'nasNet' ? nasNet(options) : mobileNetV2(options);
}

/** Largest differences seen, printed at the end for the README. */
const worst: Record<string, { prediction: number; heatmap: number }> = {};

describe('small MobileNetV2 / NASNet with Keras legacy .h5 weights against Keras (tools/golden/imagenet_models.py)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const [key, entry] of Object.entries(golden.models)) {
    it(`${key}: structure, predictions within 1e-4, Grad-CAM at ${entry.layers.join(', ')}: each map's mean within 5e-3, cells within 5e-3 but for one map`, async () => {
      const baseline = tf.memory().numTensors;
      const model = await buildSmall(entry);
      // Adapting the model builds its inference form once (freed by model.dispose()).
      toExplainableModel(model);
      let flipped = 0;
      const theirs = structure.models[key];
      expect(model.name).toBe(theirs.name);
      expect(model.countParams()).toBe(theirs.paramCount);
      const ours = Object.fromEntries(
        model.layers.map((l) => [l.name, { name: l.name, className: l.getClassName(), outputShape: l.outputShape, paramCount: l.countParams() }]),
      );
      expect(ours).toEqual(Object.fromEntries(theirs.layers.map((l) => [l.name, l])));
      worst[key] = { prediction: 0, heatmap: 0 };
      for (const image of entry.images) {
        const img = decodeImage(new Uint8Array(await readFile(fixture(image.resized))));
        const doc = tf.tidy(() => preprocessInput(tf.expandDims(imgToArray(img), 0))) as tf.Tensor4D;
        for (const layer of entry.layers) {
          const cases = image.cases.filter((c) => c.layer === layer);
          const before = tf.memory().numTensors;
          const expl = await explain(model, doc, { layer, targets: cases.map((c) => c.target) });
          expect(tf.memory().numTensors).toBe(before);
          for (const [k, p] of image.predictions.entries()) {
            const d = Math.abs(expl.outputs[k] - p);
            worst[key].prediction = Math.max(worst[key].prediction, d);
            expect(d, `${image.file} probability ${k}`).toBeLessThanOrEqual(1e-4);
          }
          for (const [i, c] of cases.entries()) {
            const flat = c.heatmap.flat();
            const heat = expl.targets[i].heatmap.data;
            expect(heat.length).toBe(flat.length);
            const d = Math.max(...flat.map((v, j) => Math.abs(v - heat[j])));
            const mean = flat.reduce((sum, v, j) => sum + Math.abs(v - heat[j]), 0) / flat.length;
            worst[key].heatmap = Math.max(worst[key].heatmap, d);
            // One map may differ more: a ReLU6 input within float32 round-off of its threshold
            // (see the README's "Fidelity"); its mean still stays small.
            if (d > 5e-3) flipped++;
            expect(mean, `${image.file} ${layer} target ${c.target}`).toBeLessThanOrEqual(5e-3);
          }
        }
        doc.dispose();
      }
      expect(flipped, 'maps with a cell more than 5e-3 off').toBeLessThanOrEqual(1);
      model.dispose();
      expect(tf.memory().numTensors).toBe(baseline);
      console.log(`${key}: max |Δprobability| ${worst[key].prediction.toExponential(2)}, max |Δheatmap| ${worst[key].heatmap.toExponential(2)}`);
    }, 300_000);
  }

  it('a weight file of another architecture or width is refused with a ModelLoadError naming the layers or shapes', async () => {
    const mobile = golden.models.mobilenet_v2_small;
    const nas = golden.models.nasnet_small;
    const baseline = tf.memory().numTensors;
    await expect(buildSmall(nas, fixture(mobile.weights))).rejects.toThrow(/has no weights for \d+ layer\(s\) of NASNet: 'stem_conv1'/);
    const wider = { ...mobile, args: { ...mobile.args, alpha: 0.5 } };
    const error = await buildSmall(wider, fixture(mobile.weights)).catch((e: unknown) => e);
    expect(ModelLoadError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(
      /weight 'Conv1\/kernel:0' of layer 'Conv1' has shape \[3, 3, 3, 16\]; the model expects \[3, 3, 3, 16\]|layer '.+' has shape \[.+\]; the model expects \[.+\]/,
    );
    await expect(buildSmall(mobile, fixture('chelsea-96.png'))).rejects.toThrow(/not an HDF5 file/);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('reads the legacy layout: layer_names, weight_names, BatchNormalization weights in Keras order', async () => {
    const file = await readKerasH5(new Uint8Array(await readFile(fixture(golden.models.mobilenet_v2_small.weights))), 'mobilenet_v2_small.h5');
    expect(file.layerNames.slice(0, 3)).toEqual(['input_layer', 'Conv1', 'bn_Conv1']);
    expect(file.weights.get('bn_Conv1')?.map((w) => w.name)).toEqual([
      'bn_Conv1/gamma:0',
      'bn_Conv1/beta:0',
      'bn_Conv1/moving_mean:0',
      'bn_Conv1/moving_variance:0',
    ]);
    expect(file.weights.has('input_layer')).toBe(false);
  });

  it('pairs a weighted layer stored under another name by order and shape (older Keras named the MobileNetV2 classifier Logits)', async () => {
    const entry = golden.models.mobilenet_v2_small;
    const file = await readKerasH5(new Uint8Array(await readFile(fixture(entry.weights))), entry.weights);
    const renamed = {
      layerNames: file.layerNames.map((n) => (n === 'predictions' ? 'Logits' : n)),
      weights: new Map([...file.weights].map(([n, w]) => [n === 'predictions' ? 'Logits' : n, w])),
    };
    const model = buildMobileNetV2({ alpha: 0.35, inputShape: [96, 96, 3], classes: 10 });
    setKerasWeights(model, renamed, 'renamed.h5');
    const kernel = model.getLayer('predictions').getWeights()[0];
    expect(Array.from(kernel.dataSync().slice(0, 5))).toEqual(Array.from((file.weights.get('predictions') ?? [])[0].values.slice(0, 5)));
    // Without a layer of the same shapes to pair with, the missing layers are listed.
    const dropped = { layerNames: renamed.layerNames, weights: new Map([...renamed.weights].filter(([n]) => n !== 'Logits')) };
    expect(() => setKerasWeights(model, dropped, 'dropped.h5')).toThrow(/'dropped\.h5' has no weights for 1 layer\(s\) of mobilenetv2_0\.35_96: 'predictions'/);
    model.dispose();
  });
});

describe('ImageNet classes and decodePredictions', () => {
  it('has the 1000 Keras classes in order, with synset ids', () => {
    expect(IMAGENET_CLASS_INDEX).toHaveLength(1000);
    expect(IMAGENET_CLASS_INDEX[243]).toEqual(['n02108422', 'bull_mastiff']);
    expect(IMAGENET_CLASS_INDEX[0]).toEqual(['n01440764', 'tench']);
    expect(IMAGENET_CLASS_INDEX[999]).toEqual(['n15075141', 'toilet_tissue']);
    expect(new Set(IMAGENET_CLASS_INDEX.map(([id]) => id)).size).toBe(1000);
  });

  it('decodes the top classes per sample, like keras decode_predictions, without leaking tensors', () => {
    const scores = new Float32Array(2000);
    scores[243] = 0.7;
    scores[281] = 0.2;
    scores[1000 + 999] = 0.9;
    const preds = tf.tensor2d(scores, [2, 1000]);
    const before = tf.memory().numTensors;
    const decoded = decodePredictions(preds, 2);
    expect(tf.memory().numTensors).toBe(before);
    expect(decoded[0]).toEqual([
      { classId: 'n02108422', label: 'bull_mastiff', score: expect.closeTo(0.7, 6), index: 243 },
      { classId: 'n02123045', label: 'tabby', score: expect.closeTo(0.2, 6), index: 281 },
    ]);
    expect(decoded[1][0]).toMatchObject({ classId: 'n15075141', label: 'toilet_tissue', index: 999 });
    expect(() => decodePredictions(tf.zeros([1, 10]))).toThrow(/\[samples, 1000\]/);
    preds.dispose();
  });

  it('preprocessInput maps [0, 255] to [-1, 1]', () => {
    const x = tf.tensor1d([0, 127.5, 255]);
    const y = preprocessInput(x);
    expect(Array.from(y.dataSync())).toEqual([-1, 0, 1]);
    tf.dispose([x, y]);
  });
});
