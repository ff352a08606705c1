// Hostile model files: a broken model.json or weight file must end in a typed ModelLoadError
// that says what is wrong — never a raw tfjs/JSON/HDF5 exception — and leaves no tensors behind.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMobileNetV2, writeKerasH5 } from '@gradcam/models';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GradcamError, loadModel, ModelLoadError, setBackend } from './index.js';

interface SavedModel {
  modelTopology: { config: { layers: { class_name: string; config: Record<string, unknown> }[] } } & Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

/** A tiny CNN as model.json parts: topology, manifest, weight bytes. */
async function tinyModelFiles(): Promise<{ json: SavedModel; weights: Uint8Array }> {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 4, kernelSize: 3, activation: 'relu', name: 'conv' }),
      tfl.layers.globalAveragePooling2d({ name: 'gap' }),
      tfl.layers.dense({ units: 3, activation: 'softmax', name: 'probs' }),
    ],
  });
  let saved: { json: SavedModel; weights: Uint8Array } | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = {
        json: {
          modelTopology: artifacts.modelTopology as SavedModel['modelTopology'],
          weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
        },
        weights: new Uint8Array(artifacts.weightData as ArrayBuffer),
      };
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
  if (!saved) throw new Error('the save handler was not called');
  return saved;
}

/** Expects loadModel(source) to reject with a ModelLoadError whose message matches. */
async function expectModelLoadError(load: Promise<unknown>, message: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  const error = await load.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'loadModel must reject').toBeDefined();
  expect(GradcamError.isInstance(error) ? error.code : String(error)).toBe('MODEL_LOAD');
  expect(error).toBeInstanceOf(ModelLoadError);
  expect((error as Error).message).toMatch(message);
  // Nothing half-built stays behind: no variables, no decoded weight tensors.
  expect(tf.memory().numTensors).toBe(before);
}

describe('hostile model files → typed ModelLoadError', () => {
  let dir: string;
  let good: { json: SavedModel; weights: Uint8Array };
  let n = 0;

  /** Writes a model.json (+ weights.bin unless null) into a fresh folder; returns the model.json path. */
  async function writeModel(json: unknown, weights: Uint8Array | null = good.weights): Promise<string> {
    const folder = join(dir, `m${n++}`);
    const { mkdir } = await import('node:fs/promises');
    await mkdir(folder);
    await writeFile(join(folder, 'model.json'), typeof json === 'string' ? json : JSON.stringify(json));
    if (weights) await writeFile(join(folder, 'weights.bin'), weights);
    return join(folder, 'model.json');
  }
  const copy = (): SavedModel => JSON.parse(JSON.stringify(good.json));

  beforeAll(async () => {
    await setBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'gradcam-hostile-'));
    good = await tinyModelFiles();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the untouched files load (the cases below differ from them in one way each)', async () => {
    const before = tf.memory().numTensors;
    const loaded = await loadModel(await writeModel(good.json));
    expect(loaded.explainable.defaultLayer().name).toBe('conv');
    (loaded.model as tfl.LayersModel).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a weight file named in the manifest is missing', async () => {
    await expectModelLoadError(
      loadModel(await writeModel(good.json, null)),
      /Cannot read the weight file 'weights\.bin' in the folder of '.*model\.json': no such file/,
    );
  });

  it('the manifest lacks weights the layers need', async () => {
    const json = copy();
    // The dense layer's weights come last: drop them from the manifest and from the file.
    json.weightsManifest[0].weights = json.weightsManifest[0].weights.filter((w) => !w.name.startsWith('probs'));
    const kept = json.weightsManifest[0].weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    await expectModelLoadError(loadModel(await writeModel(json, good.weights.subarray(0, kept))), /not a loadable tfjs layers model: .*probs/);
  });

  it('the weight file is shorter than the manifest says', async () => {
    await expectModelLoadError(
      loadModel(await writeModel(good.json, good.weights.subarray(0, 40))),
      /weight files of '.*model\.json' hold 40 bytes, but its manifest describes \d+ bytes/,
    );
  });

  it('a weight has the wrong shape', async () => {
    const json = copy();
    const kernel = json.weightsManifest[0].weights.find((w) => w.name === 'conv/kernel');
    if (!kernel) throw new Error('no conv/kernel in the manifest');
    kernel.shape = [3, 3, 4, 3]; // same element count as [3, 3, 3, 4], wrong layout
    await expectModelLoadError(loadModel(await writeModel(json)), /shape/i);
  });

  it('a layer class tfjs does not know', async () => {
    const json = copy();
    json.modelTopology.config.layers[1].class_name = 'FancyPooling2D';
    await expectModelLoadError(loadModel(await writeModel(json)), /FancyPooling2D/);
  });

  it('not JSON, JSON without a topology, a topology that is not a model', async () => {
    await expectModelLoadError(loadModel(await writeModel('{"modelTopology": {"class_name": "Sequ')), /Cannot read the model file .*model\.json/);
    await expectModelLoadError(loadModel(await writeModel({ weightsManifest: [] }, null)), /model/i);
    await expectModelLoadError(loadModel(await writeModel({ modelTopology: { class_name: 'Sequential', config: 42 }, weightsManifest: [] }, null)), /model/i);
    await expectModelLoadError(loadModel(await writeModel([1, 2, 3], null)), /is not a tfjs model\.json/);
  });

  it('a manifest that is not a list of weight groups', async () => {
    for (const weightsManifest of [
      { paths: 'weights.bin' },
      [{ paths: [42], weights: [] }],
      [{ paths: [], weights: [{ name: 'w', shape: [-1], dtype: 'float32' }] }],
    ]) {
      await expectModelLoadError(loadModel(await writeModel({ ...copy(), weightsManifest })), /malformed weightsManifest/);
    }
  });

  describe('Keras .h5 weight files for the ImageNet ids', () => {
    it('a file that is not HDF5', async () => {
      const path = join(dir, 'not-hdf5.h5');
      await writeFile(path, 'this is a text file, not a Keras weight file\n');
      await expectModelLoadError(loadModel('mobilenet_v2', { weights: path }), /not-hdf5\.h5' is not an HDF5 file/);
    });

    it('an HDF5 signature followed by garbage, and a truncated weight file', async () => {
      const garbage = join(dir, 'garbage.h5');
      const bytes = new Uint8Array(4096).map((_, i) => (i * 7919) % 251);
      bytes.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
      await writeFile(garbage, bytes);
      await expectModelLoadError(loadModel('mobilenet_v2', { weights: garbage }), /garbage\.h5/);
    }, 60_000);

    it('a Keras file of another network (MobileNetV2 alpha 0.35) loaded as mobilenet_v2: wrong shapes', async () => {
      const other = buildMobileNetV2({ alpha: 0.35 });
      const path = join(dir, 'alpha035.h5');
      const bytes = await writeKerasH5(other);
      other.dispose();
      await writeFile(path, bytes);
      await expectModelLoadError(loadModel('mobilenet_v2', { weights: path }), /alpha035\.h5/);
      const truncated = join(dir, 'truncated.h5');
      await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
      await expectModelLoadError(loadModel('mobilenet_v2', { weights: truncated }), /truncated\.h5/);
    }, 120_000);
  });
});
