import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { GradcamError, InvalidInputError, InvalidTargetError, NoSuchLayerError } from './errors.js';
import { explain } from './explain.js';
import type { ExplainableModel, LayerInfo } from './explainable-model.js';
import { listModelAdapters, registerModelAdapter, toExplainableModel } from './registry.js';

/** A toy "model kind" a plugin author might add: score_t = Σ (t+1)·A, A = the input. */
class ToyModel {
  readonly toy = true;
}

const layers: LayerInfo[] = [
  { name: 'features', className: 'Toy', outputShape: [null, 2, 2, 1], paramCount: 0, index: 0 },
  { name: 'pool', className: 'Toy', outputShape: [null, 1], paramCount: 0, index: 1 },
];

const toyExplainable: ExplainableModel = {
  specificationVersion: 'v1',
  name: 'toy',
  inputShape: [null, 2, 2, 1],
  numClasses: 3,
  layers: () => layers,
  defaultLayer: () => layers[0],
  capture(doc, _layer, options) {
    const targets = Array.isArray(options.targets) ? [...options.targets] : [2];
    const [activations, scores, gradients] = tf.tidy(() => {
      const sum = tf.sum(doc).dataSync()[0];
      return [
        doc.clone(),
        tf.tensor2d([[sum, 2 * sum, 3 * sum]]),
        tf.stack(targets.map((t) => tf.mul(tf.onesLike(tf.squeeze(doc, [0])), t + 1))) as tf.Tensor4D,
      ];
    });
    return {
      activations,
      scores,
      outputs: scores,
      targets,
      gradients,
      dispose: () => tf.dispose([activations, scores, gradients]),
    };
  },
};

beforeAll(async () => {
  await tf.setBackend('cpu');
  registerModelAdapter({ name: 'toy', canAdapt: (m) => m instanceof ToyModel, adapt: () => toyExplainable });
});

describe('model adapter registry', () => {
  it('explains a model kind registered by a plugin', async () => {
    expect(listModelAdapters()).toContain('toy');
    const doc = tf.tensor4d([
      [
        [[1], [0]],
        [[0], [3]],
      ],
    ]);
    const before = tf.memory().numTensors;
    const expl = await explain(new ToyModel(), doc, { targets: [0, 1], labels: ['a', 'b', 'c'] });
    expect(tf.memory().numTensors).toBe(before);
    expect(expl.estimator).toBe('toy');
    expect(expl.targets.map((t) => [t.target, t.label, t.score])).toEqual([
      [0, 'a', 4],
      [1, 'b', 8],
    ]);
    // uniform gradients: map ∝ A, normalised by its max
    expect(Array.from(expl.targets[0].heatmap.data).map((v) => Number(v.toFixed(5)))).toEqual([0.33333, 0, 0, 1]);
  });

  it('gives typed errors that list the valid choices', async () => {
    const doc = tf.zeros([1, 2, 2, 1]);
    await expect(explain(new ToyModel(), doc, { targets: [3] })).rejects.toThrow(InvalidTargetError);
    await expect(explain(new ToyModel(), doc, { targets: [3] })).rejects.toThrow(/0 … 2/);
    await expect(explain(new ToyModel(), doc, { layer: 'nope' })).rejects.toThrow(NoSuchLayerError);
    await expect(explain(new ToyModel(), doc, { layer: 'pool' })).rejects.toThrow(/'features'/);
    await expect(explain(new ToyModel(), tf.zeros([2, 2, 2, 1]))).rejects.toThrow(InvalidInputError);
    await expect(explain(new ToyModel(), tf.zeros([1, 3, 2, 1]))).rejects.toThrow(/expects \[1, 2, 2, 1\]/);
    expect(() => toExplainableModel({})).toThrow(/No model adapter knows a Object/);
    const error = await explain(new ToyModel(), doc, { targets: { top: 9 } }).catch((e: unknown) => e);
    expect(GradcamError.isInstance(error)).toBe(true);
    expect((error as GradcamError).code).toBe('INVALID_TARGET');
    doc.dispose();
  });
});
