// loadModel prepares the model it loads (ExplainableModel.prepare): the inference form's backward
// kernels are made once, at load, and every gradient pass reuses them (packages/models/README.md,
// "Backward kernels"). On wasm: no kernel is transposed or flipped in explain, the maps are those
// of an unprepared adapter, and the model's dispose() frees what prepare made.
import { explain } from '@gradcam/core';
import { LayersModelAdapter } from '@gradcam/models';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { imgToArray, loadImg, loadModel, setBackend } from './index.js';

const SAMPLE = new URL('../../../examples/images/chelsea.png', import.meta.url);

describe('loadModel prepares the model (wasm)', () => {
  beforeAll(async () => {
    await setBackend('wasm');
  });

  it('explain at an inner layer transposes and flips no kernel, gives the unprepared maps, leaks nothing; dispose frees it all', async () => {
    const start = tf.memory().numTensors;
    const model = await loadModel('nsfw_mobilenet_v2');
    const image = await loadImg(SAMPLE, { targetSize: [224, 224] });
    const x = tf.tidy(() => model.preprocessInput(tf.expandDims(imgToArray(image), 0)) as tf.Tensor4D);
    const plain = new LayersModelAdapter(model.model as never);
    const run = async (m: unknown) => {
      let map: Float32Array = new Float32Array();
      const profile = await tf.profile(async () => {
        map = (await explain(m, x, { layer: 'block_9_expand', targets: [1] })).targets[0].heatmap.data as Float32Array;
      });
      return { map, kernels: new Set(profile.kernelNames) };
    };
    await run(model.explainable); // warm-up: XNNPACK's operators
    const counted = tf.memory().numTensors;
    const prepared = await run(model.explainable);
    expect(tf.memory().numTensors).toBe(counted);
    const unprepared = await run(plain);
    expect(tf.memory().numTensors).toBe(counted);
    expect(prepared.kernels.has('Transpose') || prepared.kernels.has('Reverse')).toBe(false);
    expect(unprepared.kernels.has('Transpose') && unprepared.kernels.has('Reverse')).toBe(true);
    expect(prepared.map.length).toBe(14 * 14);
    let diff = 0;
    for (let i = 0; i < prepared.map.length; i++) diff = Math.max(diff, Math.abs(prepared.map[i] - unprepared.map[i]));
    expect(diff).toBeLessThan(1e-5);
    expect(Math.max(...prepared.map)).toBeGreaterThan(0.5);
    x.dispose();
    model.model.dispose();
    expect(tf.memory().numTensors).toBe(start);
  }, 120_000);
});
