// The fidelity rule (see __fixtures__/README.md, "Fidelity"): on every Node backend, Grad-CAM of
// the bundled MobileNetV2 is about as close to TensorFlow's float64 answer as TensorFlow's own
// float32 modes are, over 8 images × 5 layers × 2 targets × {probability, logits}. webgl runs
// the same comparison in Chromium (packages/backend-webgl/src/webgl-fidelity.test.ts).
import { readFile } from 'node:fs/promises';
import { compareFidelity, computeFidelityMaps, fidelityInputs, summarizeFidelity } from '@gradcam/core/testing';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fidelityGolden, fixture } from './golden-fixture.js';
import { type BackendName, decodeImage, loadModel, setBackend } from './index.js';

const golden = await fidelityGolden();

// GRADCAM_SKIP_TFJS_NODE=1 (documented, never set by CI) leaves the tensorflow backend out. The
// pure-JavaScript cpu backend (about a second per forward pass) explains the default layer and
// one inner layer, out_relu and block_16_project: 64 of the 160 maps.
const backends: [BackendName, readonly string[]][] = [
  ['wasm', golden.layers],
  ['cpu', ['out_relu', 'block_16_project']],
  ...(process.env.GRADCAM_SKIP_TFJS_NODE === '1' ? [] : ([['tensorflow', golden.layers]] as [BackendName, readonly string[]][])),
];

describe.each(backends)('Grad-CAM of nsfw_mobilenet_v2 against TensorFlow float64 — backend %s', (backend, layers) => {
  it(`8 images × ${layers.join(', ')} × top-2 × {probability, logits}: within the fidelity rule`, async () => {
    expect(await setBackend(backend)).toBe(backend);
    const model = await loadModel('nsfw_mobilenet_v2');
    const images = await Promise.all(
      golden.images.map(async ({ resized, mirrored }) => ({ image: decodeImage(new Uint8Array(await readFile(fixture(resized)))), mirrored })),
    );
    const docs = fidelityInputs(images);
    const before = tf.memory().numTensors;
    // cpu: one image per pass, so that no synchronous pass keeps the test worker from vitest for long.
    const maps = await computeFidelityMaps(model.explainable, docs, layers, backend, { chunkSize: backend === 'cpu' ? 2 : undefined });
    expect(tf.memory().numTensors).toBe(before);
    docs.dispose();
    model.model.dispose();
    const report = compareFidelity(golden, maps);
    console.info(summarizeFidelity(report));
    expect(report.maps).toBe(golden.images.length * layers.length * 4);
    expect(report.failures).toEqual([]);
  }, 600_000);
});
