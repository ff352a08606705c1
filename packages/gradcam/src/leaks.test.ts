// Leaks: explain + formatAsImage in a loop must leave tf.memory() (tensors, data buffers,
// bytes) where it was after warm-up, and on wasm the module's heap must stop growing. 1 000
// calls with a tiny CNN on cpu and wasm (cheap), then 100 with the bundled MobileNetV2 on wasm.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { type BackendName, explainPrediction, formatAsImage, type LoadedModel, loadModel, setBackend } from './index.js';

/** A small CNN with an inner and a final convolution, softmax over 5 classes. */
function tinyCnn(): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [32, 32, 3],
        filters: 8,
        kernelSize: 3,
        activation: 'relu',
        name: 'inner',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu', name: 'last', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
      tfl.layers.globalAveragePooling2d({}),
      tfl.layers.dense({ units: 5, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) }),
    ],
  });
}

/** Bytes of the wasm module's memory (it only grows), or undefined off wasm. */
function wasmHeapBytes(): number | undefined {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.length;
}

interface Snapshot {
  numTensors: number;
  numDataBuffers: number;
  numBytes: number;
  wasmHeap?: number;
}
const snapshot = (): Snapshot => {
  const { numTensors, numDataBuffers, numBytes } = tf.memory();
  return { numTensors, numDataBuffers, numBytes, wasmHeap: wasmHeapBytes() };
};

/**
 * Runs `calls` explain + formatAsImage calls (targets and layers taking turns) after `warmUp`
 * ones; returns the memory after the warm-up, half-way and at the end.
 */
async function explainLoop(model: LoadedModel, docs: tf.Tensor[], layers: string[], calls: number, warmUp: number): Promise<Snapshot[]> {
  const classes = model.labels.length;
  const snapshots: Snapshot[] = [];
  for (let i = 0; i < warmUp + calls; i++) {
    if (i === warmUp || i === warmUp + calls / 2) snapshots.push(snapshot());
    const expl = await explainPrediction(model, docs[i % docs.length], { targets: [i % classes], layer: layers[i % layers.length] });
    const overlay = formatAsImage(expl);
    expect(overlay.data.length).toBe(overlay.width * overlay.height * 4);
  }
  snapshots.push(snapshot());
  return snapshots;
}

function expectStable([afterWarmUp, half, end]: Snapshot[]): void {
  expect(end.numTensors).toBe(afterWarmUp.numTensors);
  expect(end.numDataBuffers).toBe(afterWarmUp.numDataBuffers);
  expect(end.numBytes).toBe(afterWarmUp.numBytes);
  if (afterWarmUp.wasmHeap !== undefined) {
    // The heap may settle during the first half (allocator fragmentation); the second half adds nothing.
    expect(end.wasmHeap).toBe(half.wasmHeap);
    expect((end.wasmHeap ?? 0) - afterWarmUp.wasmHeap).toBeLessThanOrEqual(16 * 2 ** 20);
  }
}

describe('no leaks over many explain + formatAsImage calls', () => {
  for (const backend of ['cpu', 'wasm'] as BackendName[]) {
    it(`${backend}: 1 000 calls with a tiny CNN at two layers, five targets`, async () => {
      await setBackend(backend);
      const start = snapshot();
      const cnn = tinyCnn();
      const model = await loadModel(cnn, { labels: ['a', 'b', 'c', 'd', 'e'] });
      const docs = [0, 1, 2].map((seed) => tf.randomUniform([1, 32, 32, 3], 0, 1, 'float32', seed));
      expectStable(await explainLoop(model, docs, ['last', 'inner'], 1_000, 20));
      tf.dispose(docs);
      cnn.dispose();
      expect(tf.memory().numTensors).toBe(start.numTensors);
    }, 120_000);
  }

  it('wasm: 100 calls with the bundled MobileNetV2 at out_relu', async () => {
    await setBackend('wasm');
    const model = await loadModel('nsfw_mobilenet_v2');
    const docs = [0, 1].map((seed) => tf.randomUniform([1, 224, 224, 3], 0, 1, 'float32', seed));
    expectStable(await explainLoop(model, docs, ['out_relu'], 100, 4));
    tf.dispose(docs);
  }, 180_000);
});
