import { fileURLToPath } from 'node:url';
import { imgToArray } from '@gradcam/core';
import { compareConformance, computeConformanceMaps, summarizeConformance } from '@gradcam/core/testing';
import { loadImg } from '@gradcam/format';
import { loadBundledModel } from '@gradcam/models';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PageResult } from './conformance-page.js';
import { launchChromium, type PageServer, serveBundledPage } from './testing.js';

// Real Chromium (Debian's package, WebGL through SwiftShader) runs the page; Node computes the
// cpu reference and compares. GRADCAM_SKIP_BROWSER=1 (documented, never set by CI) excludes it.
const skip = process.env.GRADCAM_SKIP_BROWSER === '1';
const imagePath = fileURLToPath(new URL('../../../examples/images/chelsea.png', import.meta.url));

let server: PageServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (skip) return;
  server = await serveBundledPage(fileURLToPath(new URL('./conformance-page.ts', import.meta.url)), { '/chelsea.png': imagePath });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it.skipIf(skip)(
  'webgl in headless Chromium explains the bundled MobileNetV2 at every conformance layer within 5e-3 of cpu',
  async () => {
    await tf.setBackend('cpu');
    const model = await loadBundledModel('nsfw_mobilenet_v2');
    const image = await loadImg(imagePath, { targetSize: [224, 224] });
    const doc = tf.tidy(() => tf.div(tf.expandDims(imgToArray(image), 0), 255));
    const reference = await computeConformanceMaps(model, doc, {});
    tf.dispose(doc);

    const page = await (browser as Browser).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto((server as PageServer).url);
    await page.waitForFunction(() => 'gradcamConformance' in globalThis, undefined, { timeout: 60_000 });
    const result: PageResult = await page.evaluate(
      ([url, targets]) => (globalThis as unknown as { gradcamConformance(u: string, t: number[]): Promise<PageResult> }).gradcamConformance(url, targets),
      ['/chelsea.png', reference.targets] as const,
    );
    expect(errors).toEqual([]);
    const report = compareConformance(reference, result.maps);
    console.info(`WebGL ${result.webgl.version}, float32 ${result.webgl.float32}, ${result.webgl.renderer}\n` + summarizeConformance(report));
    expect(result.maps.backend).toBe('webgl');
    expect(report.failures).toEqual([]);
    expect(report.cases).toHaveLength(8);
  },
  600_000,
);
