import { classTarget, explain, InvalidInputError, type LayerInfo } from '@gradcam/core';
import { type GraphExecutor, registerGraphExecutor, unregisterGraphExecutor } from '@gradcam/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { LayersModelAdapter } from './index.js';

/** A small residual network: the gradient at `inner` must include the skip connection. */
function residualModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [6, 6, 2] });
  const stem = tfl.layers
    .conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'stem', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) })
    .apply(input) as tfl.SymbolicTensor;
  const inner = tfl.layers
    .conv2d({ filters: 3, kernelSize: 3, padding: 'same', activation: 'relu', name: 'inner', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) })
    .apply(stem) as tfl.SymbolicTensor;
  const after = tfl.layers
    .conv2d({ filters: 3, kernelSize: 1, name: 'after', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) })
    .apply(inner) as tfl.SymbolicTensor;
  const sum = tfl.layers.add({ name: 'skip' }).apply([inner, after]) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(sum) as tfl.SymbolicTensor;
  const output = tfl.layers
    .dense({ units: 4, activation: 'softmax', name: 'head', kernelInitializer: tfl.initializers.glorotUniform({ seed: 4 }) })
    .apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: output, name: 'residual' });
}

/** Finite-difference reference for dScore_t/dA, perturbing A through the layers after it. */
function numericGradient(model: tfl.LayersModel, x: tf.Tensor4D, target: number, logits: boolean): Float32Array {
  const a = (tfl.model({ inputs: model.inputs, outputs: model.getLayer('inner').output as tfl.SymbolicTensor }).predict(x) as tf.Tensor).dataSync();
  // The rest of the network written out by hand (after = 1×1 conv, skip add, gap, dense).
  const [kAfter, bAfter] = model.getLayer('after').getWeights();
  const [kHead, bHead] = model.getLayer('head').getWeights();
  const score = (values: Float32Array) =>
    tf.tidy(() => {
      const A = tf.tensor4d(values, [1, 6, 6, 3]);
      const s = tf.add(A, tf.add(tf.conv2d(A, kAfter as tf.Tensor4D, 1, 'same'), bAfter));
      const z = tf.add(tf.matMul(tf.mean(s, [1, 2]), kHead as tf.Tensor2D), bHead);
      return (logits ? z : tf.softmax(z)).dataSync()[target];
    });
  const h = 1e-2;
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const plus = Float32Array.from(a);
    const minus = Float32Array.from(a);
    plus[i] += h;
    minus[i] -= h;
    out[i] = (score(plus) - score(minus)) / (2 * h);
  }
  return out;
}

describe('LayersModelAdapter', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('lists layers with Keras names, classes, shapes and parameter counts', () => {
    const adapter = new LayersModelAdapter(residualModel());
    const inner = adapter.layers().find((l) => l.name === 'inner');
    expect(inner).toMatchObject({ className: 'Conv2D', outputShape: [null, 6, 6, 3], paramCount: 3 * 3 * 3 * 3 + 3 });
    expect(adapter.defaultLayer().name).toBe('skip');
    expect(adapter.numClasses).toBe(4);
  });

  for (const logits of [false, true]) {
    it(`gives the total derivative through a skip connection (${logits ? 'logits' : 'softmax'}), for two targets in one pass`, () => {
      const model = residualModel();
      const adapter = new LayersModelAdapter(model);
      const x = tf.randomUniform([1, 6, 6, 2], -1, 1, 'float32', 7) as tf.Tensor4D;
      const info = adapter.layers().find((l) => l.name === 'inner')!;
      const numeric = [1, 3].map((target) => tf.tidy(() => numericGradient(model, x, target, logits)));
      const before = tf.memory().numTensors;
      const capture = adapter.capture(x, info, { logits, targets: [1, 3] });
      expect(capture.gradients.shape).toEqual([2, 6, 6, 3]);
      const grads = capture.gradients.arraySync().map((g) => g.flat(2));
      for (const [i, reference] of numeric.entries()) {
        const scale = Math.max(...reference.map(Math.abs));
        expect(scale).toBeGreaterThan(0);
        for (let k = 0; k < reference.length; k++) expect(Math.abs(grads[i][k] - reference[k])).toBeLessThan(2e-3 * scale + 1e-6);
      }
      capture.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('predict is differentiable under tf.grad (Integrated Gradients, SmoothGrad), bypassing a graph executor that has no gradient; target functions bypass it too, with one notice', () => {
    const model = residualModel();
    const adapter = new LayersModelAdapter(model);
    const x = tf.randomUniform([2, 6, 6, 2], -1, 1, 'float32', 11) as tf.Tensor4D;
    // An executor for this backend that would answer predict without a tape.
    const sessionLike: GraphExecutor = {
      name: 'test-session',
      backend: 'cpu',
      unsupported: () => undefined,
      predict: (_graph, batch) => tf.zeros([batch.shape[0], 4]),
      captureBatch: () => {
        throw new Error('not used');
      },
      release: () => {},
    };
    registerGraphExecutor(sessionLike);
    try {
      expect(Array.from(adapter.predict(x, { logits: false }).dataSync()).every((v) => v === 0)).toBe(true);
      // Weights that sum to 0: w·z and w·log(softmax(z)) differ by a multiple of Σw, so the
      // logits' gradient equals that of w·log(model output).
      const w = tf.tensor1d([1, -2, 3, -2]);
      for (const logits of [false, true]) {
        const ours = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(adapter.predict(input as tf.Tensor4D, { logits }), w)))(x);
        const theirs = tf.grad((input: tf.Tensor) => {
          const y = model.apply(input, { training: false }) as tf.Tensor;
          return tf.sum(tf.mul(logits ? tf.log(y) : y, w));
        })(x);
        expect(tf.max(tf.abs(ours)).dataSync()[0]).toBeGreaterThan(1e-4);
        expect(tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0]).toBeLessThan(1e-5);
        tf.dispose([ours, theirs]);
      }
      w.dispose();
      // A target function: captured on tfjs ops (the executor's captureBatch would throw), said once.
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      const info = adapter.layers().find((l) => l.name === 'inner') as LayerInfo;
      for (let i = 0; i < 2; i++) adapter.captureBatch(x, info, { logits: false, targets: [classTarget(1)] }).dispose();
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0][0])).toMatch(/test-session cannot run residual for this call \(target functions are JavaScript\)/);
      warn.mockRestore();
    } finally {
      unregisterGraphExecutor('test-session');
    }
  });

  it('explains logits without changing the model, and refuses logits when there is no softmax', async () => {
    const model = residualModel();
    const x = tf.randomUniform([1, 6, 6, 2], -1, 1, 'float32', 9);
    const probs = (model.predict(x) as tf.Tensor).dataSync();
    const expl = await explain(model, x, { logits: true, targets: [0] });
    expect(expl.targets[0].proba).toBeCloseTo(probs[0], 5);
    expect((model.predict(x) as tf.Tensor).dataSync()).toEqual(probs);
    const linear = tfl.sequential({
      layers: [tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 2 }), tfl.layers.flatten(), tfl.layers.dense({ units: 2 })],
    });
    await expect(explain(linear, tf.zeros([1, 4, 4, 1]), { logits: true })).rejects.toThrow(InvalidInputError);
  });

  it('picks the last spatial layer by default, skipping 1×1 global pooling', () => {
    const m = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, name: 'c' }),
        tfl.layers.averagePooling2d({ poolSize: 6, name: 'p' }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    expect(new LayersModelAdapter(m).defaultLayer().name).toBe('c');
  });
});
