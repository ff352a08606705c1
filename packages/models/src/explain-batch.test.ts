// explainBatch's batched path (captureBatch): one forward and one backward pass over N images
// must give what explain() gives each image alone — targets, scores, outputs, maps — for every
// kind of target, CAM method and layer, through skip connections and concatenations (the
// repeated-input retry), without leaking tensors.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  type ExplainableModel,
  type ExplainBatchOptions,
  type Explanation,
  explain,
  explainBatch,
  getCamMethod,
  InvalidInputError,
  InvalidTargetError,
  registerCamMethod,
} from '@gradcam/core';
import { EXPLAIN_BATCH_VALUES } from '@gradcam/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { LayersModelAdapter } from './index.js';

const seeded = (seed: number) => tfl.initializers.glorotUniform({ seed });
const bias = (seed: number) => tfl.initializers.randomNormal({ mean: 0, stddev: 0.3, seed });

/**
 * A small model with both hard cases after `inner`: a skip connection (`skip` adds `inner` and
 * a 1×1 conv of it) and a concatenation with an earlier branch (`stem`). After `mix` the rest
 * is a plain chain (pooling, dense head).
 */
function branchyModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  const conv = (name: string, filters: number, kernelSize: number, seed: number, activation?: 'relu') =>
    tfl.layers.conv2d({ name, filters, kernelSize, padding: 'same', activation, kernelInitializer: seeded(seed), biasInitializer: bias(seed + 100) });
  const stem = conv('stem', 4, 3, 1, 'relu').apply(input) as tfl.SymbolicTensor;
  const inner = conv('inner', 4, 3, 2, 'relu').apply(stem) as tfl.SymbolicTensor;
  const after = conv('after', 4, 1, 3).apply(inner) as tfl.SymbolicTensor;
  const skip = tfl.layers.add({ name: 'skip' }).apply([inner, after]) as tfl.SymbolicTensor;
  const joined = tfl.layers.concatenate({ name: 'joined' }).apply([stem, skip]) as tfl.SymbolicTensor;
  const mix = conv('mix', 6, 1, 4, 'relu').apply(joined) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(mix) as tfl.SymbolicTensor;
  const output = tfl.layers
    .dense({ name: 'head', units: 4, activation: 'softmax', kernelInitializer: tfl.initializers.randomNormal({ mean: 0, stddev: 2, seed: 5 }) })
    .apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: 'branchy' });
}

const fixture = (name: string) => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

/** The residual_toy fixture (skip connections around `explained`, see __fixtures__/README.md). */
async function residualToy(): Promise<tfl.LayersModel> {
  const json = JSON.parse(await readFile(fixture('residual-toy/model.json'), 'utf8'));
  const weights = await readFile(fixture('residual-toy/weights.bin'));
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g: { weights: tf.io.WeightsManifestEntry[] }) => g.weights),
      weightData: new Uint8Array(weights).buffer,
    }),
  );
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
};

/** Checks a batch's explanations against explain() on each image alone; returns the batch's. */
async function expectPerImage(model: unknown, docs: tf.Tensor4D, options: ExplainBatchOptions = {}): Promise<Explanation[]> {
  const before = tf.memory().numTensors;
  const batch = await explainBatch(model, docs, options);
  expect(tf.memory().numTensors).toBe(before);
  expect(batch).toHaveLength(docs.shape[0]);
  const { chunkSize: _, images: __, ...single } = options;
  for (const [i, got] of batch.entries()) {
    const doc = tf.slice(docs, i, 1);
    const want = await explain(model, doc, single);
    doc.dispose();
    const where = `image ${i} ${JSON.stringify(single)}`;
    expect(
      got.targets.map((t) => t.target),
      where,
    ).toEqual(want.targets.map((t) => t.target));
    expect(got.layer).toBe(want.layer);
    expect(got.method).toBe(want.method);
    expect(got.warnings).toEqual(want.warnings);
    expect(maxDiff(got.outputs, want.outputs), where).toBeLessThanOrEqual(1e-6);
    for (const [k, t] of got.targets.entries()) {
      const w = want.targets[k];
      expect(Math.abs(t.score - w.score), where).toBeLessThanOrEqual(1e-6);
      if (w.proba !== undefined) expect(Math.abs((t.proba as number) - w.proba), where).toBeLessThanOrEqual(1e-6);
      expect([t.heatmap.width, t.heatmap.height]).toEqual([w.heatmap.width, w.heatmap.height]);
      expect(maxDiff(t.heatmap.data, w.heatmap.data), `${where} target ${t.target}`).toBeLessThanOrEqual(1e-5);
    }
  }
  return batch;
}

/** Inputs the branchy model predicts different classes for (1, 1, 1, 3, 3 for n = 5). */
function branchyDocs(n: number): tf.Tensor4D {
  return tf.tidy(() => tf.concat(Array.from({ length: n }, (_, i) => tf.randomNormal([1, 8, 8, 3], i - 2, 1, 'float32', 10 + i))) as tf.Tensor4D);
}

/** The built-in adapter with captureBatch hidden: what a plugin written before it looks like. */
function withoutCaptureBatch(adapter: LayersModelAdapter): ExplainableModel {
  return {
    specificationVersion: 'v1',
    name: adapter.name,
    inputShape: adapter.inputShape,
    numClasses: adapter.numClasses,
    layers: () => adapter.layers(),
    defaultLayer: () => adapter.defaultLayer(),
    capture: (doc, layer, options) => adapter.capture(doc, layer, options),
    predict: (batch, options) => adapter.predict(batch, options),
  };
}

describe('explainBatch: one batched pass equals explain() per image (cpu)', () => {
  let model: tfl.LayersModel;
  let docs: tf.Tensor4D;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = branchyModel();
    docs = branchyDocs(5);
  });

  it('default targets: each image its own predicted class (they differ), at every layer', async () => {
    for (const layer of [undefined, 'mix', 'inner', 'stem']) {
      const batch = await expectPerImage(model, docs, { layer });
      expect(new Set(batch.map((e) => e.targets[0].target)).size).toBeGreaterThan(1);
    }
  });

  it('explicit targets, { top: 2 } (each image its own two best) and logits', async () => {
    for (const layer of ['mix', 'inner', 'stem']) {
      await expectPerImage(model, docs, { layer, targets: [3, 1] });
      await expectPerImage(model, docs, { layer, targets: 2 });
      const top = await expectPerImage(model, docs, { layer, targets: { top: 2 } });
      expect(new Set(top.map((e) => e.targets.map((t) => t.target).join())).size).toBeGreaterThan(1);
      await expectPerImage(model, docs, { layer, targets: { top: 2 }, logits: true });
    }
  });

  it('every CAM method, and the post-processing options', async () => {
    for (const method of ['gradcam', 'gradcam++', 'hirescam', 'layercam', 'xgradcam', 'scorecam', 'eigencam', 'eigengradcam']) {
      await expectPerImage(model, docs, { layer: 'inner', method, targets: { top: 2 } });
    }
    await expectPerImage(model, docs, { layer: 'mix', method: 'gradcam++', relu: false, normalize: 'minmax', counterfactual: true });
    await expectPerImage(model, docs, { layer: 'inner', method: 'scorecam', logits: true, batchSize: 3, eigenSmooth: true });
    await expectPerImage(model, docs, { layer: 'mix', augSmooth: true, targets: { top: 2 } });
  });

  it('chunks of at most chunkSize image × target rows, with the same results', async () => {
    const adapter = new LayersModelAdapter(model);
    const spy = vi.spyOn(adapter, 'captureBatch');
    const capture = vi.spyOn(adapter, 'capture');
    const chunks = async (options: ExplainBatchOptions) => {
      spy.mockClear();
      await explainBatch(adapter, docs, { layer: 'inner', ...options });
      return spy.mock.calls.map(([x]) => x.shape[0]);
    };
    expect(await chunks({})).toEqual([5]);
    expect(await chunks({ targets: { top: 2 } })).toEqual([4, 1]);
    expect(await chunks({ targets: [0, 1, 2], chunkSize: 7 })).toEqual([2, 2, 1]);
    expect(await chunks({ targets: [0, 1, 2], chunkSize: 2 })).toEqual([1, 1, 1, 1, 1]);
    expect(await chunks({ chunkSize: 2 })).toEqual([2, 2, 1]);
    expect(capture).not.toHaveBeenCalled();
    await expectPerImage(adapter, docs, { layer: 'inner', targets: { top: 2 }, chunkSize: 4 });
    await expect(explainBatch(adapter, docs, { chunkSize: 0 })).rejects.toThrow(/chunkSize/);
  });

  it('by default fewer rows per pass at a layer with a large output (EXPLAIN_BATCH_VALUES)', async () => {
    const big = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [64, 64, 1], filters: 256, kernelSize: 1, activation: 'relu', name: 'big', kernelInitializer: seeded(7) }),
        tfl.layers.globalAveragePooling2d({}),
        tfl.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: seeded(8) }),
      ],
    });
    expect(64 * 64 * 256 * 2).toBe(EXPLAIN_BATCH_VALUES); // two rows per pass
    const adapter = new LayersModelAdapter(big);
    const spy = vi.spyOn(adapter, 'captureBatch');
    const x = tf.randomUniform([3, 64, 64, 1], 0, 1, 'float32', 9) as tf.Tensor4D;
    const chunks = async (options: ExplainBatchOptions) => {
      spy.mockClear();
      await explainBatch(adapter, x, options);
      return spy.mock.calls.map(([d]) => d.shape[0]);
    };
    expect(await chunks({})).toEqual([2, 1]);
    expect(await chunks({ targets: { top: 2 } })).toEqual([1, 1, 1]);
    x.dispose();
    big.dispose();
  }, 20_000);

  it('runs the model once for N images: each layer before the explained one once on N rows, captureBatch once', async () => {
    const adapter = new LayersModelAdapter(model);
    const batchSpy = vi.spyOn(adapter, 'captureBatch');
    const captureSpy = vi.spyOn(adapter, 'capture');
    const stemFilter = [3, 3, 3, 4];
    for (const [layer, targets, rows] of [
      ['mix', undefined, 5],
      ['inner', { top: 2 }, 10], // the concatenation with stem after it: stem's output repeated, not recomputed
      ['stem', [0, 1, 2], 15],
    ] as const) {
      batchSpy.mockClear();
      const profile = await tf.profile(async () => {
        await explainBatch(adapter, docs, { layer, targets, chunkSize: 15 });
      });
      const convs = profile.kernels.filter((k) => k.name === 'FusedConv2D');
      const stem = convs.filter((k) => k.inputShapes[1]?.join() === stemFilter.join());
      expect(stem, layer).toHaveLength(1);
      expect(stem[0].inputShapes[0]?.[0], layer).toBe(5);
      // The layers after the explained one run once, on one row per image and target.
      const after = convs.find((k) => k.inputShapes[1]?.join() === '1,1,4,4');
      expect(after?.inputShapes[0]?.[0], layer).toBe(layer === 'mix' ? 5 : rows);
      expect(batchSpy).toHaveBeenCalledTimes(1);
      expect(batchSpy.mock.calls[0][0].shape[0]).toBe(5);
    }
    expect(captureSpy).not.toHaveBeenCalled();
  });

  it('a plugin adapter without captureBatch still works: explain() per image', async () => {
    const adapter = new LayersModelAdapter(model);
    const plain = withoutCaptureBatch(adapter);
    const capture = vi.spyOn(plain, 'capture');
    const plainResults = await expectPerImage(plain, docs, { layer: 'inner', targets: { top: 2 } });
    expect(capture).toHaveBeenCalledTimes(10); // 5 by explainBatch, 5 by the per-image check
    const batched = await explainBatch(adapter, docs, { layer: 'inner', targets: { top: 2 } });
    for (const [i, e] of plainResults.entries()) {
      for (const [k, t] of e.targets.entries()) expect(maxDiff(t.heatmap.data, batched[i].targets[k].heatmap.data)).toBeLessThanOrEqual(1e-5);
    }
  });

  it('takes a list of docs (with or without the batch axis) like a [N, h, w, c] tensor', async () => {
    const list = [tf.slice(docs, 0, 1), tf.squeeze(tf.slice(docs, 1, 1), [0]), tf.slice(docs, 2, 1)];
    const before = tf.memory().numTensors;
    const fromList = await explainBatch(model, list, { layer: 'inner', targets: { top: 2 } });
    expect(tf.memory().numTensors).toBe(before);
    const three = tf.slice(docs, 0, 3);
    const fromTensor = await explainBatch(model, three, { layer: 'inner', targets: { top: 2 } });
    expect(fromList.map((e) => e.targets.map((t) => Array.from(t.heatmap.data)))).toEqual(
      fromTensor.map((e) => e.targets.map((t) => Array.from(t.heatmap.data))),
    );
    tf.dispose([...list, three]);
  });

  it('leaves tf.memory().numTensors unchanged, also when it throws (bad target, bad doc, a method failing mid-batch)', async () => {
    await explainBatch(model, docs); // warmed up
    const before = tf.memory().numTensors;
    await expect(explainBatch(model, docs, { targets: [4] })).rejects.toThrow(InvalidTargetError);
    await expect(explainBatch(model, docs, { targets: { top: 5 } })).rejects.toThrow(InvalidTargetError);
    const bad = [tf.zeros([1, 8, 8, 3]), tf.zeros([1, 7, 8, 3]), tf.zeros([2, 8, 9, 3])];
    await expect(explainBatch(model, bad.slice(0, 2))).rejects.toThrow(/docs\[1\]/);
    await expect(explainBatch(model, bad[2])).rejects.toThrow(InvalidInputError);
    tf.dispose(bad);
    let calls = 0;
    const gradcam = getCamMethod('gradcam');
    registerCamMethod({
      ...gradcam,
      id: 'fails-on-third-image',
      compute(inputs) {
        calls += 1;
        if (calls === 3) throw new Error('boom');
        return gradcam.compute(inputs);
      },
    });
    for (const layer of ['mix', 'inner']) {
      calls = 0;
      await expect(explainBatch(model, docs, { layer, targets: { top: 2 }, method: 'fails-on-third-image' })).rejects.toThrow('boom');
    }
    expect(tf.memory().numTensors).toBe(before);
    await expect(explainBatch(model, docs, { chunkSize: 2 })).resolves.toHaveLength(5);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('captureBatch: N images × K targets in one pass (cpu)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('residual_toy fixture, N = 2, K = 2 (the repeated-input retry): rows are image-major and equal capture() per image', async () => {
    const model = await residualToy();
    const adapter = new LayersModelAdapter(model);
    const docs = tf.randomUniform([2, 24, 24, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    for (const layer of ['explained', 'stem', 'late']) {
      const info = adapter.layers().find((l) => l.name === layer)!;
      for (const logits of [false, true]) {
        const before = tf.memory().numTensors;
        const batch = adapter.captureBatch(docs, info, { logits, targets: [2, 0] });
        const [, h, w, c] = batch.activations.shape;
        expect(batch.activations.shape[0]).toBe(2);
        expect(batch.gradients.shape).toEqual([4, h, w, c]);
        expect(batch.scores.shape).toEqual([2, 3]);
        expect(batch.targets).toEqual([
          [2, 0],
          [2, 0],
        ]);
        for (let i = 0; i < 2; i++) {
          const doc = tf.slice(docs, i, 1) as tf.Tensor4D;
          const one = adapter.capture(doc, info, { logits, targets: [2, 0] });
          const rows = tf.slice(batch.gradients, 2 * i, 2);
          const own = tf.slice(batch.activations, i, 1);
          const scale = Math.max(...Array.from(one.gradients.dataSync(), Math.abs));
          expect(scale).toBeGreaterThan(0);
          expect(maxDiff(rows.dataSync(), one.gradients.dataSync()), `${layer} image ${i}`).toBeLessThanOrEqual(1e-5 * scale);
          expect(maxDiff(own.dataSync(), one.activations.dataSync())).toBeLessThanOrEqual(1e-6);
          expect(maxDiff(batch.scores.dataSync().subarray(3 * i, 3 * i + 3), one.scores.dataSync())).toBeLessThanOrEqual(1e-6);
          expect(maxDiff(batch.outputs.dataSync().subarray(3 * i, 3 * i + 3), one.outputs.dataSync())).toBeLessThanOrEqual(1e-6);
          tf.dispose([doc, rows, own]);
          one.dispose();
        }
        batch.dispose();
        expect(tf.memory().numTensors).toBe(before);
      }
    }
    await expectPerImage(model, docs, { layer: 'explained', targets: [2, 0] });
    await expectPerImage(model, docs, { layer: 'explained', targets: { top: 2 }, logits: true });
    docs.dispose();
  });

  it('a concatenation after the layer: N = 1 and N = 2 with K = 2 retry with each image repeated, leak-free', async () => {
    const model = branchyModel();
    const adapter = new LayersModelAdapter(model);
    const info = adapter.layers().find((l) => l.name === 'inner')!;
    const docs = branchyDocs(2);
    const before = tf.memory().numTensors;
    const batch = adapter.captureBatch(docs, info, { logits: false, targets: { top: 2 } });
    expect(batch.gradients.shape[0]).toBe(4);
    expect(batch.targets[0]).not.toEqual(batch.targets[1]);
    batch.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expectPerImage(model, docs, { layer: 'inner', targets: [0, 3] });
    await expectPerImage(model, tf.slice(docs, 0, 1) as tf.Tensor4D, { layer: 'inner', targets: [0, 3] });
    docs.dispose();
  });
});
