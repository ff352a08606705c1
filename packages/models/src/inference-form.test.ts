import { toExplainableModel } from '@gradcam/core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { predictGraph } from './graph-run.js';
import { LayersModelAdapter } from './index.js';
import { buildInferenceForm, type FoldCache } from './inference-form.js';

const seeded = (seed: number) => tfl.initializers.glorotUniform({ seed });
const stats = (seed: number) => tfl.initializers.randomUniform({ minval: 0.5, maxval: 1.5, seed });

/** A MobileNetV2-like block: expand (conv, BN, ReLU6), depthwise (BN, ReLU6), project (conv, BN), skip, head. */
function blockModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 4] });
  const bn = (name: string, seed: number) =>
    tfl.layers.batchNormalization({
      name,
      gammaInitializer: stats(seed),
      movingVarianceInitializer: stats(seed + 1),
      movingMeanInitializer: tfl.initializers.randomNormal({ seed: seed + 2 }),
      betaInitializer: tfl.initializers.randomNormal({ seed: seed + 3 }),
    });
  let x = tfl.layers.conv2d({ name: 'expand', filters: 8, kernelSize: 1, useBias: false, kernelInitializer: seeded(1) }).apply(input) as tfl.SymbolicTensor;
  x = bn('expand_BN', 10).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: 'expand_relu', maxValue: 6 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers
    .depthwiseConv2d({ name: 'depthwise', kernelSize: 3, padding: 'same', useBias: false, depthwiseInitializer: seeded(2) })
    .apply(x) as tfl.SymbolicTensor;
  x = bn('depthwise_BN', 20).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.reLU({ name: 'depthwise_relu', maxValue: 6 }).apply(x) as tfl.SymbolicTensor;
  x = tfl.layers.conv2d({ name: 'project', filters: 4, kernelSize: 1, useBias: false, kernelInitializer: seeded(3) }).apply(x) as tfl.SymbolicTensor;
  x = bn('project_BN', 30).apply(x) as tfl.SymbolicTensor;
  const added = tfl.layers.add({ name: 'add' }).apply([input, x]) as tfl.SymbolicTensor;
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(added) as tfl.SymbolicTensor;
  const out = tfl.layers.dense({ name: 'head', units: 3, activation: 'softmax', kernelInitializer: seeded(4) }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'block' });
}

const form = (model: tfl.LayersModel, keep?: string, cache: FoldCache = new Map()) => {
  const graph = buildInferenceForm(model, { id: 'test', keep, cache, persist: true, scratch: [] });
  return { graph, cache, dispose: () => tf.dispose([...cache.values()].flat()) };
};
const summary = (model: tfl.LayersModel, keep?: string) => {
  const f = form(model, keep);
  const nodes = f.graph.nodes.map((n) => `${n.name}:${n.op.kind}${'activation' in n.op ? `/${n.op.activation}` : ''}`);
  f.dispose();
  return { nodes, explained: f.graph.explained, logits: f.graph.logits };
};

describe('the inference form of a LayersModel', () => {
  let model: tfl.LayersModel;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = blockModel();
  });

  it('folds each batch norm into the convolution before it and fuses the ReLU6 after it; the final softmax stays a node (logits)', () => {
    expect(summary(model)).toEqual({
      nodes: [
        'input1:input',
        'expand_relu:conv2d/relu6',
        'depthwise_relu:depthwiseConv2d/relu6',
        'project_BN:conv2d/linear',
        'add:add',
        'gap:globalPool',
        'head:linear:dense/linear',
        'head:activation/softmax',
      ].map((n) => (n.startsWith('input1') ? `${model.inputLayers[0].name}:input` : n)),
      explained: undefined,
      logits: 'head:linear',
    });
  });

  it('keeps the explained layer’s own output: an explained convolution is not folded, an explained batch norm not fused with its ReLU6', () => {
    expect(summary(model, 'expand').nodes.slice(1, 4)).toEqual(['expand:conv2d/linear', 'expand_relu:affine/relu6', 'depthwise_relu:depthwiseConv2d/relu6']);
    expect(summary(model, 'expand').explained).toBe('expand');
    expect(summary(model, 'expand_BN').nodes.slice(1, 3)).toEqual(['expand_BN:conv2d/linear', 'expand_relu:activation/relu6']);
    expect(summary(model, 'expand_relu').explained).toBe('expand_relu');
  });

  it('computes what the model computes, at every node that is a layer’s output', () => {
    const x = tf.randomUniform([2, 8, 8, 4], -1, 1, 'float32', 7) as tf.Tensor4D;
    for (const keep of [undefined, 'expand', 'expand_BN', 'depthwise', 'project']) {
      const f = form(model, keep);
      for (const node of f.graph.nodes.slice(1)) {
        const layer = node.name.replace(/:.*/, '');
        if (node.name.includes(':')) continue;
        const ours = predictGraph(f.graph, x, node.name);
        const sub = tfl.model({ inputs: model.inputs, outputs: model.getLayer(layer).output as tfl.SymbolicTensor });
        const theirs = sub.predict(x) as tf.Tensor;
        expect(tf.max(tf.abs(tf.sub(ours, theirs))).dataSync()[0], `${keep} ${node.name}`).toBeLessThan(1e-5);
        tf.dispose([ours, theirs]);
      }
      f.dispose();
    }
    x.dispose();
  });

  it('is built once when the model is adapted, reused by every call, rebuilt for new weights (also inside tf.tidy), freed by model.dispose()', async () => {
    const start = tf.memory().numTensors;
    const m = blockModel();
    const withModel = tf.memory().numTensors;
    const adapter = toExplainableModel(m) as LayersModelAdapter;
    const adapted = tf.memory().numTensors;
    expect(adapted).toBeGreaterThan(withModel);
    const x = tf.randomUniform([1, 8, 8, 4], -1, 1, 'float32', 8) as tf.Tensor4D;
    const info = adapter.layers().find((l) => l.name === 'expand') as Parameters<LayersModelAdapter['capture']>[1];
    adapter.capture(x, info, { logits: false, targets: [0] }).dispose();
    tf.dispose(adapter.predict(x, { logits: true }));
    expect(tf.memory().numTensors).toBe(adapted + 1);
    const own = () => tf.tidy(() => (m.predict(x) as tf.Tensor).dataSync());
    const before = own();
    const head = m.getLayer('head');
    const original = head.getWeights().map((w) => w.clone());
    const doubled = original.map((w) => tf.mul(w, 2));
    head.setWeights(doubled);
    const changed = tf.tidy(() => adapter.predict(x, { logits: false }).dataSync()); // the rebuild happens inside a tidy
    const expected = own();
    expect(Math.max(...Array.from(changed, (v, i) => Math.abs(v - expected[i])))).toBeLessThan(1e-6);
    expect(Math.max(...Array.from(changed, (v, i) => Math.abs(v - before[i])))).toBeGreaterThan(1e-3);
    head.setWeights(original);
    tf.dispose(adapter.predict(x, { logits: false }));
    x.dispose();
    tf.dispose([...original, ...doubled]);
    m.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('prepare() makes nothing on the pure-JavaScript cpu backend', () => {
    const m = blockModel();
    const adapter = new LayersModelAdapter(m);
    const adapted = tf.memory().numTensors;
    adapter.prepare();
    expect(tf.memory().numTensors).toBe(adapted);
    m.dispose();
  });

  it('prepare() makes the backward kernels once: the same gradients, no transpose or flip in the pass, rebuilt for new weights, freed by model.dispose()', async () => {
    // The cpu backend's kernels under another name: prepare() skips 'cpu' itself.
    if (!tf.findBackendFactory('cpu-prepared')) {
      tf.registerBackend('cpu-prepared', () => new MathBackendCPU());
      for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: 'cpu-prepared' });
    }
    await tf.setBackend('cpu-prepared');
    const start = tf.memory().numTensors;
    const m = blockModel();
    const plain = new LayersModelAdapter(m);
    const prepared = new LayersModelAdapter(m);
    const adapted = tf.memory().numTensors;
    prepared.prepare();
    // expand and project (1×1: transposed), depthwise (flipped), head (dense: transposed).
    expect(tf.memory().numTensors).toBe(adapted + 4);
    prepared.prepare();
    expect(tf.memory().numTensors).toBe(adapted + 4);
    const x = tf.randomUniform([2, 8, 8, 4], -1, 1, 'float32', 9) as tf.Tensor4D;
    const info = prepared.layers().find((l) => l.name === 'expand_relu') as Parameters<LayersModelAdapter['captureBatch']>[1];
    const options = { logits: false, targets: [0, 2] };
    const kernelsOf = async (adapter: LayersModelAdapter) => {
      let gradients: Float32Array = new Float32Array();
      const profile = await tf.profile(() => {
        const capture = adapter.captureBatch(x, info, options);
        gradients = capture.gradients.dataSync() as Float32Array;
        capture.dispose();
      });
      return { gradients, names: new Set(profile.kernelNames) };
    };
    const counted = tf.memory().numTensors;
    const ours = await kernelsOf(prepared);
    expect(tf.memory().numTensors).toBe(counted);
    const theirs = await kernelsOf(plain);
    expect(ours.names.has('Transpose') || ours.names.has('Reverse')).toBe(false);
    expect(theirs.names.has('Transpose') && theirs.names.has('Reverse')).toBe(true);
    expect(Math.max(...ours.gradients.map((v, i) => Math.abs(v - theirs.gradients[i])))).toBeLessThan(1e-6);
    expect(Math.max(...ours.gradients.map(Math.abs))).toBeGreaterThan(1e-3);
    // New weights: the forms and their backward kernels are rebuilt (still four), and still right.
    const head = m.getLayer('head');
    const original = head.getWeights().map((w) => w.clone());
    const negated = original.map((w) => tf.mul(w, -1));
    head.setWeights(negated);
    const changed = tf.memory().numTensors;
    tf.dispose(prepared.predict(x, { logits: false })); // rebuilds the forms and the backward kernels
    expect(tf.memory().numTensors).toBe(changed);
    const flipped = await kernelsOf(prepared);
    expect(flipped.names.has('Transpose')).toBe(false);
    const reference = await kernelsOf(plain);
    expect(Math.max(...flipped.gradients.map((v, i) => Math.abs(v - reference.gradients[i])))).toBeLessThan(1e-6);
    expect(Math.max(...flipped.gradients.map((v, i) => Math.abs(v - ours.gradients[i])))).toBeGreaterThan(1e-4);
    tf.dispose([...original, ...negated, x]);
    m.dispose();
    expect(tf.memory().numTensors).toBe(start);
    await tf.setBackend('cpu');
  });

  it('explaining a layer that is called twice is a typed error', async () => {
    const input = tfl.input({ shape: [4, 4, 2] });
    const shared = tfl.layers.conv2d({ name: 'shared', filters: 2, kernelSize: 1, padding: 'same' });
    const twice = shared.apply(shared.apply(input)) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({ units: 2, activation: 'softmax' }).apply(tfl.layers.flatten().apply(twice)) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: out });
    const adapter = new LayersModelAdapter(m);
    const info = adapter.layers().find((l) => l.name === 'shared') as Parameters<LayersModelAdapter['capture']>[1];
    const x = tf.ones([1, 4, 4, 2]) as tf.Tensor4D;
    expect(() => adapter.capture(x, info, { logits: false, targets: [0] })).toThrow(/called 2 times/);
    x.dispose();
    m.dispose();
  });
});
