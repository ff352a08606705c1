import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as tf from '@tensorflow/tfjs-core';
import { setBackend } from 'gradcam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCustomModel, parseMetadata, preprocessFor } from './custom-model';

// A model.json URL served on 127.0.0.1: the TF.js layers model 'nested_toy' (24×24 input, 3
// classes, the Teachable Machine layout) from @gradcam/models' fixtures, with metadata.json
// files beside it, and a copy whose weights are truncated.
const fixture = new URL('../../../packages/models/src/__fixtures__/nested-toy/', import.meta.url);
let server: Server;
let base = '';

beforeAll(async () => {
  await setBackend('cpu');
  const modelJson = await readFile(new URL('model.json', fixture));
  const weights = await readFile(new URL('weights.bin', fixture));
  const files: Record<string, { type: string; body: Buffer | string }> = {
    '/tm/model.json': { type: 'application/json', body: modelJson },
    '/tm/weights.bin': { type: 'application/octet-stream', body: weights },
    '/tm/metadata.json': {
      type: 'application/json',
      body: JSON.stringify({ packageName: '@teachablemachine/image', modelName: 'pets', labels: ['cat', 'dog', 'bird'], imageSize: 24 }),
    },
    '/bare/model.json': { type: 'application/json', body: modelJson },
    '/bare/weights.bin': { type: 'application/octet-stream', body: weights },
    '/wrong-labels/model.json': { type: 'application/json', body: modelJson },
    '/wrong-labels/weights.bin': { type: 'application/octet-stream', body: weights },
    '/wrong-labels/metadata.json': { type: 'application/json', body: JSON.stringify({ labels: ['a', 'b'] }) },
    '/truncated/model.json': { type: 'application/json', body: modelJson },
    '/truncated/weights.bin': { type: 'application/octet-stream', body: weights.subarray(0, 100) },
    '/not-a-model/model.json': { type: 'application/json', body: '{"hello": "world"}' },
  };
  server = createServer((req, res) => {
    const file = files[req.url ?? ''];
    res.writeHead(file ? 200 : 404, { 'content-type': file?.type ?? 'text/plain' });
    res.end(file?.body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('loadCustomModel from a model.json URL', () => {
  it('takes class names, title and the Teachable Machine preprocessing from metadata.json', async () => {
    const model = await loadCustomModel('custom:1', { kind: 'url', url: `${base}/tm/model.json` }, 'auto');
    try {
      expect(model.key).toBe('custom:1');
      expect(model.title).toBe('pets');
      expect(model.inputSize).toEqual([24, 24]);
      expect(model.loaded.labels).toEqual(['cat', 'dog', 'bird']);
      const pixels = tf.tensor4d([0, 127, 254], [1, 1, 1, 3]);
      const scaled = model.loaded.preprocessInput(pixels);
      expect(Array.from(await scaled.data())).toEqual([-1, 0, 1]);
      tf.dispose([pixels, scaled]);
    } finally {
      model.loaded.model.dispose();
    }
  });

  it('works without metadata.json: numbered classes, x/255, the model’s own name', async () => {
    const model = await loadCustomModel('custom:2', { kind: 'url', url: `${base}/bare/model.json` }, 'auto');
    try {
      expect(model.title).toBe('nested_toy');
      expect(model.loaded.labels).toEqual(['class_0', 'class_1', 'class_2']);
      const pixels = tf.tensor4d([255], [1, 1, 1, 1]);
      const scaled = model.loaded.preprocessInput(pixels);
      expect(Array.from(await scaled.data())).toEqual([1]);
      tf.dispose([pixels, scaled]);
    } finally {
      model.loaded.model.dispose();
    }
  });

  it('fails with typed, specific errors and leaves no tensors behind', async () => {
    const tensors = tf.memory().numTensors;
    await expect(loadCustomModel('custom:3', { kind: 'url', url: `${base}/wrong-labels/model.json` }, 'auto')).rejects.toThrow(
      /class names list 2 classes, but the model has 3 outputs/,
    );
    await expect(loadCustomModel('custom:4', { kind: 'url', url: `${base}/truncated/model.json` }, 'auto')).rejects.toMatchObject({ code: 'MODEL_LOAD' });
    await expect(loadCustomModel('custom:5', { kind: 'url', url: `${base}/missing/model.json` }, 'auto')).rejects.toThrow(/Cannot load the model from .*404/);
    await expect(loadCustomModel('custom:6', { kind: 'url', url: `${base}/not-a-model/model.json` }, 'auto')).rejects.toMatchObject({ code: 'MODEL_LOAD' });
    await expect(loadCustomModel('custom:7', { kind: 'url', url: 'ftp://example.com/model.json' }, 'auto')).rejects.toThrow(/not an http\(s\) URL/);
    expect(tf.memory().numTensors).toBe(tensors);
  });
});

describe('parseMetadata and preprocessFor', () => {
  it('keeps only well-formed metadata fields', () => {
    expect(parseMetadata({ labels: ['a', 1], imageSize: -3, modelName: 'm', extra: true })).toEqual({ modelName: 'm' });
    expect(parseMetadata([1, 2])).toEqual({});
    expect(parseMetadata({ labels: ['a'], imageSize: 96 })).toEqual({ labels: ['a'], imageSize: 96 });
  });

  it('maps the choice, and auto by the exporter', () => {
    expect(preprocessFor('[-1,1]', undefined)).toBe('[-1,1]');
    expect(preprocessFor('auto', { labels: ['a'] })).toBe('x/255');
    expect(typeof preprocessFor('auto', { packageName: '@teachablemachine/image' })).toBe('function');
  });
});
