import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { imgToArray } from '@gradcam/core';
import { compareConformance, computeConformanceMaps } from '@gradcam/core/testing';
import { loadImg } from '@gradcam/format';
import { loadBundledModel } from '@gradcam/models';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PageResult } from './conformance-page.js';
import { launchChromium } from './testing.js';

// Real Chromium (Debian's package, WebGL through SwiftShader) runs the page; Node computes the
// cpu reference and compares. GRADCAM_SKIP_BROWSER=1 (documented, never set by CI) excludes it.
const skip = process.env.GRADCAM_SKIP_BROWSER === '1';
const imagePath = fileURLToPath(new URL('../../../examples/images/chelsea.png', import.meta.url));

let server: Server | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  if (skip) return;
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('./conformance-page.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // @gradcam/models reads weight files and its cache folder through dynamic imports of Node
    // built-ins, on Node-only paths the page never takes (tsup writes them without `node:`).
    external: ['os', 'crypto', 'fs', 'fs/promises', 'path', 'node:*'],
    write: false,
    logLevel: 'silent',
  });
  const { readFile } = await import('node:fs/promises');
  const files: Record<string, { type: string; body: Uint8Array | string }> = {
    '/': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>' },
    '/page.js': { type: 'text/javascript', body: bundle.outputFiles[0].contents },
    '/chelsea.png': { type: 'image/png', body: await readFile(imagePath) },
  };
  server = createServer((req, res) => {
    const file = files[req.url ?? ''];
    res.writeHead(file ? 200 : 404, { 'content-type': file?.type ?? 'text/plain' });
    res.end(file?.body ?? 'not found');
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
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
    const { port } = server?.address() as AddressInfo;
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForFunction(() => 'gradcamConformance' in globalThis, undefined, { timeout: 60_000 });
    const result: PageResult = await page.evaluate(
      ([url, targets]) => (globalThis as unknown as { gradcamConformance(u: string, t: number[]): Promise<PageResult> }).gradcamConformance(url, targets),
      ['/chelsea.png', reference.targets] as const,
    );
    expect(errors).toEqual([]);
    const report = compareConformance(reference, result.maps);
    console.info(
      `WebGL ${result.webgl.version}, float32 ${result.webgl.float32}, ${result.webgl.renderer}\n` +
        report.cases.map((c) => `${c.layer} ${c.logits ? 'logits' : 'softmax'}: max |Δ| ${c.maxHeatmapDiff.toExponential(1)}`).join('\n'),
    );
    expect(result.maps.backend).toBe('webgl');
    expect(report.failures).toEqual([]);
    expect(report.cases).toHaveLength(8);
  },
  600_000,
);
