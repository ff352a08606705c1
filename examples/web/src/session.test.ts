import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { loadImg, setBackend } from 'gradcam';
import { beforeAll, describe, expect, it } from 'vitest';
import { ExplainSession, inputSize, spatialLayers, summarize } from './session';

// The worker's explain logic without a browser: Node (fastest backend available), the bundled default model.
const chelsea = fileURLToPath(new URL('../../images/chelsea.png', import.meta.url));

describe('ExplainSession', () => {
  beforeAll(async () => {
    await setBackend('auto', { onNotice: () => {} });
  });

  it('explains the predicted class at the default layer, caches it, and explains another class without leaking tensors', async () => {
    const session = new ExplainSession();
    const image = await loadImg(chelsea);
    expect(session.isLoaded('nsfw_mobilenet_v2')).toBe(false);
    const model = await session.model('nsfw_mobilenet_v2');
    expect(session.isLoaded('nsfw_mobilenet_v2')).toBe(true);
    expect(await session.model('nsfw_mobilenet_v2')).toBe(model);
    expect(model.inputSize).toEqual([224, 224]);
    expect(inputSize(model.loaded)).toEqual([224, 224]);
    const layers = spatialLayers(model.loaded);
    expect(layers.every((layer) => layer.outputShape.length === 4)).toBe(true);
    const summary = summarize(model);
    expect(summary).toMatchObject({ key: 'nsfw_mobilenet_v2', inputSize: [224, 224], classes: 5, defaultLayer: 'out_relu' });
    expect(summary.title).toMatch(/MobileNetV2/);
    expect(summary.layers.find((layer) => layer.name === 'out_relu')).toEqual({ name: 'out_relu', className: 'ReLU', shape: [7, 7, 1280] });
    expect(summary.layers).toHaveLength(layers.length);

    const first = await session.explain({ image, imageKey: 'chelsea', model: 'nsfw_mobilenet_v2' });
    expect(first.layer).toBe('out_relu');
    expect(first.cached).toBe(false);
    expect(first.top).toHaveLength(5);
    expect(first.target).toBe(first.top[0].index);
    expect(first.explanation.image).toBe(image);
    expect([first.explanation.targets[0].heatmap.width, first.explanation.targets[0].heatmap.height]).toEqual([7, 7]);

    const again = await session.explain({ image, imageKey: 'chelsea', model: 'nsfw_mobilenet_v2', target: first.target });
    expect(again.cached).toBe(true);
    expect(again.explanation).toBe(first.explanation);

    const tensors = tf.memory().numTensors;
    const second = await session.explain({ image, imageKey: 'chelsea', model: 'nsfw_mobilenet_v2', target: first.top[1].index });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(second.cached).toBe(false);
    expect(second.target).toBe(first.top[1].index);
    expect(second.top).toEqual(first.top);
    expect(second.explanation.targets[0].heatmap.data).not.toEqual(first.explanation.targets[0].heatmap.data);

    const otherImage = await session.explain({ image, imageKey: 'chelsea again', model: 'nsfw_mobilenet_v2', layer: 'block_16_project' });
    expect(otherImage.cached).toBe(false);
    expect(otherImage.layer).toBe('block_16_project');
  });

  it('forgets a model that failed to load, so the next request tries again', async () => {
    const session = new ExplainSession();
    await expect(session.model('no_such_model')).rejects.toThrow(/Unknown model/);
    expect(session.isLoaded('no_such_model')).toBe(false);
    await expect(session.model('no_such_model')).rejects.toThrow(/Unknown model/);
  });
});
