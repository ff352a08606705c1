import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { LayersModelAdapter } from './layers-model-adapter.js';
import { buildMobileNetV2 } from './mobilenet-v2.js';
import { buildNASNet, NASNET_MOBILE } from './nasnet.js';

interface LayerRecord {
  name: string;
  className: string;
  outputShape: (number | null)[];
  paramCount: number;
}
interface ModelRecord {
  name: string;
  paramCount: number;
  layers: LayerRecord[];
}

const fixture = fileURLToPath(new URL('./__fixtures__/imagenet/structure.json', import.meta.url));
const keras = JSON.parse(await readFile(fixture, 'utf8')) as { models: Record<string, ModelRecord> };

function structure(model: tfl.LayersModel): ModelRecord {
  return {
    name: model.name,
    paramCount: model.countParams(),
    layers: model.layers.map((l) => ({
      name: l.name,
      className: l.getClassName(),
      outputShape: l.outputShape as (number | null)[],
      paramCount: l.countParams(),
    })),
  };
}

/** Keras 3 and tfjs-layers order a functional model's layers differently; compare by name. */
function expectSameStructure(ours: ModelRecord, theirs: ModelRecord): void {
  expect(ours.name).toBe(theirs.name);
  expect(ours.paramCount).toBe(theirs.paramCount);
  const byName = (r: ModelRecord) => Object.fromEntries(r.layers.map((l) => [l.name, l]));
  expect(byName(ours)).toEqual(byName(theirs));
  expect(ours.layers.length).toBe(theirs.layers.length);
}

describe('builders against keras.applications (tools/golden/imagenet_models.py, structure.json)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('MobileNetV2-1.0-224: names, classes, output shapes, 3 538 984 parameters', () => {
    const model = buildMobileNetV2();
    expect(model.countParams()).toBe(3_538_984);
    expectSameStructure(structure(model), keras.models.mobileNetV2);
    expect(new LayersModelAdapter(model).defaultLayer()).toMatchObject({ name: 'out_relu', outputShape: [null, 7, 7, 1280] });
    model.dispose();
  });

  it('NASNetMobile: names, classes, output shapes, 5 326 716 parameters', () => {
    const model = buildNASNet({ ...NASNET_MOBILE, name: 'nasnet_mobile' });
    expect(model.countParams()).toBe(5_326_716);
    expectSameStructure(structure(model), keras.models.nasNetMobile);
    expect(new LayersModelAdapter(model).defaultLayer()).toMatchObject({ name: 'activation_187', outputShape: [null, 7, 7, 1056] });
    model.dispose();
  });

  it('model names as Keras: rows of the input without weights, rows of the weight file with ImageNet weights', () => {
    const odd = buildMobileNetV2({ alpha: 0.5, inputShape: [100, 100, 3], includeTop: false });
    expect(odd.name).toBe('mobilenetv2_0.50_100');
    expect(odd.outputs[0].shape).toEqual([null, 4, 4, 1280]);
    odd.dispose();
    const pooled = buildNASNet({ inputShape: [96, 96, 3], penultimateFilters: 96, numBlocks: 1, stemBlockFilters: 8, includeTop: false, pooling: 'avg' });
    expect(pooled.name).toBe('NASNet');
    expect(pooled.outputs[0].shape).toEqual([null, 96]);
    pooled.dispose();
  });
});
