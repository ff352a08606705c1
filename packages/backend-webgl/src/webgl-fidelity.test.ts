import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { compareFidelity, type FidelityGolden, summarizeFidelity } from '@gradcam/core/testing';
import * as weights from '@gradcam/weights-nsfw-mobilenet-v2';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PageResult } from './fidelity-page.js';
import { launchChromium, type PageServer, serveBundledPage } from './testing.js';

// Real Chromium (Debian's package, WebGL through SwiftShader) explains the float64 golden set
// (packages/gradcam/src/__fixtures__, tools/golden/fidelity_golden.py); Node applies the
// fidelity rule. GRADCAM_SKIP_BROWSER=1 (documented, never set by CI) excludes it.
const skip = process.env.GRADCAM_SKIP_BROWSER === '1';
const fixture = (name: string) => fileURLToPath(new URL(`../../gradcam/src/__fixtures__/${name}`, import.meta.url));

let server: PageServer | undefined;
let browser: Browser | undefined;
let golden: FidelityGolden;

beforeAll(async () => {
  if (skip) return;
  const index = JSON.parse(await readFile(fixture('nsfw-mobilenet-v2-fidelity.json'), 'utf8'));
  const bytes = await readFile(fixture('nsfw-mobilenet-v2-fidelity-f64.bin'));
  golden = { ...index, values: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)) };
  const assets = Object.fromEntries(golden.images.map(({ resized }) => [`/${resized}`, fixture(resized)]));
  // esbuild keeps the weights package's `new URL('./model.json', import.meta.url)` as it is, so
  // the page (/page.js) fetches the model's files from the root: serve them there.
  for (const file of [weights.modelJson, ...weights.weightFiles]) assets[`/${file.path}`] = fileURLToPath(file.url);
  server = await serveBundledPage(fileURLToPath(new URL('./fidelity-page.ts', import.meta.url)), assets);
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it.skipIf(skip)(
  'webgl in headless Chromium: Grad-CAM of the bundled MobileNetV2 within the fidelity rule against TensorFlow float64, no leaks',
  async () => {
    const page = await (browser as Browser).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto((server as PageServer).url);
    await page.waitForFunction(() => 'gradcamFidelity' in globalThis, undefined, { timeout: 60_000 });
    const images = golden.images.map(({ resized, mirrored }) => ({ url: `/${resized}`, mirrored }));
    const result: PageResult = await page.evaluate(
      ([list, layers]) =>
        (globalThis as unknown as { gradcamFidelity(i: typeof list, l: readonly string[]): Promise<PageResult> }).gradcamFidelity(list, layers),
      [images, [...golden.layers]] as const,
    );
    expect(errors).toEqual([]);
    const report = compareFidelity(golden, result.maps);
    console.info(`WebGL ${result.webgl.version}, float32 ${result.webgl.float32}, ${result.webgl.renderer}\n${summarizeFidelity(report)}`);
    expect(result.maps.backend).toBe('webgl');
    expect(result.leakedTensors).toBe(0);
    expect(report.maps).toBe(160);
    expect(report.failures).toEqual([]);
  },
  600_000,
);
