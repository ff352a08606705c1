import { explain } from '@gradcam/core';
import { modelRandomization } from '@gradcam/core/metrics';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadBundledModel } from './index.js';
import { randomizationSteps, reinitializeLayers, weightBlocks } from './randomize-weights.js';

describe('weight randomization of a LayersModel (sanity check support)', () => {
  let model: tfl.LayersModel;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = (await loadBundledModel('nsfw_mobilenet_v2')) as tfl.LayersModel;
  });

  it('groups kernel-owning layers into blocks from the top', () => {
    const blocks = weightBlocks(model);
    expect(blocks.slice(0, 5).map((b) => b.name)).toEqual(['dense_3', 'dense_2', 'dense_1', 'Conv_1', 'block_16']);
    expect(blocks[4].layers).toEqual(['block_16_project', 'block_16_depthwise', 'block_16_expand']);
  });

  it('re-initialises kernels and zeroes biases, and the undo restores the exact weights without leaks', () => {
    const layer = model.getLayer('dense_3');
    const trained = layer.getWeights().map((t) => t.dataSync().slice());
    const before = tf.memory().numTensors;
    const undo = reinitializeLayers(model, ['dense_3'], { seed: 3 });
    const [kernel, bias] = layer.getWeights();
    expect(kernel.dataSync()).not.toEqual(trained[0]);
    expect(Array.from(bias.dataSync())).toEqual(new Array(bias.size).fill(0));
    undo();
    expect(tf.memory().numTensors).toBe(before);
    expect(layer.getWeights().map((t) => t.dataSync())).toEqual(trained);
    expect(() => reinitializeLayers(model, ['nope'])).toThrow(/No layer 'nope'/);
  });

  it('the cascading check restores the model: the map is the same before and after', async () => {
    const x = tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', 1);
    const trained = await explain(model, x, { targets: [2] });
    const report = await modelRandomization(model, x, { targets: [2], steps: randomizationSteps(model, { count: 2 }) });
    expect(report.steps.map((s) => s.randomized)).toEqual([['dense_3'], ['dense_3', 'dense_2']]);
    const after = await explain(model, x, { targets: [2] });
    expect(after.targets[0].heatmap.data).toEqual(trained.targets[0].heatmap.data);
    x.dispose();
  }, 120_000);
});
