import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { GradcamError } from './errors.js';
import { explain, explainBatch } from './explain.js';
import type { BatchCapture, ExplainableModel, LayerInfo, TargetSpec } from './explainable-model.js';

/**
 * A plugin model kind with captureBatch: the layer output A is the input [N, 2, 2, 1] and class
 * c's score is Σ A·W_c, so dScore_c/dA = W_c, and each image has its own best class.
 */
const WEIGHTS = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 1],
];
const layer: LayerInfo = { name: 'features', className: 'Toy', outputShape: [null, 2, 2, 1], paramCount: 0, index: 0 };

function pick(spec: TargetSpec, row: number[]): number[] {
  if (Array.isArray(spec)) return [...spec];
  const order = row.map((_, i) => i).sort((a, b) => row[b] - row[a] || a - b);
  return order.slice(0, (spec as { top: number }).top);
}

function toyModel(): ExplainableModel & { captureBatch: NonNullable<ExplainableModel['captureBatch']> } {
  const captureBatch = (docs: tf.Tensor4D, _layer: LayerInfo, options: { targets: TargetSpec }): BatchCapture => {
    const n = docs.shape[0];
    const scores = tf.tidy(() => tf.matMul(tf.reshape(docs, [n, 4]), tf.tensor2d(WEIGHTS), false, true) as tf.Tensor2D);
    const rows = scores.arraySync();
    const targets = rows.map((row) => pick(options.targets, row));
    const gradients = tf.tensor4d(
      targets.flatMap((ids) => ids.flatMap((t) => WEIGHTS[t])),
      [targets.flat().length, 2, 2, 1],
    );
    const activations = docs.clone();
    return { activations, scores, outputs: scores, targets, gradients, dispose: () => tf.dispose([activations, scores, gradients]) };
  };
  return {
    specificationVersion: 'v1',
    name: 'toy-batch',
    inputShape: [null, 2, 2, 1],
    numClasses: 3,
    layers: () => [layer],
    defaultLayer: () => layer,
    captureBatch,
    capture(doc, l, options) {
      const batch = captureBatch(doc, l, options);
      return { ...batch, targets: batch.targets[0] };
    },
  };
}

const docs = () =>
  tf.tensor4d(
    [
      ...[5, 1, 0, 0], // best: class 0
      ...[0, 4, 1, 1], // class 1
      ...[0, 0, 3, 3], // class 2
      ...[1, 1, 1, 0], // tie 0/1/2 → 0
    ],
    [4, 2, 2, 1],
  );

describe('explainBatch with a plugin that has captureBatch', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('calls captureBatch once per chunk (chunkSize image × target rows), never capture, and gives explain()’s results per image', async () => {
    const model = toyModel();
    const batchSpy = vi.spyOn(model, 'captureBatch');
    const captureSpy = vi.spyOn(model, 'capture');
    const x = docs();
    const before = tf.memory().numTensors;
    // chunkSize 4 image × target rows: 4 images of one target, 2 of two
    for (const [targets, chunks] of [
      [undefined, [4]],
      [{ top: 2 }, [2, 2]],
      [
        [2, 1],
        [2, 2],
      ],
    ] as const) {
      batchSpy.mockClear();
      const batch = await explainBatch(model, x, { targets, chunkSize: 4, labels: ['a', 'b', 'c'] });
      expect(batchSpy.mock.calls.map(([d]) => d.shape[0])).toEqual(chunks);
      expect(captureSpy).not.toHaveBeenCalled();
      for (const [i, got] of batch.entries()) {
        const doc = tf.slice(x, i, 1);
        const want = await explain(model, doc, { targets, labels: ['a', 'b', 'c'] });
        doc.dispose();
        expect(got).toEqual({ ...want });
      }
      if (targets === undefined) expect(batch.map((e) => e.targets[0].target)).toEqual([0, 1, 2, 0]);
      captureSpy.mockClear();
    }
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('says so when captureBatch returns the wrong number of rows, and leaks nothing', async () => {
    const model = toyModel();
    const good = model.captureBatch;
    model.captureBatch = (d, l, o) => {
      const capture = good(d, l, o);
      return { ...capture, targets: capture.targets.slice(1) };
    };
    const x = docs();
    const before = tf.memory().numTensors;
    const error = await explainBatch(model, x).catch((e: unknown) => e);
    expect(GradcamError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/captureBatch of 4 images returned targets for 3/);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('without captureBatch, explains image by image with capture', async () => {
    const { captureBatch: _, ...plain } = toyModel();
    const capture = vi.spyOn(plain, 'capture');
    const x = docs();
    const batch = await explainBatch(plain, x, { targets: { top: 2 } });
    expect(capture).toHaveBeenCalledTimes(4);
    expect(batch.map((e) => e.targets.map((t) => t.target))).toEqual([
      [0, 1],
      [1, 2],
      [2, 0],
      [0, 1],
    ]);
    x.dispose();
  });
});

describe('maps computed with the capture (CaptureOptions.maps)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  /** The toy model, returning recognisable maps (every cell 0.25) when asked for 'gradcam' maps. */
  function withMaps(): { model: ExplainableModel; asked: (string | undefined)[] } {
    const base = toyModel();
    const asked: (string | undefined)[] = [];
    const captureBatch: NonNullable<ExplainableModel['captureBatch']> = (d, l, options) => {
      asked.push(options.maps);
      const batch = base.captureBatch(d, l, options);
      if (options.maps !== 'gradcam') return batch;
      const maps = tf.fill([batch.gradients.shape[0], 2, 2], 0.25) as tf.Tensor3D;
      return { ...batch, maps, dispose: () => tf.dispose([maps, batch.activations, batch.scores, batch.gradients]) };
    };
    return { model: { ...base, captureBatch, capture: (d, l, o) => ({ ...captureBatch(d, l, o), targets: captureBatch(d, l, o).targets[0] }) }, asked };
  }

  it('are used for plain Grad-CAM, and asked for only when they equal what core would compute', async () => {
    const { model, asked } = withMaps();
    const x = docs();
    const before = tf.memory().numTensors;
    const [plain] = await explainBatch(model, x, { targets: [0, 2] });
    expect(Array.from(plain.targets[1].heatmap.data)).toEqual([0.25, 0.25, 0.25, 0.25]);
    for (const options of [{ relu: false }, { counterfactual: true }, { normalize: 'minmax' as const }, { method: 'gradcam++' }]) {
      const [other] = await explainBatch(model, x, { targets: [0, 2], ...options });
      expect(Array.from(other.targets[1].heatmap.data)).not.toEqual([0.25, 0.25, 0.25, 0.25]);
    }
    expect(asked).toEqual(['gradcam', undefined, undefined, undefined, undefined]);
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
