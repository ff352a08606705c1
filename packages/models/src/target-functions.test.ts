import {
  type CamMethod,
  classTarget,
  type ExplainOptions,
  explain,
  explainBatch,
  integratedGradients,
  listCamMethods,
  occlusionSensitivity,
  smoothGrad,
} from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import './index.js'; // registers the LayersModel adapter

const seeded = (seed: number) => tfl.initializers.glorotUniform({ seed });

/** Two convolutions, a skip, pooling and a softmax head: small enough for every method on cpu. */
function smallModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [8, 8, 3] });
  const c1 = tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', name: 'c1', kernelInitializer: seeded(1) }).apply(input);
  const c2 = tfl.layers.conv2d({ filters: 4, kernelSize: 1, name: 'c2', kernelInitializer: seeded(2) }).apply(c1);
  const sum = tfl.layers.add({ name: 'skip' }).apply([c1, c2] as tfl.SymbolicTensor[]);
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'gap' }).apply(sum);
  const out = tfl.layers.dense({ units: 3, activation: 'softmax', name: 'probs', kernelInitializer: seeded(3) }).apply(pooled) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: 'small' });
}

/** Every registered method; the input-attribution ones with small, seeded settings. */
function methods(): (string | CamMethod)[] {
  const configured: Record<string, CamMethod> = {
    'integrated-gradients': integratedGradients({ steps: 4 }),
    smoothgrad: smoothGrad({ samples: 3, seed: 7 }),
    occlusion: occlusionSensitivity({ window: 4, stride: 2 }),
  };
  return listCamMethods().map((m) => configured[m.id] ?? m.id);
}

const maxDifference = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe('a target function explains what its class id explains, with every method and explainBatch', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('covers every registered method (12 and counting)', () => {
    expect(methods().length).toBeGreaterThanOrEqual(12);
  });

  for (const method of methods()) {
    const id = typeof method === 'string' ? method : method.id;
    it(`${id}: classTarget(2) and target 2 give the same score and map, per image and in a batch; no leaked tensors`, async () => {
      const model = smallModel();
      const x = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 4);
      const y = tf.randomUniform([1, 8, 8, 3], 0, 1, 'float32', 5);
      const options: ExplainOptions = { layer: 'c1', method, relu: false, normalize: false };
      await explain(model, x, { ...options, targets: [2] }); // adapter and kernels warmed up
      const before = tf.memory().numTensors;
      const byId = await explain(model, x, { ...options, targets: [2] });
      const byFunction = await explain(model, x, { ...options, targets: [classTarget(2)] });
      expect(byFunction.targets[0].target).toBe(2);
      expect(byFunction.targets[0].score).toBeCloseTo(byId.targets[0].score, 6);
      // Raw maps (normalize: false): equal values, and not trivially zero.
      expect(byId.targets[0].heatmap.data.some((v) => v !== 0)).toBe(true);
      expect(maxDifference(byFunction.targets[0].heatmap.data, byId.targets[0].heatmap.data)).toBeLessThan(1e-6);
      const batch = await explainBatch(model, [x, y], { ...options, targets: [classTarget(2)] });
      const perImage = await explainBatch(model, [x, y], { ...options, targets: [2] });
      for (const [i, explanation] of batch.entries()) {
        expect(explanation.targets[0].target).toBe(2);
        expect(maxDifference(explanation.targets[0].heatmap.data, perImage[i].targets[0].heatmap.data)).toBeLessThan(1e-6);
      }
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, y]);
      model.dispose();
    });
  }
});
