import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  BackendUnavailableError,
  explainBatch,
  explainPrediction,
  formatAsImage,
  loadModel,
  ModelLoadError,
  setBackend,
  showPrediction,
  stripSoftmax,
} from './index.js';

describe('the ELI5-shaped facade', () => {
  beforeAll(async () => {
    await setBackend('wasm');
  });

  it('loadModel describes the bundled default model', async () => {
    const model = await loadModel();
    expect(model.id).toBe('nsfw_mobilenet_v2');
    expect(model.inputShape).toEqual([null, 224, 224, 3]);
    expect(model.labels).toEqual(['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']);
    const x = tf.fill([2, 2, 3], 255);
    const pre = model.preprocessInput(x);
    expect(pre.shape).toEqual([2, 2, 3]);
    expect(pre.dataSync()[0]).toBeCloseTo(1, 6);
    expect(model.decodePredictions([[0.1, 0.2, 0.6, 0.05, 0.05]], 2)).toEqual([
      [
        { index: 2, label: 'Neutral', score: 0.6 },
        { index: 1, label: 'Hentai', score: 0.2 },
      ],
    ]);
  });

  it('showPrediction overlays the chosen target on the image rebuilt from doc, as ELI5 does', async () => {
    const model = await loadModel();
    const doc = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 3);
    const before = tf.memory().numTensors;
    const expl = await explainPrediction(model, doc, { targets: [2, 0] });
    const first = await showPrediction(model, doc, { targets: [2, 0] });
    const second = await showPrediction(model, doc, { targets: [2, 0], target: 0 });
    expect(tf.memory().numTensors).toBe(before);
    expect([first.width, first.height]).toEqual([224, 224]);
    expect(first.data).toEqual(formatAsImage(expl).data);
    expect(Buffer.from(first.data).equals(Buffer.from(second.data))).toBe(false);
    expect(expl.image).toBeDefined();
  }, 60_000);

  it('loads a tfjs model.json from a path, weights read beside it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradcam-model-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'conv' }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
    await model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        const weightsManifest = [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }];
        await writeFile(join(dir, 'model.json'), JSON.stringify({ modelTopology: artifacts.modelTopology, weightsManifest }));
        await writeFile(join(dir, 'weights.bin'), new Uint8Array(artifacts.weightData as ArrayBuffer));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const loaded = await loadModel(join(dir, 'model.json'), { labels: ['a', 'b', 'c'] });
    const x = tf.randomUniform([1, 8, 8, 3]);
    expect((loaded.model as tfl.LayersModel).predict(x)).toBeInstanceOf(tf.Tensor);
    const expl = await explainPrediction(loaded, x, { targets: { top: 3 } });
    expect(expl.layer).toBe('conv');
    expect(expl.targets.map((t) => t.label).sort()).toEqual(['a', 'b', 'c']);
    await expect(loadModel(join(dir, 'nope.json'))).rejects.toThrow(ModelLoadError);
  });

  it('stripSoftmax gives the same maps as logits: true; explainBatch labels each image', async () => {
    const model = await loadModel();
    const doc = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 11);
    const viaOption = await explainPrediction(model, doc, { logits: true, targets: [2] });
    const stripped = await loadModel(await stripSoftmax(model.model as tfl.LayersModel), { labels: model.labels });
    const viaModel = await explainPrediction(stripped, doc, { targets: [2] });
    expect(viaModel.targets[0].score).toBeCloseTo(viaOption.targets[0].score, 4);
    const a = viaModel.targets[0].heatmap.data;
    const maxDiff = viaOption.targets[0].heatmap.data.reduce((m, v, i) => Math.max(m, Math.abs(v - a[i])), 0);
    expect(maxDiff).toBeLessThan(1e-5);
    const batch = await explainBatch(model, tf.concat([doc, tf.zeros([1, 224, 224, 3])]));
    expect(batch).toHaveLength(2);
    expect(batch[0].targets[0].label).toBe(model.labels[batch[0].targets[0].target]);
    // each image rebuilt from its doc, as explainPrediction does
    expect(batch[0].image?.data).toEqual((await explainPrediction(model, doc)).image?.data);
  }, 60_000);

  it('names what is valid when a model id or a backend is unknown', async () => {
    await expect(loadModel('mobilenet')).rejects.toThrow(/Unknown model 'mobilenet'.*'nsfw_mobilenet_v2'/);
    await expect(setBackend('gpu' as never)).rejects.toThrow(BackendUnavailableError);
    await expect(setBackend('gpu' as never)).rejects.toThrow(/No backend 'gpu' is registered\. Backends here: 'auto', 'tensorflow', 'wasm', 'cpu'/);
  });
});
