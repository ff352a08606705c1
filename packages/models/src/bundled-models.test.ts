import { explain } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_MODEL_IDS, bundledModelInfo, loadBundledModel } from './index.js';

describe('bundled offline models', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('lists the three nsfwjs models, default first', () => {
    expect(BUNDLED_MODEL_IDS).toEqual(['nsfw_mobilenet_v2', 'nsfw_mobilenet_v2_mid', 'nsfw_inception_v3']);
    expect(bundledModelInfo('nsfw_inception_v3')?.inputSize).toEqual([299, 299]);
    expect(bundledModelInfo('nope')).toBeUndefined();
  });

  it('sizeBytes is the size of the files of each weights package, which say they hold that model', async () => {
    const { stat } = await import('node:fs/promises');
    const { fileURLToPath } = await import('node:url');
    const packages = {
      nsfw_mobilenet_v2: await import('@gradcam/weights-nsfw-mobilenet-v2'),
      nsfw_mobilenet_v2_mid: await import('@gradcam/weights-nsfw-mobilenet-v2-mid'),
      nsfw_inception_v3: await import('@gradcam/weights-nsfw-inception-v3'),
    };
    for (const id of BUNDLED_MODEL_IDS) {
      const pkg = packages[id as keyof typeof packages];
      const info = bundledModelInfo(id);
      expect([pkg.modelId, pkg.packageName], id).toEqual([id, info?.package]);
      const files = [pkg.modelJson, ...pkg.weightFiles];
      const onDisk = await Promise.all(files.map(async (f) => (await stat(fileURLToPath(f.url))).size));
      expect(onDisk, id).toEqual(files.map((f) => f.bytes));
      expect(info?.sizeBytes, id).toBe(onDisk.reduce((a, b) => a + b, 0));
    }
    expect(BUNDLED_MODEL_IDS.map((id) => bundledModelInfo(id)?.installedWithModels)).toEqual([true, false, false]);
  });

  it('loads nsfw_mobilenet_v2 as a Keras MobileNetV2 layers model', async () => {
    const model = await loadBundledModel('nsfw_mobilenet_v2');
    expect('layers' in model && model.layers.map((l) => l.name)).toContain('out_relu');
    const y = model.predict(tf.fill([1, 224, 224, 3], 0.5)) as tf.Tensor;
    expect(y.shape).toEqual([1, 5]);
    expect(tf.sum(y).dataSync()[0]).toBeCloseTo(1, 5);
  }, 60_000);

  it('loads the graph model and explains it at its last 4-D node, also with logits', async () => {
    const model = await loadBundledModel('nsfw_mobilenet_v2_mid');
    const x = tf.fill([1, 224, 224, 3], 0.5);
    const before = tf.memory().numTensors;
    const expl = await explain(model, x, { targets: { top: 2 }, logits: true });
    expect(tf.memory().numTensors).toBe(before);
    expect(expl.layer).toBe('MobilenetV2/Conv_1/Relu6');
    expect([expl.targets[0].heatmap.width, expl.targets[0].heatmap.height]).toEqual([7, 7]);
    const probs = expl.outputs;
    expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(expl.targets[0].proba).toBeCloseTo(Math.max(...probs), 5);
  }, 60_000);

  it('loads nsfw_inception_v3 (299×299)', async () => {
    const model = await loadBundledModel('nsfw_inception_v3');
    expect('inputs' in model && model.inputs[0].shape).toEqual([null, 299, 299, 3]);
  }, 120_000);

  it('rejects an unknown id with the list of bundled ids', async () => {
    await expect(loadBundledModel('resnet')).rejects.toThrow(/nsfw_mobilenet_v2/);
  });
});
