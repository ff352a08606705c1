// Inputs that cannot mean anything — NaN or infinite values, a disposed tensor, null — are named
// by an InvalidInputError before the model runs, on every backend, with no tensor left behind.
// (Without the check, tfjs-node gave NaN maps and wasm a confident, finite answer.)
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BackendName, explainBatch, explainPrediction, InvalidInputError, type LoadedModel, loadModel, setBackend } from './index.js';

const backends: BackendName[] = process.env.GRADCAM_SKIP_TFJS_NODE === '1' ? ['wasm'] : ['wasm', 'tensorflow'];

async function invalid(call: () => Promise<unknown>, message: RegExp): Promise<void> {
  const before = tf.memory().numTensors;
  const error = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidInputError);
  expect((error as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
}

describe.each(backends)('invalid inputs on %s', (backend) => {
  let model: LoadedModel;
  beforeAll(async () => {
    await setBackend(backend);
    model = await loadModel('nsfw_mobilenet_v2');
  }, 60_000);

  it('NaN or ±Infinity anywhere in the doc, or in one doc of a batch', async () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const values = new Float32Array(224 * 224 * 3).fill(0.5);
      values[12345] = bad;
      const doc = tf.tensor4d(values, [1, 224, 224, 3]);
      const good = tf.fill([1, 224, 224, 3], 0.5);
      await invalid(() => explainPrediction(model, doc), /doc holds NaN or infinite values/);
      await invalid(() => explainBatch(model, [good, doc]), /docs holds NaN or infinite values/);
      const batch = tf.concat([good, doc]);
      await invalid(() => explainBatch(model, batch), /docs holds NaN or infinite values/);
      tf.dispose([doc, good, batch]);
    }
  });

  it('a disposed tensor, null and undefined', async () => {
    const doc = tf.fill([1, 224, 224, 3], 0.5);
    doc.dispose();
    await invalid(() => explainPrediction(model, doc), /doc is a disposed tensor/);
    await invalid(() => explainBatch(model, doc), /docs is a disposed tensor/);
    await invalid(() => explainBatch(model, [doc]), /docs\[0\]: doc is a disposed tensor/);
    await invalid(() => explainPrediction(model, null as unknown as tf.Tensor), /doc must be a tf\.Tensor .*; got null/);
    await invalid(() => explainPrediction(model, undefined as unknown as tf.Tensor), /got undefined/);
    await invalid(() => explainBatch(model, null as unknown as tf.Tensor), /explainBatch expects docs/);
    await invalid(() => explainBatch(model, [null as unknown as tf.Tensor]), /null or undefined/);
  });

  it('a finite doc still explains (the check costs one reduction)', async () => {
    const doc = tf.fill([1, 224, 224, 3], 0.5);
    const expl = await explainPrediction(model, doc);
    expect(expl.targets[0].heatmap.data.every(Number.isFinite)).toBe(true);
    doc.dispose();
  });
});
