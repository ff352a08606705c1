// Regenerates docs/images/web-demo.png, the README's picture of the web demo: builds the app
// with Vite, serves it on 127.0.0.1 with `vite preview`, lets headless Chromium (Debian's,
// through @gradcam/backend-webgl/testing) explain the default sample, and screenshots the page.
// Run from the repository: `npx -y pnpm@10 --filter @gradcam/example-web screenshot` (the
// workspace packages must be built: `npx -y pnpm@10 build`). `-- --width 390` captures a
// narrow screen into test-artifacts/ instead, for a look at the phone layout.
import { statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchChromium } from '@gradcam/backend-webgl/testing';
import { build, preview } from 'vite';

const { values } = parseArgs({ options: { width: { type: 'string', default: '1200' } } });
const width = Number(values.width);
if (!Number.isInteger(width) || width < 320) throw new Error(`--width must be an integer ≥ 320, got ${values.width}.`);
const root = fileURLToPath(new URL('..', import.meta.url));
const output = fileURLToPath(
  width === 1200 ? new URL('../../../docs/images/web-demo.png', import.meta.url) : new URL(`../test-artifacts/web-demo-${width}.png`, import.meta.url),
);

await build({ root, logLevel: 'error' });
const server = await preview({ root, logLevel: 'error', preview: { host: '127.0.0.1', port: 0, open: false } });
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width, height: 640 }, deviceScaleFactor: 1 });
  page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
  await page.goto(server.resolvedUrls.local[0]);
  await page.waitForFunction(
    () => {
      const status = document.querySelector('[data-testid="status"]');
      if (status?.dataset.state === 'error') throw new Error(document.querySelector('[data-testid="error"]')?.textContent ?? 'error');
      const overlay = document.querySelector('[data-testid="overlay"]')?.dataset;
      return status?.dataset.state === 'done' && overlay?.image === 'chelsea.png' && overlay.explained === 'true';
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
