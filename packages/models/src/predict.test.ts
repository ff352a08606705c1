import { explain } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphModelAdapter, LayersModelAdapter, loadBundledModel } from './index.js';

const seeded = (seed: number) => tfl.initializers.glorotUniform({ seed });

function smallModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  const c1 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: seeded(1) }).apply(input);
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(c1);
  const out = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'probs', kernelInitializer: seeded(2) }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'small' });
}

describe('adapters predict (for Score-CAM and the metrics)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('LayersModelAdapter.predict is model.predict, and the logits without the final softmax', () => {
    const model = smallModel();
    const adapter = new LayersModelAdapter(model);
    const batch = tf.randomUniform([3, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const probs = adapter.predict(batch, { logits: false });
    const logits = adapter.predict(batch, { logits: true });
    expect(tf.memory().numTensors).toBe(before + 2);
    const expected = model.predict(batch) as tf.Tensor;
    expect(Array.from(probs.dataSync())).toEqual(Array.from(expected.dataSync()));
    const softmaxed = tf.softmax(logits);
    softmaxed.dataSync().forEach((v, i) => {
      expect(v).toBeCloseTo(expected.dataSync()[i], 6);
    });
    // The softmax is back in place afterwards.
    expect(Array.from((model.predict(batch) as tf.Tensor).dataSync())).toEqual(Array.from(expected.dataSync()));
    tf.dispose([batch, probs, logits, expected, softmaxed]);
  });

  it('Score-CAM runs on a LayersModel through explain, without leaks', async () => {
    const model = smallModel();
    const x = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 9);
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const expl = await explain(model, x, { method: 'scorecam', layer: 'c1', batchSize: 3, onProgress: (done) => progress.push(done) });
    expect(tf.memory().numTensors).toBe(before);
    expect(expl.method).toBe('Score-CAM');
    expect(progress).toEqual([3, 4]);
    x.dispose();
  });

  it('GraphModelAdapter.predict is execute on the output node (or the Softmax input)', async () => {
    const model = (await loadBundledModel('nsfw_mobilenet_v2_mid')) as unknown as ConstructorParameters<typeof GraphModelAdapter>[0];
    const adapter = new GraphModelAdapter(model);
    const batch = tf.randomUniform([2, 224, 224, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    const probs = adapter.predict(batch, { logits: false });
    const logits = adapter.predict(batch, { logits: true });
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(probs.shape).toEqual([2, 5]);
    const expected = model.execute(batch) as tf.Tensor;
    probs.dataSync().forEach((v, i) => {
      expect(v).toBeCloseTo(expected.dataSync()[i], 5);
    });
    const softmaxed = tf.softmax(logits);
    softmaxed.dataSync().forEach((v, i) => {
      expect(v).toBeCloseTo(expected.dataSync()[i], 5);
    });
    tf.dispose([batch, probs, logits, expected, softmaxed]);
  }, 60_000);
});
