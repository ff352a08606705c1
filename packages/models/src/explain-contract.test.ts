import { explain, explainBatch, InvalidInputError, InvalidTargetError, NoSuchLayerError, NotDifferentiableError, toExplainableModel } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphModelAdapter, LayersModelAdapter, loadBundledModel } from './index.js';
import { runTargetGradients } from './target-gradients.js';

const seeded = (seed: number) => tfl.initializers.glorotUniform({ seed });

/** A Teachable-Machine-shaped model: a Sequential whose first layer is a functional backbone. */
function nestedModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [12, 12, 3] });
  const c1 = tfl.layers
    .conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: seeded(1) })
    .apply(input);
  const c2 = tfl.layers.conv2d({ filters: 6, kernelSize: 1, activation: 'relu', name: 'c2', kernelInitializer: seeded(2) }).apply(c1);
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(c2) as tfl.SymbolicTensor;
  const backbone = tfl.model({ inputs: input, outputs: pooled, name: 'backbone' });
  const head = tfl.sequential({
    name: 'head',
    layers: [tfl.layers.dense({ inputShape: [6], units: 3, activation: 'softmax', name: 'probs', kernelInitializer: seeded(3) })],
  });
  return tfl.sequential({ name: 'nested', layers: [backbone, head] });
}

describe('the explain contract on tfjs models', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('searches nested models and names their layers by path', async () => {
    const model = nestedModel();
    const adapter = new LayersModelAdapter(model);
    expect(adapter.layers().map((l) => l.name)).toEqual(
      ['backbone', 'backbone/input1', 'backbone/c1', 'backbone/c2', 'backbone/gap', 'head', 'head/probs'].map((n) =>
        n === 'backbone/input1' ? adapter.layers()[1].name : n,
      ),
    );
    expect(adapter.defaultLayer().name).toBe('backbone/c2');
    const x = tf.randomUniform([1, 12, 12, 3], 0, 1, 'float32', 4);
    const byPath = await explain(model, x, { layer: 'backbone/c1', targets: [1] });
    const byInstance = await explain(model, x, { layer: (model.layers[0] as tfl.LayersModel).getLayer('c1'), targets: [1] });
    expect(byPath.layer).toBe('backbone/c1');
    expect(byInstance.targets[0].heatmap.data).toEqual(byPath.targets[0].heatmap.data);
    const logits = await explain(model, x, { layer: 'backbone/c1', targets: [1], logits: true });
    expect(logits.targets[0].proba).toBeCloseTo((model.predict(x) as tf.Tensor).dataSync()[1], 5);
  });

  it('runs one forward pass for five targets: each convolution of the inference form once', async () => {
    const model = await loadBundledModel('nsfw_mobilenet_v2');
    const adapter = toExplainableModel(model);
    const x = tf.fill([1, 224, 224, 3], 0.5);
    let expl: Awaited<ReturnType<typeof explain>> | undefined;
    const profile = await tf.profile(async () => {
      expl = await explain(adapter, x, { targets: [0, 1, 2, 3, 4] });
    });
    x.dispose();
    const convs = profile.kernels.filter((k) => k.name === 'FusedConv2D' || k.name === 'FusedDepthwiseConv2D');
    // 35 convolutions and 17 depthwise convolutions, batch norms folded in: each runs once, on one row.
    expect(convs).toHaveLength(52);
    expect(convs.every((k) => k.inputShapes[0]?.[0] === 1)).toBe(true);
    expect(profile.kernels.some((k) => k.name === 'FusedBatchNorm')).toBe(false);
    expect(expl?.targets.map((t) => t.target)).toEqual([0, 1, 2, 3, 4]);
    model.dispose();
  }, 60_000);

  it('leaves tf.memory().numTensors unchanged over 1000 calls, and when it throws', async () => {
    const model = nestedModel();
    const x = tf.randomUniform([1, 12, 12, 3], 0, 1, 'float32', 5);
    await explain(model, x); // adapter and kernels warmed up
    const before = tf.memory().numTensors;
    for (let i = 0; i < 1000; i++) await explain(model, x, { targets: [i % 3, (i + 1) % 3], logits: i % 2 === 0 });
    expect(tf.memory().numTensors).toBe(before);
    await expect(explain(model, x, { targets: [3] })).rejects.toThrow(InvalidTargetError);
    await expect(explain(model, x, { layer: 'c3' })).rejects.toThrow(NoSuchLayerError);
    await expect(explain(model, x, { layer: 'backbone/gap' })).rejects.toThrow(/output shape \[null, 6\]/);
    await expect(explain(model, tf.zeros([1, 10, 12, 3]))).rejects.toThrow(/expects \[1, 12, 12, 3\]/);
    await expect(explain(model, tf.zeros([2, 12, 12, 3]))).rejects.toThrow(/explainBatch/);
    expect(tf.memory().numTensors).toBe(before + 2);
  });

  it('lists valid layer names nearest match first', async () => {
    const error = (await explain(nestedModel(), tf.zeros([1, 12, 12, 3]), { layer: 'c3' }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/nearest match first: 'backbone\/c1', 'backbone\/c2'|nearest match first: 'backbone\/c2', 'backbone\/c1'/);
  });

  it('says when the gradient does not reach the layer, and frees what the failed pass saved', () => {
    // (The adapters never offer such a layer: tfjs-layers models hold only layers on the path to
    // the output, and graph candidates are filtered by reachability.)
    const x = tf.ones([1, 2, 2, 1]) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    // a forward pass in which the layer output (and so delta) never reaches the scores
    const run = () =>
      runTargetGradients(
        x,
        { logits: false, targets: [0] },
        ({ input, inject }) =>
          tf.tidy(() => {
            inject(tf.relu(input) as tf.Tensor4D);
            return tf.reshape(tf.sum(tf.square(input)), [1, 1]) as tf.Tensor2D;
          }),
        [null, 2, 2, 1],
      );
    expect(run).toThrow(NotDifferentiableError);
    expect(run).toThrow(/does not reach the chosen layer/);
    // tf.grad keeps the tensors its tape saved (here for relu, square and sum) when it fails
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });

  it('warns when a map is all zeros (and keeps it zero, not NaN)', async () => {
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [4, 4, 1],
          filters: 1,
          kernelSize: 1,
          kernelInitializer: 'ones',
          biasInitializer: 'ones',
          activation: 'relu',
          name: 'pos',
        }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: tfl.initializers.constant({ value: -1 }) }),
      ],
    });
    const expl = await explain(model, tf.ones([1, 4, 4, 1]), { targets: [0] });
    expect(Array.from(expl.targets[0].heatmap.data).every((v) => v === 0)).toBe(true);
    expect(expl.warnings?.[0]).toMatch(/Target 0: the Grad-CAM map at 'pos' is all zeros/);
  });

  it('explainBatch explains each image with its own default target', async () => {
    const model = nestedModel();
    const docs = tf.randomUniform([3, 12, 12, 3], 0, 1, 'float32', 6);
    const before = tf.memory().numTensors;
    const results = await explainBatch(model, docs);
    expect(tf.memory().numTensors).toBe(before);
    const probs = (model.predict(docs) as tf.Tensor2D).arraySync();
    expect(results.map((r) => r.targets[0].target)).toEqual(probs.map((row) => row.indexOf(Math.max(...row))));
    const single = await explain(model, tf.slice(docs, [1], [1]) as tf.Tensor4D);
    expect(results[1].targets[0].heatmap.data).toEqual(single.targets[0].heatmap.data);
    await expect(explainBatch(model, tf.zeros([12, 12, 3]))).rejects.toThrow(InvalidInputError);
  });
});

describe('GraphModel: inner nodes', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('explains a named inner node; its gradient agrees with finite differences', async () => {
    const graph = await loadBundledModel('nsfw_mobilenet_v2_mid');
    const adapter = new GraphModelAdapter(graph as never, 'mid');
    const node = 'MobilenetV2/expanded_conv_13/expand/Relu6';
    const info = adapter.layers().find((l) => l.name === node)!;
    expect(info.outputShape).toEqual([null, 14, 14, 816]);
    const x = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 8) as tf.Tensor4D;
    const capture = adapter.capture(x, info, { logits: true, targets: [2] });
    const a = capture.activations.arraySync()[0];
    const g = capture.gradients.arraySync()[0];
    const full = `StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/StatefulPartitionedCall/predict/${node}`;
    const logitNode = 'StatefulPartitionedCall/sequential/dense/BiasAdd';
    const score = (values: number[][][]) =>
      tf.tidy(
        () =>
          (
            (graph as unknown as { execute: (i: object, o: string) => tf.Tensor })
              .execute({ input: x, [full]: tf.tensor4d([values]) }, logitNode)
              .dataSync() as Float32Array
          )[2],
      );
    // cells with the largest gradients, where a finite difference is well above float32 noise
    const cells: [number, number, number][] = [];
    for (let i = 1; i < 14; i += 6)
      for (let j = 2; j < 14; j += 6) {
        const k = g[i][j].reduce((best, v, c, row) => (Math.abs(v) > Math.abs(row[best]) ? c : best), 0);
        if (a[i][j][k] > 0.05 && a[i][j][k] < 5.95) cells.push([i, j, k]);
      }
    expect(cells.length).toBeGreaterThan(3);
    for (const [i, j, k] of cells) {
      const h = 1e-2;
      const plus = structuredClone(a);
      const minus = structuredClone(a);
      plus[i][j][k] += h;
      minus[i][j][k] -= h;
      const numeric = (score(plus) - score(minus)) / (2 * h);
      expect(Math.abs(numeric - g[i][j][k])).toBeLessThan(0.05 * Math.abs(g[i][j][k]) + 2e-4);
    }
    capture.dispose();
    const expl = await explain(adapter, x, { layer: node, targets: { top: 2 } });
    expect(expl.targets[0].heatmap.width).toBe(14);
  }, 120_000);
});
