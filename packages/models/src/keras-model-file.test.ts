// Keras model files that someone else made: every refusal is a ModelLoadError naming the file and
// the rule — too many archive entries, an entry larger than maxBytes, a layer TensorFlow.js cannot
// run, a file that is neither a zip nor HDF5 — with nothing left behind.
import { readFileSync } from 'node:fs';
import { ModelLoadError } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKerasModel } from './index.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../../gradcam/src/__fixtures__/keras/${name}`, import.meta.url)));

async function refused(bytes: Uint8Array, message: RegExp, options = {}): Promise<void> {
  const before = tf.memory().numTensors;
  const error = await loadKerasModel(bytes, 'model.keras', options).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelLoadError);
  expect((error as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
}

describe('loadKerasModel on hostile files', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('the untouched archive loads (the cases below differ from it in one way each)', async () => {
    const before = tf.memory().numTensors;
    const model = await loadKerasModel(fixture('small_cnn.keras'), 'small_cnn.keras');
    expect(model.layers.map((l) => l.name)).toContain('sep');
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses an archive with more entries than a .keras file has, before inflating any', async () => {
    const entries: Record<string, Uint8Array> = {};
    for (let i = 0; i <= 10_000; i++) entries[`junk/${i}`] = new Uint8Array(0);
    await refused(zipSync(entries, { level: 0 }), /has more than 10000 entries/);
  });

  it('refuses an entry that declares more than maxBytes, before inflating it', async () => {
    const files = unzipSync(fixture('small_cnn.keras'));
    // Room for the JSON entries, not for the weights.
    const maxBytes = files['config.json'].length + (files['metadata.json']?.length ?? 0) + 10;
    const weights = files['model.weights.h5'].length;
    await refused(fixture('small_cnn.keras'), new RegExp(`entry 'model.weights.h5' declares ${weights} bytes, more than the limit of ${maxBytes}`), {
      maxBytes,
    });
  });

  it('names every layer TensorFlow.js cannot run, by path and class, and lists the supported ones', async () => {
    const files = unzipSync(fixture('small_cnn.keras'));
    const config = JSON.parse(new TextDecoder().decode(files['config.json']));
    config.config.layers[2] = { ...config.config.layers[2], class_name: 'MultiHeadAttention' };
    config.config.layers[3] = { ...config.config.layers[3], class_name: 'ConvLSTM2D' };
    const bad = zipSync({ ...files, 'config.json': strToU8(JSON.stringify(config)) });
    await refused(bad, /uses layers gradcam cannot run in TensorFlow\.js: .*MultiHeadAttention.*ConvLSTM2D.*Supported layer classes: .*Conv2D/);
  });

  it('refuses what is neither a zip nor HDF5, a zip without config.json, and weights-only .h5 files', async () => {
    await refused(strToU8('{"class_name": "Sequential"}'), /is neither a \.keras \(zip\) archive nor an HDF5 \.h5 file/);
    const files = unzipSync(fixture('small_cnn.keras'));
    await refused(zipSync({ 'model.weights.h5': files['model.weights.h5'] }), /has no config\.json/);
  });
});
