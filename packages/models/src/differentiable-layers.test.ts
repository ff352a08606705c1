import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { differentiableCall } from './differentiable-layers.js';
import { LayersModelAdapter } from './index.js';

// Every layer call differentiable-layers.ts replaces, after the explained layer 'inner': a
// 1×1 and a strided 3×3 convolution, stride-1 and stride-2 depthwise convolutions, batch
// normalisation with and without scale, ReLU6 and 'same' average pooling (whose cpu gradient
// is wrong at the borders without the replacement). Checked against finite differences of the
// plain forward pass, on the cpu backend.
const seed = (s: number) => tfl.initializers.randomUniform({ minval: -0.6, maxval: 0.6, seed: s });

function chain(): tfl.LayersModel {
  const input = tfl.input({ shape: [7, 7, 2] });
  const layers: tfl.layers.Layer[] = [
    tfl.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'inner', kernelInitializer: seed(1) }),
    tfl.layers.batchNormalization({ name: 'bn_noscale', scale: false, movingVarianceInitializer: 'ones', betaInitializer: seed(2) }),
    tfl.layers.reLU({ maxValue: 6, name: 'relu6' }),
    tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw1', depthwiseInitializer: seed(3), biasInitializer: seed(4), useBias: true }),
    tfl.layers.batchNormalization({ name: 'bn', gammaInitializer: seed(5), movingMeanInitializer: seed(6), movingVarianceInitializer: 'ones' }),
    tfl.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same', name: 'pool' }),
    tfl.layers.conv2d({ filters: 4, kernelSize: 1, name: 'pointwise', kernelInitializer: seed(7), activation: 'relu', biasInitializer: 'ones' }),
    tfl.layers.depthwiseConv2d({ kernelSize: 3, strides: 2, padding: 'same', name: 'dw2', depthwiseInitializer: seed(8) }),
    tfl.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same', name: 'strided', kernelInitializer: seed(9) }),
    tfl.layers.globalAveragePooling2d({ name: 'gap' }),
    tfl.layers.dense({ units: 3, name: 'head', kernelInitializer: seed(10) }), // linear: FD noise stays small next to the signal
  ];
  let x: tfl.SymbolicTensor = input;
  for (const layer of layers) x = layer.apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x, name: 'chain' });
}

/** dScore/dA by central differences, running the layers after 'inner' as tfjs-layers does. */
function numericGradient(model: tfl.LayersModel, a: Float32Array, shape: number[], target: number): Float32Array {
  const after = model.layers.slice(model.layers.findIndex((l) => l.name === 'inner') + 1);
  const score = (values: Float32Array) =>
    tf.tidy(() => {
      let t: tf.Tensor = tf.tensor(values, shape);
      for (const layer of after) t = layer.apply(t) as tf.Tensor;
      return t.dataSync()[target];
    });
  const h = 1e-2;
  return Float32Array.from(a, (_, i) => {
    const plus = Float32Array.from(a);
    const minus = Float32Array.from(a);
    plus[i] += h;
    minus[i] -= h;
    return (score(plus) - score(minus)) / (2 * h);
  });
}

describe('gradient-friendly layer calls (differentiable-layers.ts)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('give the total derivative of the plain forward pass, through every replaced layer', () => {
    const model = chain();
    const adapter = new LayersModelAdapter(model);
    const x = tf.randomUniform([1, 7, 7, 2], -2, 2, 'float32', 11) as tf.Tensor4D;
    const info = adapter.layers().find((l) => l.name === 'inner');
    if (!info) throw new Error('no inner layer');
    const before = tf.memory().numTensors;
    const capture = adapter.capture(x, info, { logits: false, targets: [0, 2] });
    const a = capture.activations.dataSync() as Float32Array;
    const grads = capture.gradients.arraySync().map((g) => g.flat(2));
    const outputs = capture.outputs.dataSync();
    capture.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // The explain pass computes the forward values predict computes.
    const predicted = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    for (let k = 0; k < 3; k++) expect(outputs[k]).toBeCloseTo(predicted[k], 6);
    for (const [i, target] of [0, 2].entries()) {
      const reference = numericGradient(model, a, [1, 7, 7, 3], target);
      const scale = Math.max(...reference.map(Math.abs));
      expect(scale).toBeGreaterThan(1e-4);
      let worst = 0;
      for (let k = 0; k < reference.length; k++) worst = Math.max(worst, Math.abs(grads[i][k] - reference[k]));
      expect(worst).toBeLessThan(2e-3 * scale + 1e-6);
    }
    x.dispose();
  });

  it('depthwise convolutions: the input gradient through the flipped kernel equals tfjs’ own, for every stride and padding', () => {
    // Odd and even sizes, strides 1–3, 'same' and 'valid', odd and even kernels: the spread dy
    // must land every value where DepthwiseConv2dNativeBackpropInput puts it.
    const cases = [
      { size: [7, 7], kernel: 3, strides: 2, padding: 'same' },
      { size: [8, 8], kernel: 3, strides: 2, padding: 'same' },
      { size: [9, 8], kernel: 3, strides: 2, padding: 'valid' },
      { size: [8, 9], kernel: 3, strides: 2, padding: 'valid' },
      { size: [10, 7], kernel: 3, strides: 3, padding: 'valid' },
      { size: [6, 6], kernel: 2, strides: 1, padding: 'same' },
      { size: [7, 6], kernel: 3, strides: 1, padding: 'valid' },
      { size: [11, 11], kernel: 5, strides: 2, padding: 'same' },
    ] as const;
    for (const { size, kernel, strides, padding } of cases) {
      const layer = tfl.layers.depthwiseConv2d({ kernelSize: kernel, strides, padding, depthwiseInitializer: seed(12), useBias: false });
      layer.apply(tfl.input({ shape: [size[0], size[1], 3] }));
      const owned: tf.Tensor[] = [];
      const call = differentiableCall(layer, owned);
      expect(call, `${JSON.stringify({ size, kernel, strides, padding })} is replaced`).toBeDefined();
      const before = tf.memory().numTensors;
      const [ours, theirs, shapeOk] = tf.tidy(() => {
        const x = tf.randomUniform([2, size[0], size[1], 3], -1, 1, 'float32', 13);
        const probe = (f: (t: tf.Tensor) => tf.Tensor) =>
          tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), tf.sin(tf.reshape(tf.range(1, 1 + f(t).size), f(t).shape)))))(x);
        const mine = probe((t) => (call as (i: tf.Tensor, k: unknown) => tf.Tensor)(t, {}));
        const own = probe((t) => layer.call(t, {}) as tf.Tensor);
        return [mine.dataSync(), own.dataSync(), mine.shape.join() === x.shape.join()];
      });
      tf.dispose(owned);
      expect(tf.memory().numTensors).toBe(before);
      expect(shapeOk).toBe(true);
      let worst = 0;
      for (let i = 0; i < theirs.length; i++) worst = Math.max(worst, Math.abs(ours[i] - theirs[i]));
      expect(Math.max(...Array.from(theirs, Math.abs))).toBeGreaterThan(0.1);
      expect(worst, JSON.stringify({ size, kernel, strides, padding })).toBeLessThan(1e-5);
    }
  });
});
