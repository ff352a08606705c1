import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMobileNetV2, writeKerasH5 } from '@gradcam/models';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { explainPrediction, listModels, loadModel, ModelLoadError, setBackend } from './index.js';

describe('ImageNet model ids in loadModel and listModels', () => {
  let dir: string;
  let weights: string;

  beforeAll(async () => {
    await setBackend('wasm');
    dir = await mkdtemp(join(tmpdir(), 'gradcam-load-model-'));
    // Random weights in the official file layout stand in for the ImageNet file (no network here).
    const reference = buildMobileNetV2();
    weights = join(dir, 'mobilenet_v2_random.h5');
    await writeFile(weights, await writeKerasH5(reference));
    reference.dispose();
  }, 60_000);

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('listModels: bundled ids, then the ImageNet ids with size, input, classes and cache state', async () => {
    const cacheDir = join(dir, 'empty-cache');
    const list = await listModels({ cacheDir });
    expect(list.map((m) => [m.id, m.source, m.classes, m.inputSize, m.cached])).toEqual([
      ['nsfw_mobilenet_v2', 'bundled', 5, [224, 224], true],
      ['nsfw_mobilenet_v2_mid', 'bundled', 5, [224, 224], true],
      ['nsfw_inception_v3', 'bundled', 5, [299, 299], true],
      ['mobilenet_v2', 'imagenet', 1000, [224, 224], false],
      ['nasnet_mobile', 'imagenet', 1000, [224, 224], false],
    ]);
    expect(list.find((m) => m.id === 'mobilenet_v2')?.sizeBytes).toBe(3_538_984 * 4);
    for (const m of list) expect(m.description.length).toBeGreaterThan(0);
    // A weight file in the cache folder under its official name counts as cached, with its size.
    const { mkdir, copyFile, stat } = await import('node:fs/promises');
    await mkdir(cacheDir, { recursive: true });
    await copyFile(weights, join(cacheDir, 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5'));
    const again = (await listModels({ cacheDir })).find((m) => m.id === 'mobilenet_v2');
    expect(again).toMatchObject({ cached: true, sizeBytes: (await stat(weights)).size });
  });

  it("loadModel('mobilenet_v2', { weights: path }): ImageNet labels and synset ids, [-1, 1] preprocessing, default layer out_relu", async () => {
    const model = await loadModel('mobilenet_v2', { weights });
    expect(model.id).toBe('mobilenet_v2');
    expect(model.inputShape).toEqual([null, 224, 224, 3]);
    expect(model.labels[243]).toBe('bull_mastiff');
    expect(model.classIds?.[243]).toBe('n02108422');
    expect(model.explainable.defaultLayer().name).toBe('out_relu');
    const x = tf.tensor3d([0, 127.5, 255], [1, 1, 3]);
    const pre = model.preprocessInput(x);
    expect(Array.from(pre.dataSync())).toEqual([-1, 0, 1]);
    tf.dispose([x, pre]);
    const doc = tf.tidy(() => model.preprocessInput(tf.randomUniform([1, 224, 224, 3], 0, 255, 'float32', 3)));
    const before = tf.memory().numTensors;
    const expl = await explainPrediction(model, doc, { targets: [243] });
    expect(tf.memory().numTensors).toBe(before);
    expect(expl.targets[0].heatmap.height).toBe(7);
    const top = model.decodePredictions(expl.outputs, 1)[0][0];
    expect(top.classId).toMatch(/^n\d{8}$/);
    expect(top.label).toBe(model.labels[top.index]);
    doc.dispose();
    (model.model as { dispose(): void }).dispose();
  }, 120_000);

  it('a missing local weight file is a ModelLoadError naming it; unknown ids list the ImageNet ids', async () => {
    await expect(loadModel('nasnet_mobile', { weights: join(dir, 'missing.h5') })).rejects.toThrow(/Cannot read the weight file '.*missing\.h5'/);
    const error = await loadModel('mobilenet_v3').catch((e: unknown) => e);
    expect(ModelLoadError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain("'mobilenet_v2', 'nasnet_mobile'");
    await expect(loadModel('nsfw_mobilenet_v2', { weights })).rejects.toThrow(/'weights' option applies to the ImageNet ids/);
  });
});
