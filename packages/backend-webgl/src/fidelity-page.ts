// The browser side of the webgl conformance test, bundled by esbuild at test time: explains the
// bundled MobileNetV2 on webgl and hands the maps (plain data) back to Node for the comparison.
import { imgToArray } from '@gradcam/core';
import { type ConformanceMaps, computeConformanceMaps } from '@gradcam/core/testing';
import { loadImg } from '@gradcam/format';
import { loadBundledModel } from '@gradcam/models';
import * as tf from '@tensorflow/tfjs-core';
import { useWebglBackend } from './index.js';

/** What the page reports: the maps and the WebGL setup that computed them. */
export interface PageResult {
  maps: ConformanceMaps;
  webgl: { version: number; float32: boolean; renderer: string };
}

async function run(imageUrl: string, targets: number[]): Promise<PageResult> {
  await useWebglBackend();
  const model = await loadBundledModel('nsfw_mobilenet_v2');
  const bytes = new Uint8Array(await (await fetch(imageUrl)).arrayBuffer());
  const image = await loadImg(bytes, { targetSize: [224, 224] });
  const doc = tf.tidy(() => tf.div(tf.expandDims(imgToArray(image), 0), 255));
  const maps = await computeConformanceMaps(model, doc, { targets });
  tf.dispose(doc);
  const gl = document.createElement('canvas').getContext('webgl2');
  const info = gl?.getExtension('WEBGL_debug_renderer_info');
  return {
    maps,
    webgl: {
      version: tf.env().getNumber('WEBGL_VERSION'),
      float32: tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED'),
      renderer: String(info && gl ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : 'unknown'),
    },
  };
}

(globalThis as { gradcamConformance?: typeof run }).gradcamConformance = run;
