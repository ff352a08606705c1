import { readFile } from 'node:fs/promises';
import { gradCamMaps } from '@gradcam/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { differences, fixture as fixtures, type GoldenImage, golden } from './golden-fixture.js';
import { type BackendName, decodeImage, explainPrediction, imgToArray, type LoadedModel, loadModel, setBackend } from './index.js';

async function docOf(model: LoadedModel, image: GoldenImage): Promise<tf.Tensor4D> {
  // The exact pixels Keras fed to TensorFlow (Pillow NEAREST resize, committed with the fixture).
  const img = decodeImage(new Uint8Array(await readFile(fixtures(image.resized))));
  return tf.tidy(() => model.preprocessInput(tf.expandDims(imgToArray(img), 0))) as tf.Tensor4D;
}

// Every layer on every backend against TensorFlow is src/fidelity.test.ts (float64 goldens and
// the fidelity rule). This file shows why the adapter differentiates the whole model: the cam.js
// shortcut (a sub-model from the layer's output) is wrong inside residual blocks.
const backends: BackendName[] = process.env.GRADCAM_SKIP_TFJS_NODE === '1' ? ['cpu', 'wasm'] : ['cpu', 'wasm', 'tensorflow'];

/**
 * The approach of tfjs-examples' cam.js: rebuild "the rest of the model" by applying the layers
 * after the chosen one in sequence. An Add then only sees the main branch; its other input is
 * taken from the original forward pass as a constant — the skip connection's gradient is lost.
 */
function subModelRebuildGradient(model: tfl.LayersModel, layerName: string, doc: tf.Tensor4D, target: number): { a: tf.Tensor4D; g: tf.Tensor4D } {
  const index = model.layers.findIndex((l) => l.name === layerName);
  const names = model.layers.map((l) => l.name);
  const all = (model as unknown as { execute(x: tf.Tensor, outputs: string[]): tf.Tensor[] }).execute(
    doc,
    names
      .slice(1)
      .map((n) => model.getLayer(n).output as tfl.SymbolicTensor)
      .map((t) => t.name),
  );
  const values = new Map(names.slice(1).map((n, i) => [n, all[i]]));
  const a = values.get(layerName) as tf.Tensor4D;
  const g = tf.grad((x: tf.Tensor) => {
    let y = x;
    for (const layer of model.layers.slice(index + 1)) {
      if (layer.getClassName() === 'Add') {
        const inbound = (layer as unknown as { inboundNodes: { inboundLayers: { name: string }[] }[] }).inboundNodes[0].inboundLayers.map((l) => l.name);
        const other = values.get(inbound[0]) as tf.Tensor;
        y = tf.add(y, other);
      } else {
        y = layer.apply(y, { training: false }) as tf.Tensor;
      }
    }
    return tf.sum(tf.mul(y, tf.oneHot([target], y.shape[1] as number)));
  })(a) as tf.Tensor4D;
  const keep = tf.keep(a.clone());
  tf.dispose(all);
  return { a: keep, g };
}

describe('the sub-model rebuild (cam.js) is wrong at block_2_expand; ours matches TensorFlow', () => {
  it('differs from TensorFlow where ours agrees', async () => {
    await setBackend(backends[backends.length - 1]);
    const model = await loadModel('nsfw_mobilenet_v2');
    const image = golden.images[0];
    const reference = image.cases.find((c) => c.layer === 'block_2_expand' && c.logits)!;
    const doc = await docOf(model, image);
    const ours = await explainPrediction(model, doc, { layer: 'block_2_expand', logits: true, targets: [reference.target] });
    const stripped = await (await import('@gradcam/models')).stripSoftmax(model.model as tfl.LayersModel);
    const { a, g } = subModelRebuildGradient(stripped, 'block_2_expand', doc, reference.target);
    const naive = gradCamMaps(a, g);
    const naiveDiff = differences(naive.dataSync() as Float32Array, reference.heatmap);
    const oursDiff = differences(ours.targets[0].heatmap.data, reference.heatmap);
    tf.dispose([doc, a, g, naive]);
    expect(oursDiff.max).toBeLessThanOrEqual(5e-3);
    console.info(`block_2_expand max |Δ| vs TensorFlow: ours ${oursDiff.max.toExponential(2)}, sub-model rebuild ${naiveDiff.max.toFixed(3)}`);
    expect(naiveDiff.max).toBeGreaterThan(0.1);
  }, 120_000);
});
