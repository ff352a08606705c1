import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { stripSoftmax } from './index.js';

function classifier(last: 'dense' | 'activation' | 'softmax' | 'nested'): tfl.LayersModel {
  const features = [tfl.layers.conv2d({ inputShape: [5, 5, 2], filters: 3, kernelSize: 3, name: 'conv' }), tfl.layers.flatten({ name: 'flat' })];
  const dense = (activation?: 'softmax', inputShape?: number[]) =>
    tfl.layers.dense({ units: 4, name: 'logits', activation, inputShape, biasInitializer: 'randomNormal' });
  switch (last) {
    case 'dense':
      return tfl.sequential({ layers: [...features, dense('softmax')] });
    case 'activation':
      return tfl.sequential({ layers: [...features, dense(), tfl.layers.activation({ activation: 'softmax', name: 'act' })] });
    case 'softmax':
      return tfl.sequential({ layers: [...features, dense(), tfl.layers.softmax({ name: 'sm' })] });
    case 'nested':
      return tfl.sequential({
        layers: [tfl.sequential({ layers: features, name: 'body' }), tfl.sequential({ layers: [dense('softmax', [27])], name: 'head' })],
      });
  }
}

describe('stripSoftmax', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const kind of ['dense', 'activation', 'softmax', 'nested'] as const) {
    it(`makes the final softmax linear (${kind}) and leaves the original alone`, async () => {
      const model = classifier(kind);
      const x = tf.randomUniform([2, 5, 5, 2], -1, 1, 'float32', 5);
      const before = (model.predict(x) as tf.Tensor).arraySync() as number[][];
      const stripped = await stripSoftmax(model);
      const logits = stripped.predict(x) as tf.Tensor2D;
      const probs = tf.softmax(logits).arraySync();
      for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) expect(probs[i][k]).toBeCloseTo(before[i][k], 6);
      expect(Math.max(...logits.dataSync().map(Math.abs))).toBeGreaterThan(0);
      // not probabilities any more: rows do not sum to 1
      expect(Math.abs(tf.sum(logits, 1).dataSync()[0] - 1)).toBeGreaterThan(1e-3);
      expect((model.predict(x) as tf.Tensor).arraySync()).toEqual(before);
      expect(stripped).not.toBe(model);
    });
  }

  it('refuses a model without a final softmax', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2, name: 'out' })] });
    await expect(stripSoftmax(model)).rejects.toThrow(/'out', Dense\) has no softmax/);
  });
});
