import { imgToArray } from '@gradcam/core';
import { runConformance, summarizeConformance } from '@gradcam/core/testing';
import { loadImg } from '@gradcam/format';
import { loadBundledModel } from '@gradcam/models';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { useTensorflowBackend } from './index.js';

// GRADCAM_SKIP_TFJS_NODE=1 (documented, never set by CI) excludes it; otherwise a missing
// tfjs-node binding fails loudly.
it.skipIf(process.env.GRADCAM_SKIP_TFJS_NODE === '1')(
  'tensorflow (tfjs-node) explains the bundled MobileNetV2 at every conformance layer within 5e-3 of cpu, leaking nothing',
  async () => {
    await useTensorflowBackend();
    const model = await loadBundledModel('nsfw_mobilenet_v2');
    const image = await loadImg(new URL('../../../examples/images/chelsea.png', import.meta.url).pathname, { targetSize: [224, 224] });
    const doc = tf.tidy(() => tf.div(tf.expandDims(imgToArray(image), 0), 255));
    const report = await runConformance(model, doc, { backend: 'tensorflow' });
    console.info(summarizeConformance(report));
    expect(report.backend).toBe('tensorflow');
    expect(report.failures).toEqual([]);
    expect(report.cases).toHaveLength(8);
    tf.dispose(doc);
  },
  180_000,
);
