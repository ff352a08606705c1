import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// tfjs-core registers no gradient functions itself (tfjs-layers does, in @gradcam/models).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeMaps } from './cam-maps.js';
import type { CamMethod } from './cam-method.js';
import { getCamMethod, listCamMethods, registerCamMethod } from './cam-methods.js';
import { InvalidInputError } from './errors.js';
import { explain } from './explain.js';
import { gradCamMaps } from './grad-cam.js';
import { linearModel } from './test-support.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const [H, W, C, K] = [3, 4, 3, 3];
/** A linear toy classifier: score_t = Σ W_t ⊙ x, so dScore_t/dx = W_t; the explained layer is the input. */
const classWeights = tf.keep(tf.randomNormal([K, H, W, C], 0, 1, 'float32', 42)) as tf.Tensor4D;
const toy = linearModel({ name: 'linear-toy', weights: classWeights });
const doc = tf.keep(tf.randomUniform([1, H, W, C], 0, 1, 'float32', 7)) as tf.Tensor4D;

describe('the CAM method registry', () => {
  it('lists the built-in methods, gradcam first', () => {
    expect(listCamMethods().map((m) => m.id)).toEqual([
      'gradcam',
      'gradcam++',
      'hirescam',
      'layercam',
      'xgradcam',
      'scorecam',
      'eigencam',
      'eigengradcam',
      'ablationcam',
      'integrated-gradients',
      'smoothgrad',
      'occlusion',
    ]);
    expect(listCamMethods().map((m) => m.displayName)).toContain('Grad-CAM++');
  });

  it('an unknown method is an InvalidInputError that lists the valid ones', async () => {
    expect(() => getCamMethod('gradcam+++')).toThrow(InvalidInputError);
    expect(() => getCamMethod('gradcam+++')).toThrow(/'gradcam', 'gradcam\+\+', 'hirescam'.*'eigengradcam'/);
    await expect(explain(toy, doc, { method: 'nope' })).rejects.toThrow(/Unknown CAM method 'nope'/);
  });

  it('a plugin registers a method and explain uses it, reporting its display name', async () => {
    const plugin: CamMethod = {
      id: 'activation-sum',
      displayName: 'Activation sum',
      description: 'map = Σ_k A_k',
      usesGradients: false,
      usesModel: false,
      compute: ({ activations, targets }) => ({ weights: tf.ones([targets.length, activations.shape[3]]) as tf.Tensor2D }),
    };
    registerCamMethod(plugin);
    expect(listCamMethods().at(-1)?.id).toBe('activation-sum');
    const expl = await explain(toy, doc, { method: 'activation-sum' });
    expect(expl.method).toBe('Activation sum');
    expect(expl.description).toMatch(/^Activation sum visualization/);
    const expected = tf.tidy(() => normalizeMaps(tf.sum(doc, 3) as tf.Tensor3D).dataSync());
    expect(Array.from(expl.targets[0].heatmap.data)).toEqual(Array.from(expected));
    expect(() => registerCamMethod({ ...plugin, id: 'Bad Id' })).toThrow(InvalidInputError);
  });
});

describe('explain with methods and options', () => {
  it("method 'gradcam' (the default) is ELI5's Grad-CAM, bit for bit", async () => {
    const expl = await explain(toy, doc, { targets: [0, 2] });
    expect(expl.method).toBe('Grad-CAM');
    const expected = tf.tidy(() => gradCamMaps(doc, tf.gather(classWeights, [0, 2]) as tf.Tensor4D).arraySync());
    expect(expl.targets.map((t) => Array.from(t.heatmap.data))).toEqual(expected.map((m) => m.flat()));
  });

  it('every built-in method leaves the tensor count unchanged and gives maps in [0, 1]', async () => {
    for (const method of listCamMethods()) {
      const before = tf.memory().numTensors;
      const expl = await explain(toy, doc, { method: method.id, targets: [0, 1], batchSize: 2 });
      expect(tf.memory().numTensors).toBe(before);
      expect(expl.method).toBe(method.displayName);
      for (const t of expl.targets) for (const v of t.heatmap.data) expect(v >= 0 && v <= 1).toBe(true);
      const smooth = await explain(toy, doc, { method: method.id, targets: [0, 1], batchSize: 2, eigenSmooth: true });
      expect(smooth.targets).toHaveLength(2);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('relu: false keeps negative evidence (max-normalised to [-1, 1]); counterfactual negates the gradients', async () => {
    const signed = await explain(toy, doc, { method: 'hirescam', targets: [1], relu: false });
    const values = Array.from(signed.targets[0].heatmap.data);
    expect(Math.min(...values)).toBeLessThan(0);
    expect(Math.max(...values.map(Math.abs))).toBeCloseTo(1, 5);
    const counter = await explain(toy, doc, { method: 'hirescam', targets: [1], relu: false, counterfactual: true });
    Array.from(counter.targets[0].heatmap.data).forEach((v, i) => {
      expect(v).toBeCloseTo(-values[i], 6);
    });
    const counterRelu = await explain(toy, doc, { method: 'hirescam', targets: [1], counterfactual: true });
    const maxNeg = Math.max(...values.map((v) => -v));
    Array.from(counterRelu.targets[0].heatmap.data).forEach((v, i) => {
      expect(v).toBeCloseTo(Math.max(-values[i], 0) / maxNeg, 5);
    });
  });

  it("normalize: 'minmax' spans [0, 1]; false keeps the raw map", async () => {
    const raw = await explain(toy, doc, { method: 'hirescam', targets: [1], relu: false, normalize: false });
    const expected = tf.tidy(() => tf.sum(tf.mul(doc, tf.gather(classWeights, [1])), 3).dataSync());
    Array.from(raw.targets[0].heatmap.data).forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 5);
    });
    const minmax = await explain(toy, doc, { method: 'hirescam', targets: [1], relu: false, normalize: 'minmax' });
    const values = Array.from(minmax.targets[0].heatmap.data);
    expect(Math.min(...values)).toBe(0);
    expect(Math.max(...values)).toBeCloseTo(1, 5);
  });

  it('bad options are InvalidInputErrors naming the valid values', async () => {
    await expect(explain(toy, doc, { normalize: 'l2' as never })).rejects.toThrow(/'max', 'minmax' or false/);
    await expect(explain(toy, doc, { method: 'eigencam', counterfactual: true })).rejects.toThrow(/uses none/);
    await expect(explain(toy, doc, { method: 'scorecam', batchSize: 0 })).rejects.toThrow(InvalidInputError);
    const { predict: _p, ...noPredict } = toy;
    await expect(explain(noPredict, doc, { method: 'scorecam' })).rejects.toThrow(/no predict/);
  });

  it('augSmooth averages the maps of the flipped / brightness-scaled images, each flipped back', async () => {
    const before = tf.memory().numTensors;
    const smooth = await explain(toy, doc, { method: 'hirescam', targets: [0, 2], augSmooth: true });
    expect(tf.memory().numTensors).toBe(before);
    const sum = new Float64Array(H * W * 2);
    for (const flip of [false, true]) {
      for (const factor of [0.9, 1, 1.1]) {
        const x = tf.tidy(() => tf.mul(flip ? tf.reverse(doc, 2) : doc, factor) as tf.Tensor4D);
        const expl = await explain(toy, x, { method: 'hirescam', targets: [0, 2] });
        x.dispose();
        expl.targets.forEach((t, k) => {
          for (let i = 0; i < H; i++) for (let j = 0; j < W; j++) sum[k * H * W + i * W + j] += t.heatmap.data[i * W + (flip ? W - 1 - j : j)] / 6;
        });
      }
    }
    smooth.targets.forEach((t, k) => {
      t.heatmap.data.forEach((v, i) => {
        expect(v).toBeCloseTo(sum[k * H * W + i], 6);
      });
    });
  });

  it('Score-CAM reports progress per chunk of masks', async () => {
    const seen: [number, number][] = [];
    await explain(toy, doc, { method: 'scorecam', batchSize: 2, onProgress: (done, total) => seen.push([done, total]) });
    expect(seen).toEqual([
      [2, 3],
      [3, 3],
    ]);
  });
});
