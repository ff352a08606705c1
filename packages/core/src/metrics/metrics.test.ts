import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { explain } from '../explain.js';
import type { ExplainableModel, LayerInfo } from '../explainable-model.js';
import { baselineImage, confidenceChange, deletionCurve, insertionCurve, modelRandomization, randomHeatmap, spearman } from './index.js';
import { averageRanks } from './spearman.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const [H, W] = [4, 4];
const layer: LayerInfo = { name: 'input', className: 'Toy', outputShape: [null, H, W, 1], paramCount: 0, index: 0 };
/** score_0 = Σ w ⊙ x, score_1 = Σ x; the explained layer is the input, so Grad-CAM's map follows w·x. */
let w = tf.keep(
  tf.tensor4d(
    Float32Array.from({ length: H * W }, (_, i) => (i % 5) + 1),
    [1, H, W, 1],
  ),
);
const predict = (batch: tf.Tensor4D) => tf.tidy(() => tf.stack([tf.sum(tf.mul(batch, w), [1, 2, 3]), tf.sum(batch, [1, 2, 3])], 1) as tf.Tensor2D);
const toy: ExplainableModel = {
  specificationVersion: 'v1',
  name: 'toy',
  inputShape: [null, H, W, 1],
  numClasses: 2,
  layers: () => [layer],
  defaultLayer: () => layer,
  capture(doc, _layer, options) {
    const targets = Array.isArray(options.targets) ? [...options.targets] : [0];
    const scores = predict(doc);
    const outputs = scores.clone();
    const activations = doc.clone();
    const gradients = tf.tidy(() => tf.concat(targets.map((t) => (t === 0 ? w : tf.onesLike(w)))) as tf.Tensor4D);
    return { activations, scores, outputs, targets, gradients, dispose: () => tf.dispose([scores, outputs, activations, gradients]) };
  },
  predict,
};
const doc = tf.keep(
  tf.tensor4d(
    Float32Array.from({ length: H * W }, (_, i) => 1 + ((i * 7) % 3)),
    [1, H, W, 1],
  ),
);
const contribution = () => ({ width: W, height: H, data: tf.tidy(() => tf.mul(doc, w).dataSync() as Float32Array) });

describe('spearman', () => {
  it('matches scipy.stats.spearmanr, averages ties, and gives 0 for a constant input', () => {
    expect(spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12);
    expect(Array.from(averageRanks([1, 2, 2, 3]))).toEqual([1, 2.5, 2.5, 4]);
    expect(spearman([3, 1, 2], [30, 10, 20])).toBeCloseTo(1, 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBe(0);
  });
});

describe('deletion and insertion', () => {
  it('follow the map: the true contributions delete faster than their reverse; batching does not change the curve', async () => {
    const before = tf.memory().numTensors;
    const good = await deletionCurve(toy, doc, contribution(), { target: 0, steps: 16, baseline: 'zero' });
    const reversed = contribution();
    const bad = await deletionCurve(toy, doc, { ...reversed, data: reversed.data.map((v) => -v) }, { target: 0, steps: 16, baseline: 'zero', batchSize: 3 });
    expect(tf.memory().numTensors).toBe(before);
    expect(good.fractions).toHaveLength(17);
    const full = tf.tidy(() => tf.sum(tf.mul(doc, w)).dataSync()[0]);
    expect(good.scores[0]).toBeCloseTo(full, 4);
    expect(good.scores[16]).toBeCloseTo(0, 5);
    expect(good.auc).toBeLessThan(bad.auc);
    // Batching: the same curve in one call or in chunks of 3.
    const chunked = await deletionCurve(toy, doc, contribution(), { target: 0, steps: 16, baseline: 'zero', batchSize: 3 });
    expect(chunked.scores).toEqual(good.scores);
    const ins = await insertionCurve(toy, doc, contribution(), { target: 0, steps: 16, baseline: 'zero' });
    expect(ins.scores[0]).toBeCloseTo(0, 5);
    expect(ins.scores[16]).toBeCloseTo(full, 4);
    expect(ins.auc).toBeGreaterThan(good.auc);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("baselines: 'mean' is the channel mean, 'blur' keeps a constant image", () => {
    tf.tidy(() => {
      const mean = baselineImage(doc, 'mean').dataSync();
      const expected = tf.mean(doc).dataSync()[0];
      for (const v of mean) expect(v).toBeCloseTo(expected, 5);
      const flat = tf.fill([1, 9, 9, 3], 0.25) as tf.Tensor4D;
      for (const v of baselineImage(flat, 'blur', 2).dataSync()) expect(v).toBeCloseTo(0.25, 5);
      expect(baselineImage(flat, 'blur', 2).shape).toEqual([1, 9, 9, 3]);
    });
    expect(() => baselineImage(doc, 'noise' as never)).toThrow(/'blur', 'mean' or 'zero'/);
  });

  it('confidence change: an all-ones map changes nothing, an all-zeros map drops everything', async () => {
    const ones = await confidenceChange(toy, doc, { width: 2, height: 2, data: new Float32Array(4).fill(1) }, { target: 0 });
    expect(ones.masked).toBeCloseTo(ones.original, 4);
    expect(ones.drop).toBeCloseTo(0, 5);
    const zeros = await confidenceChange(toy, doc, { width: 2, height: 2, data: new Float32Array(4) }, { target: 0 });
    expect(zeros).toMatchObject({ masked: 0, drop: 1, increase: false });
    await expect(confidenceChange(toy, doc, { width: 1, height: 1, data: Float32Array.from([2]) }, { target: 0 })).rejects.toThrow(/\[0, 1\]/);
    await expect(confidenceChange(toy, doc, contribution(), { target: 5 })).rejects.toMatchObject({ code: 'INVALID_TARGET' });
  });

  it('randomHeatmap is seeded', () => {
    expect(randomHeatmap(3, 2, 1).data).toEqual(randomHeatmap(3, 2, 1).data);
    expect(randomHeatmap(3, 2, 1).data).not.toEqual(randomHeatmap(3, 2, 2).data);
  });
});

describe('model randomization (Adebayo et al.)', () => {
  it('re-initialised weights decorrelate the map; every step is undone', async () => {
    const trained = await explain(toy, doc, { method: 'hirescam', targets: [0] });
    const before = tf.memory().numTensors;
    const step = (name: string, seed: number) => ({
      name,
      randomize() {
        const saved = w;
        w = tf.keep(tf.randomUniform([1, H, W, 1], 0, 1, 'float32', seed));
        return () => {
          w.dispose();
          w = saved;
        };
      },
    });
    const report = await modelRandomization(toy, doc, { method: 'hirescam', targets: [0], steps: [step('top', 1), step('next', 2)] });
    expect(tf.memory().numTensors).toBe(before);
    expect(report.steps.map((s) => s.randomized)).toEqual([['top'], ['top', 'next']]);
    expect(report.original[0].data).toEqual(trained.targets[0].heatmap.data);
    for (const s of report.steps) expect(s.correlations[0]).toBeLessThan(0.9);
    const after = await explain(toy, doc, { method: 'hirescam', targets: [0] });
    expect(after.targets[0].heatmap.data).toEqual(trained.targets[0].heatmap.data);
  });
});
