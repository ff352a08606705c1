// The browser side of the webgl fidelity test, bundled by esbuild at test time: explains the
// golden set with the bundled MobileNetV2 on webgl and hands the maps (plain data) back to Node,
// which compares them with TensorFlow's float64 maps.
import { computeFidelityMaps, type FidelityMaps, fidelityInputs } from '@gradcam/core/testing';
import { decodeImage } from '@gradcam/format';
import { loadBundledModel } from '@gradcam/models';
import * as tf from '@tensorflow/tfjs-core';
import { useWebglBackend } from './index.js';

/** What the page reports: the maps, the tensors the explain calls left behind, and the WebGL setup. */
export interface PageResult {
  maps: FidelityMaps;
  leakedTensors: number;
  webgl: { version: number; float32: boolean; renderer: string };
}

async function run(images: { url: string; mirrored: boolean }[], layers: readonly string[]): Promise<PageResult> {
  await useWebglBackend();
  const model = await loadBundledModel('nsfw_mobilenet_v2');
  const decoded = await Promise.all(
    images.map(async ({ url, mirrored }) => ({ image: decodeImage(new Uint8Array(await (await fetch(url)).arrayBuffer())), mirrored })),
  );
  const docs = fidelityInputs(decoded);
  const { toExplainableModel } = await import('@gradcam/core');
  toExplainableModel(model); // builds the inference form, which the model keeps
  const before = tf.memory().numTensors;
  const maps = await computeFidelityMaps(model, docs, layers, 'webgl');
  const leakedTensors = tf.memory().numTensors - before;
  tf.dispose(docs);
  model.dispose();
  const gl = document.createElement('canvas').getContext('webgl2');
  const info = gl?.getExtension('WEBGL_debug_renderer_info');
  return {
    maps,
    leakedTensors,
    webgl: {
      version: tf.env().getNumber('WEBGL_VERSION'),
      float32: tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'),
      renderer: String(info && gl ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : 'unknown'),
    },
  };
}

(globalThis as { gradcamFidelity?: typeof run }).gradcamFidelity = run;
