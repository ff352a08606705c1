// explainBatch on the bundled MobileNetV2s: one captureBatch (one forward and one backward pass)
// for the four sample images gives what explainPrediction gives each image alone, on wasm and
// tfjs-node, for the LayersModel (out_relu and an inner layer) and the GraphModel.
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type BackendName,
  type ExplainPredictionOptions,
  type Explanation,
  explainBatch,
  explainPrediction,
  imgToArray,
  type LoadedModel,
  loadImg,
  loadModel,
  setBackend,
} from './index.js';

const SAMPLES = ['chelsea.png', 'coffee.png', 'astronaut.png', 'rocket.jpg'].map((f) => new URL(`../../../examples/images/${f}`, import.meta.url));
const backends: BackendName[] = process.env.GRADCAM_SKIP_TFJS_NODE === '1' ? ['wasm'] : ['wasm', 'tensorflow'];

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
};

describe.each(backends)('explainBatch = explainPrediction per image, bundled MobileNetV2s (%s)', (backend) => {
  let model: LoadedModel;
  let graph: LoadedModel;
  let docs: tf.Tensor4D;
  beforeAll(async () => {
    await setBackend(backend);
    model = await loadModel('nsfw_mobilenet_v2');
    graph = await loadModel('nsfw_mobilenet_v2_mid');
    const images = await Promise.all(SAMPLES.map((url) => loadImg(url, { targetSize: [224, 224] })));
    docs = tf.tidy(() => model.preprocessInput(tf.stack(images.map((img) => imgToArray(img)))) as tf.Tensor4D);
  }, 60_000);
  afterAll(() => {
    docs.dispose();
  });

  /** explainBatch of the four images against explainPrediction of each; returns the batch's. */
  async function expectPerImage(m: LoadedModel, options: ExplainPredictionOptions): Promise<Explanation[]> {
    const before = tf.memory().numTensors;
    const batch = await explainBatch(m, docs, options);
    expect(tf.memory().numTensors).toBe(before);
    for (const [i, got] of batch.entries()) {
      const doc = tf.slice(docs, i, 1);
      const want = await explainPrediction(m, doc, options);
      doc.dispose();
      const where = `${backend} image ${i} ${JSON.stringify(options)}`;
      expect(
        got.targets.map((t) => t.target),
        where,
      ).toEqual(want.targets.map((t) => t.target));
      expect(got.image?.data, where).toEqual(want.image?.data);
      expect(maxDiff(got.outputs, want.outputs), where).toBeLessThanOrEqual(1e-5);
      for (const [k, t] of got.targets.entries()) {
        expect(t.label).toBe(want.targets[k].label);
        expect(Math.abs(t.score - want.targets[k].score), where).toBeLessThanOrEqual(1e-5);
        expect(maxDiff(t.heatmap.data, want.targets[k].heatmap.data), `${where} target ${t.target}`).toBeLessThanOrEqual(1e-5);
      }
    }
    return batch;
  }

  it('out_relu: each image its own class (rocket.jpg is Drawing, the rest Neutral), { top: 2 }, logits, Grad-CAM++; one pass for all images', async () => {
    const captureBatch = vi.spyOn(model.explainable, 'captureBatch' as never);
    await explainBatch(model, docs, { layer: 'out_relu' });
    expect(captureBatch).toHaveBeenCalledTimes(1);
    expect((captureBatch.mock.calls[0] as unknown as tf.Tensor[])[0].shape[0]).toBe(docs.shape[0]);
    captureBatch.mockRestore();
    const plain = await expectPerImage(model, { layer: 'out_relu' });
    expect(plain.map((e) => e.targets[0].label)).toEqual(['Neutral', 'Neutral', 'Neutral', 'Drawing']);
    await expectPerImage(model, { layer: 'out_relu', targets: { top: 2 } });
    await expectPerImage(model, { layer: 'out_relu', targets: [4, 0], logits: true });
    await expectPerImage(model, { layer: 'out_relu', method: 'gradcam++', targets: { top: 2 } });
  }, 60_000);

  it('block_9_expand (inner; a residual add follows): default targets and { top: 2 } (the repeated-input retry)', async () => {
    await expectPerImage(model, { layer: 'block_9_expand' });
    await expectPerImage(model, { layer: 'block_9_expand', targets: { top: 2 }, logits: true });
  }, 60_000);

  it('the GraphModel: its default node and an inner one, one captureBatch each', async () => {
    const captureBatch = vi.spyOn(graph.explainable, 'captureBatch' as never);
    const capture = vi.spyOn(graph.explainable, 'capture');
    await explainBatch(graph, docs, { targets: { top: 2 } });
    expect(captureBatch).toHaveBeenCalledTimes(1);
    expect(capture).not.toHaveBeenCalled();
    captureBatch.mockRestore();
    capture.mockRestore();
    const plain = await expectPerImage(graph, {});
    expect(new Set(plain.map((e) => e.targets[0].target)).size).toBeGreaterThan(1);
    await expectPerImage(graph, { targets: { top: 2 }, logits: true });
    // a residual add after expanded_conv_14 joins expanded_conv_13's output: the repeated-input retry
    await expectPerImage(graph, { layer: 'MobilenetV2/expanded_conv_14/expand/Relu6', targets: [0, 2] });
  }, 60_000);
});
