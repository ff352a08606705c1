// Times the page on each backend in Debian's headless Chromium: the explanation of the sample
// right after start-up, of a second image, and after switching to each other bundled model
// (model load + explanation, as the page reports them). On a machine without a GPU, WebGL runs
// on SwiftShader; this is the measurement behind the page preferring wasm there. Times vary
// with machine load: compare the backends within one run.
// `npx -y pnpm@10 --filter @gradcam/example-web timings` (builds the app first).
import { fileURLToPath } from 'node:url';
import { launchChromium } from '@gradcam/backend-webgl/testing';
import { build, preview } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const coffee = fileURLToPath(new URL('../../images/coffee.png', import.meta.url));

/** Waits for the explained overlay of `model` and returns the status line's own timing. */
async function explained(page, model, image) {
  await page.waitForFunction(
    ([model, image]) => {
      const status = document.querySelector('[data-testid="status"]');
      if (status?.dataset.state === 'error') throw new Error(document.querySelector('[data-testid="error"]')?.textContent ?? 'error');
      const overlay = document.querySelector('[data-testid="overlay"]')?.dataset ?? {};
      return status?.dataset.state === 'done' && overlay.explained === 'true' && overlay.model === model && overlay.image === image;
    },
    [model, image],
    { timeout: 300_000 },
  );
  return ((await page.getByTestId('status').textContent()) ?? '').split(' · ').at(-1);
}

await build({ root, logLevel: 'error' });
const server = await preview({ root, logLevel: 'error', preview: { host: '127.0.0.1', port: 0, open: false } });
const browser = await launchChromium();
const rows = [];
let started = 0;
try {
  for (const backend of ['wasm', 'webgl']) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    started = Date.now();
    await page.goto(`${server.resolvedUrls.local[0]}?backend=${backend}`);
    const step = async (what, model, image) => {
      const reported = await explained(page, model, image);
      rows.push([backend, what, Date.now() - started, reported]);
    };
    await step('start-up + first explanation (nsfw_mobilenet_v2)', 'nsfw_mobilenet_v2', 'chelsea.png');
    started = Date.now();
    await page.getByTestId('image-input').setInputFiles(coffee);
    await step('second image', 'nsfw_mobilenet_v2', 'coffee.png');
    for (const model of ['nsfw_mobilenet_v2_mid', 'nsfw_inception_v3']) {
      started = Date.now();
      await page.getByTestId('model-select').selectOption(model);
      await step(`switch to ${model} (load + explain)`, model, 'coffee.png');
    }
    await page.close();
  }
} finally {
  await browser.close();
  await server.close();
}
console.info('| backend | step | wall ms (page) | explanation (status line) |\n|---|---|---|---|');
for (const row of rows) console.info(`| ${row.join(' | ')} |`);
