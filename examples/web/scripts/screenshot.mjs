// Regenerates docs/images/web-demo.png, the README's picture of the web demo: builds the app
// with Vite, serves it on 127.0.0.1 with `vite preview`, lets headless Chromium (Debian's,
// through @gradcam/backend-webgl/testing) explain the default sample on webgl, and screenshots
// the page. Run from the repository: `npx -y pnpm@10 --filter @gradcam/example-web screenshot`
// (the workspace packages must be built: `npx -y pnpm@10 build`).
import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '@gradcam/backend-webgl/testing';
import { build, preview } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const output = fileURLToPath(new URL('../../../docs/images/web-demo.png', import.meta.url));

await build({ root, logLevel: 'error' });
const server = await preview({ root, logLevel: 'error', preview: { host: '127.0.0.1', port: 0, open: false } });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 640 }, deviceScaleFactor: 1 });
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(server.resolvedUrls.local[0]);
  await page.waitForFunction(
    () => {
      const state = document.querySelector('[data-testid="status"]')?.dataset.state;
      if (state === 'error') throw new Error(document.querySelector('[data-testid="status"]')?.textContent ?? 'error');
      return state === 'done' && document.querySelector('[data-testid="overlay"]')?.dataset.image === 'chelsea.png';
    },
    undefined,
    { timeout: 120_000 },
  );
  const status = await page.getByTestId('status').textContent();
  await mkdir(dirname(output), { recursive: true });
  await page.screenshot({ path: output, fullPage: true });
  console.info(`${output}: ${Math.round(statSync(output).size / 1024)} KB (${status})`);
} finally {
  await browser.close();
  await server.close();
}
