import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ModelLoadError } from '@gradcam/core';
import * as weights from '@gradcam/weights-nsfw-mobilenet-v2';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLED_MODEL_IDS,
  bundledModelInfo,
  catalogEntry,
  DEFAULT_MODEL_ID,
  IMAGENET_LABELS,
  IMAGENET_MODEL_IDS,
  imagenetModelInfo,
  isBundledModelInstalled,
  loadCatalogModel,
  MODEL_CATALOG,
  MODEL_IDS,
} from './index.js';

describe('the model catalog', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('lists every bundled and ImageNet id, the default first, each with its info', () => {
    expect(MODEL_IDS).toEqual(['nsfw_mobilenet_v2', 'nsfw_mobilenet_v2_mid', 'nsfw_inception_v3', 'mobilenet_v2', 'nasnet_mobile']);
    expect(MODEL_IDS).toEqual([...BUNDLED_MODEL_IDS, ...IMAGENET_MODEL_IDS]);
    expect(DEFAULT_MODEL_ID).toBe(MODEL_IDS[0]);
    expect(MODEL_CATALOG.map((e) => e.source)).toEqual(['bundled', 'bundled', 'bundled', 'imagenet', 'imagenet']);
    for (const entry of MODEL_CATALOG) {
      const { info } = entry;
      expect(info.id, entry.id).toBe(entry.id);
      expect(info.title.length, entry.id).toBeGreaterThan(10);
      expect(info.inputSize[0], entry.id).toBeGreaterThan(0);
      expect(['layers', 'graph'], entry.id).toContain(info.kind);
      expect(info.labels.length, entry.id).toBe(entry.source === 'bundled' ? 5 : 1000);
      expect(info.preprocessing, entry.id).toBe(entry.source === 'bundled' ? 'x/255' : '[-1,1]');
      expect(info, entry.id).toEqual(entry.source === 'bundled' ? bundledModelInfo(entry.id) : imagenetModelInfo(entry.id));
      expect(catalogEntry(entry.id)).toBe(entry);
    }
    expect(catalogEntry('nasnet_mobile')?.info.labels).toBe(IMAGENET_LABELS);
    expect(catalogEntry('nope')).toBeUndefined();
    expect(catalogEntry('constructor')).toBeUndefined();
  });

  it('the default weights package is a dependency of @gradcam/models, the others optional peers, as the info says', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
    for (const id of BUNDLED_MODEL_IDS) {
      const info = bundledModelInfo(id);
      const name = info?.package as string;
      if (info?.installedWithModels) {
        expect(pkg.dependencies[name], name).toBeDefined();
        expect(pkg.peerDependencies[name], name).toBeUndefined();
      } else {
        expect(pkg.dependencies[name], name).toBeUndefined();
        expect(pkg.peerDependencies[name], name).toBeDefined();
        expect(pkg.peerDependenciesMeta[name], name).toEqual({ optional: true });
      }
    }
    expect(bundledModelInfo(DEFAULT_MODEL_ID)?.installedWithModels).toBe(true);
    expect(pkg.dependencies.nsfwjs).toBeUndefined();
  });

  it('loads the default model offline from its weights package, reading no URL', async () => {
    const entry = catalogEntry(DEFAULT_MODEL_ID);
    expect(entry?.source).toBe('bundled');
    // Where the files are: inside the installed weights package, as plain files.
    expect(weights.modelJson.url.protocol).toBe('file:');
    expect(fileURLToPath(weights.modelJson.url)).toMatch(/weights-nsfw-mobilenet-v2[\\/]dist[\\/]model\.json$/);
    expect(await isBundledModelInstalled(DEFAULT_MODEL_ID)).toBe(true);
    const offline = (() => {
      throw new Error('the network was used');
    }) as unknown as typeof fetch;
    const model = await (entry as NonNullable<typeof entry>).load({ fetch: offline });
    const y = tf.tidy(() => (model as { predict(x: tf.Tensor): tf.Tensor }).predict(tf.fill([1, 224, 224, 3], 0.5)));
    expect(y.shape).toEqual([1, 5]);
    expect(tf.sum(y).dataSync()[0]).toBeCloseTo(1, 5);
    y.dispose();
    model.dispose();
  }, 60_000);

  it('refuses options that belong to the other kind of model, and unknown ids with the list of ids', async () => {
    await expect(loadCatalogModel('nsfw_mobilenet_v2', { weights: '/x.h5' })).rejects.toThrow(/'weights' option applies to the ImageNet ids/);
    await expect(loadCatalogModel('mobilenet_v2', { weightsPackage: weights })).rejects.toThrow(/'weightsPackage' option applies to the bundled ids/);
    const unknown = loadCatalogModel('resnet50');
    await expect(unknown).rejects.toThrow(ModelLoadError);
    await expect(unknown).rejects.toThrow(/Unknown model id 'resnet50'.*nsfw_mobilenet_v2.*nasnet_mobile/);
  });
});
