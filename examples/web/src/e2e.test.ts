import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '@gradcam/backend-webgl/testing';
import { encodePng } from 'gradcam';
import type { Browser, Page } from 'playwright-core';
import { type PreviewServer, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The built app (dist/, which turbo builds before this test) served by `vite preview` on
// 127.0.0.1 and driven in Debian's Chromium (WebGL through SwiftShader). One browser for the
// file; one page at 1280×900 goes through most cases in order, two more check ?backend=.
// GRADCAM_SKIP_BROWSER=1 (documented, never set by CI) leaves it out; without Chromium,
// launchChromium fails loudly.
const skip = process.env.GRADCAM_SKIP_BROWSER === '1';
const root = fileURLToPath(new URL('..', import.meta.url));
const artifacts = join(root, 'test-artifacts');
const coffee = fileURLToPath(new URL('../../images/coffee.png', import.meta.url));
const nestedToy = new URL('../../../packages/models/src/__fixtures__/nested-toy/', import.meta.url);
const NSFW_CLASSES = ['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy'];
const WAIT = { timeout: 60_000 };

/** Watches a page for errors and for any request that leaves the app's own origin (or `allowed`). */
function watch(page: Page, origin: string, allowed: string[] = []): { errors: string[]; foreign: string[]; wasm: string[] } {
  const seen = { errors: [] as string[], foreign: [] as string[], wasm: [] as string[] };
  page.on('pageerror', (error) => seen.errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.errors.push(message.text());
  });
  page.on('request', (request) => {
    const url = request.url();
    if (/\.wasm$/.test(new URL(url).pathname)) seen.wasm.push(url);
    if (![origin, ...allowed].some((prefix) => url.startsWith(prefix)) && !/^(data|blob):/.test(url)) seen.foreign.push(url);
  });
  return seen;
}

/** What the overlay must show; unset fields are not checked. */
interface Expected {
  readonly image: string;
  readonly model?: string;
  readonly layer?: string;
  readonly target?: string;
  readonly alphaLimit?: string;
  readonly colormap?: string;
}

/** Waits until the page shows the explained overlay described by `expected`, and is idle. */
async function waitForResult(page: Page, expected: Expected): Promise<void> {
  const waiting = page.waitForFunction(
    (expected) => {
      const status = document.querySelector<HTMLElement>('[data-testid="status"]');
      if (status?.dataset.state === 'error') throw new Error(document.querySelector('[data-testid="error"]')?.textContent ?? 'error');
      const overlay = document.querySelector<HTMLElement>('[data-testid="overlay"]')?.dataset ?? {};
      return status?.dataset.state === 'done' && overlay.explained === 'true' && Object.entries(expected).every(([key, value]) => overlay[key] === value);
    },
    expected,
    WAIT,
  );
  await waiting.catch(async (error: Error) => {
    const status = await page.getByTestId('status').textContent();
    const overlay = await page.getByTestId('overlay').evaluate((canvas) => JSON.stringify(canvas.dataset));
    throw new Error(`Waiting for ${JSON.stringify(expected)}: ${error.message}\nstatus: ${status}\noverlay: ${overlay}`);
  });
}

/** Waits for the error state and returns the error box's text. */
async function waitForError(page: Page): Promise<string> {
  await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid="status"]')?.dataset.state === 'error', undefined, WAIT);
  return (await page.getByTestId('error').textContent()) ?? '';
}

/** Copies the overlay canvas's pixels into the page, under `name`, for a later comparison. */
function keepOverlayPixels(page: Page, name: string): Promise<{ width: number; height: number }> {
  return page.evaluate((name) => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="overlay"]') as HTMLCanvasElement;
    const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data;
    (globalThis as unknown as Record<string, unknown>)[name] = pixels;
    return { width: canvas.width, height: canvas.height };
  }, name);
}

/** The fraction of overlay pixels that differ between two kept snapshots. */
function changedFraction(page: Page, a: string, b: string): Promise<number> {
  return page.evaluate(
    ([a, b]) => {
      const g = globalThis as unknown as Record<string, Uint8ClampedArray>;
      const [x, y] = [g[a], g[b]];
      if (x.length !== y.length) return 1;
      let changed = 0;
      for (let i = 0; i < x.length; i += 4) {
        if (x[i] !== y[i] || x[i + 1] !== y[i + 1] || x[i + 2] !== y[i + 2]) changed++;
      }
      return changed / (x.length / 4);
    },
    [a, b] as const,
  );
}

/** Records every state the overlay shows (image, explained or not), from now on, in the page. */
function recordOverlayStates(page: Page): Promise<void> {
  return page.evaluate(() => {
    const overlay = document.querySelector<HTMLElement>('[data-testid="overlay"]') as HTMLElement;
    const states: string[] = [];
    (globalThis as unknown as { overlayStates: string[] }).overlayStates = states;
    new MutationObserver(() => states.push(`${overlay.dataset.image}:${overlay.dataset.explained}`)).observe(overlay, { attributes: true });
  });
}

/** The options of the page's selects whose text is wider than the select shows. */
function cutSelectLabels(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const context = document.createElement('canvas').getContext('2d') as CanvasRenderingContext2D;
    const problems: string[] = [];
    for (const select of document.querySelectorAll('select')) {
      const style = getComputedStyle(select);
      context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const room = select.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight) - 20; // the arrow
      for (const option of select.options) {
        if (context.measureText(option.text).width > room) problems.push(`${select.id}: ${option.text}`);
      }
    }
    return problems;
  });
}

/** A solid RGB PNG of the given size. */
function png(width: number, height: number): Buffer {
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i += 4) data.set([200, (i / 4) % 256, 90, 255], i);
  return Buffer.from(encodePng({ width, height, data }));
}

describe.skipIf(skip)('web demo (examples/web) in headless Chromium', () => {
  let server: PreviewServer | undefined;
  let models: Server | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let seen: ReturnType<typeof watch>;
  let origin = '';
  let modelOrigin = '';
  const files: Record<string, Buffer> = {};

  beforeAll(async () => {
    if (!existsSync(join(root, 'dist', 'index.html'))) {
      throw new Error('examples/web/dist is missing: build the app first (`npx -y pnpm@10 --filter @gradcam/example-web build`; turbo does it before test).');
    }
    server = await preview({ root, logLevel: 'error', preview: { host: '127.0.0.1', port: 0, open: false } });
    origin = server.resolvedUrls?.local[0] ?? '';
    expect(origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    // Another origin serving a model.json with CORS, as a user's own model would be.
    files['model.json'] = await readFile(new URL('model.json', nestedToy));
    files['weights.bin'] = await readFile(new URL('weights.bin', nestedToy));
    files['metadata.json'] = Buffer.from(
      JSON.stringify({ packageName: '@teachablemachine/image', modelName: 'pets', labels: ['cat', 'dog', 'bird'], imageSize: 24 }),
    );
    models = createServer((req, res) => {
      const body = req.url?.startsWith('/pets/') ? files[req.url.slice('/pets/'.length)] : undefined;
      res.writeHead(body ? 200 : 404, { 'access-control-allow-origin': '*', 'content-type': 'application/octet-stream' });
      res.end(body ?? 'not found');
    });
    await new Promise<void>((resolve) => models?.listen(0, '127.0.0.1', resolve));
    modelOrigin = `http://127.0.0.1:${(models.address() as AddressInfo).port}`;
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    seen = watch(page, origin, [modelOrigin]);
    await mkdir(artifacts, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((resolve) => models?.close(resolve));
  });

  it('explains the sample in a Web Worker, on wasm because WebGL is software-rendered here, and says so', async () => {
    await page.goto(origin);
    await waitForResult(page, { image: 'chelsea.png', model: 'nsfw_mobilenet_v2', layer: 'out_relu' });
    expect(await page.getByTestId('backend').textContent()).toBe('wasm');
    expect(await page.getByTestId('backend-reason').textContent()).toMatch(/auto chose wasm: WebGL here is software-rendered \(SwiftShader\)/);
    expect(await page.getByTestId('backend-reason').isVisible()).toBe(true);
    expect(seen.wasm.length).toBeGreaterThan(0);
    expect(seen.wasm.every((url) => url.startsWith(`${origin}assets/`))).toBe(true);
    // tfjs lives in the worker only: the page's main thread has no tfjs engine at all.
    expect(await page.evaluate(() => '_tfengine' in globalThis)).toBe(false);
    const workers = page.workers();
    expect(workers).toHaveLength(1);
    expect(await workers[0].evaluate(() => '_tfengine' in globalThis)).toBe(true);
    // What the bundled models are, and how to bring one's own, in words on the page.
    const about = (await page.getByTestId('about-models').textContent()) ?? '';
    expect(about).toMatch(/NSFWJS/);
    expect(about).toMatch(/Drawing, Hentai, Neutral, Porn, Sexy/);
    expect(about).toMatch(/model\.json/);
    expect(await page.getByTestId('image-name').textContent()).toBe('chelsea.png · 451×300 px');
    expect(await page.getByTestId('legend').isVisible()).toBe(true);
    expect(await page.getByTestId('legend-text').textContent()).toMatch(/viridis.*alpha limit 0\.65/);
  });

  it('explains an upload, lists its top 5, and redraws the overlay for another class without leaking tensors', async () => {
    await page.getByTestId('image-input').setInputFiles(coffee);
    await waitForResult(page, { image: 'coffee.png' });
    expect(await page.getByTestId('image-name').textContent()).toBe('coffee.png · 600×400 px');
    const options = page.getByTestId('class-option');
    expect(await options.count()).toBe(5);
    const top = options.nth(0);
    const topLabel = (await top.locator('.label').textContent()) ?? '';
    expect(NSFW_CLASSES).toContain(topLabel);
    expect(await top.getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('status').textContent()).toContain(topLabel);
    const scores = await options.locator('.score').allTextContents();
    expect(scores.map(Number)).toEqual([...scores.map(Number)].sort((a, b) => b - a));
    expect(await keepOverlayPixels(page, 'before')).toEqual({ width: 600, height: 400 });
    const tensorsBefore = await page.getByTestId('status').getAttribute('data-tensors');

    const second = options.nth(1);
    const secondTarget = (await second.getAttribute('data-target')) ?? '';
    const secondLabel = (await second.locator('.label').textContent()) ?? '';
    await second.click();
    await waitForResult(page, { image: 'coffee.png', target: secondTarget });
    expect(await options.nth(1).getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('overlay-caption').textContent()).toContain(secondLabel);
    await keepOverlayPixels(page, 'after');
    expect(await changedFraction(page, 'before', 'after')).toBeGreaterThan(0.05);
    // Explaining another class leaves no tensors behind in the worker (the model's weights stay).
    expect(await page.getByTestId('status').getAttribute('data-tensors')).toBe(tensorsBefore);
  });

  it('handles input while the worker explains (InceptionV3 loading), then switches model and layer', async () => {
    await recordOverlayStates(page);
    await page.getByTestId('model-select').selectOption('nsfw_inception_v3');
    // The worker has started loading InceptionV3 (30 MB of weights, then a 299×299 pass)…
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid="progress"]')?.dataset.stage === 'load-model', undefined, WAIT);
    expect(await page.getByTestId('layer-select').isDisabled()).toBe(true);
    await page.getByTestId('alpha-input').focus();
    await page.keyboard.press('ArrowLeft');
    // …and the key press was handled while the overlay still showed the MobileNetV2 result: the
    // input did not wait for the explanation. (The new alpha then supersedes that request.)
    const during = await page.evaluate(() => ({
      alpha: document.getElementById('alpha-value')?.textContent,
      shownModel: document.querySelector<HTMLElement>('[data-testid="overlay"]')?.dataset.model,
      busy: document.getElementById('result')?.getAttribute('aria-busy'),
    }));
    expect(during).toEqual({ alpha: '0.60', shownModel: 'nsfw_mobilenet_v2', busy: 'true' });

    await waitForResult(page, { image: 'coffee.png', model: 'nsfw_inception_v3', layer: 'mixed10', alphaLimit: '0.6' });
    expect(await page.getByTestId('layer-select').inputValue()).toBe('mixed10');
    expect(await page.getByTestId('class-option').count()).toBe(5);
    expect(await page.getByTestId('legend-text').textContent()).toMatch(/alpha limit 0\.60/);
    const inceptionCaption = await page.locator('#heatmap-caption').textContent();
    expect(inceptionCaption).toBe('Raw heatmap, 8×8 cells (black 0 … white 1)');

    await page.getByTestId('layer-select').selectOption('mixed5');
    await waitForResult(page, { image: 'coffee.png', model: 'nsfw_inception_v3', layer: 'mixed5' });
    expect(await page.locator('#heatmap-caption').textContent()).toBe('Raw heatmap, 17×17 cells (black 0 … white 1)');
    // No MobileNetV2/InceptionV3 mix was ever shown as current: every explained state is coffee.png.
    const states = await page.evaluate(() => (globalThis as unknown as { overlayStates: string[] }).overlayStates);
    expect(states.every((state) => state === 'coffee.png:true')).toBe(true);

    await page.getByTestId('model-select').selectOption('nsfw_mobilenet_v2');
    await waitForResult(page, { image: 'coffee.png', model: 'nsfw_mobilenet_v2', layer: 'out_relu' });
  });

  it('replaces the result with an error for an undecodable, an empty and a 1×1 file, then recovers', async () => {
    const cases = [
      {
        file: { name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('these are not pixels') },
        message: /notes\.png .* is not an image this browser can decode/,
      },
      { file: { name: 'empty.jpg', mimeType: 'image/jpeg', buffer: Buffer.alloc(0) }, message: /empty\.jpg is empty \(0 bytes\)/ },
      { file: { name: 'dot.png', mimeType: 'image/png', buffer: png(1, 1) }, message: /1×1 px; the page needs at least 32×32 px/ },
    ];
    for (const { file, message } of cases) {
      await page.getByTestId('image-input').setInputFiles(file);
      expect(await waitForError(page)).toMatch(message);
      // Nothing of the previous result stays on screen.
      expect(await page.getByTestId('overlay').evaluate((canvas: HTMLCanvasElement) => [canvas.width, canvas.height, canvas.dataset.image])).toEqual([
        0,
        0,
        undefined,
      ]);
      expect(await page.getByTestId('class-option').count()).toBe(0);
      expect(await page.getByTestId('overlay-caption').textContent()).toBe('');
      expect(await page.getByTestId('legend').isVisible()).toBe(false);
      expect(await page.getByTestId('image-name').textContent()).toBe(`No image: ${file.name} could not be used.`);
      expect(await page.getByTestId('error').getAttribute('role')).toBe('alert');
    }
    // A setting changed with no image waits for the next one; the next good image replaces the error.
    await page.getByTestId('colormap-select').selectOption('magma');
    expect(await page.getByTestId('status').getAttribute('data-state')).toBe('error');
    await page.getByTestId('image-input').setInputFiles(coffee);
    await waitForResult(page, { image: 'coffee.png', model: 'nsfw_mobilenet_v2', colormap: 'magma' });
    expect(await page.getByTestId('error').isVisible()).toBe(false);
  });

  it('takes a huge dropped image scaled down to 640 px, shows a small one scaled up; the label follows the image', async () => {
    // Dropped, not chosen: the file input's own label would not change.
    await page.evaluate(async () => {
      const canvas = new OffscreenCanvas(6000, 4000);
      const context = canvas.getContext('2d') as OffscreenCanvasRenderingContext2D;
      const gradient = context.createLinearGradient(0, 0, 6000, 4000);
      gradient.addColorStop(0, '#203060');
      gradient.addColorStop(1, '#f0c040');
      context.fillStyle = gradient;
      context.fillRect(0, 0, 6000, 4000);
      context.fillStyle = '#ffffff';
      context.fillRect(2000, 1000, 1500, 1500);
      const file = new File([await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })], 'huge.jpg', { type: 'image/jpeg' });
      const transfer = new DataTransfer();
      transfer.items.add(file);
      document.querySelector('[data-testid="drop-zone"]')?.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    });
    await waitForResult(page, { image: 'huge.jpg' });
    expect(await page.getByTestId('image-name').textContent()).toBe('huge.jpg · 640×427 px, scaled down from 6000×4000');
    expect(await page.getByTestId('overlay').evaluate((canvas: HTMLCanvasElement) => [canvas.width, canvas.height])).toEqual([640, 427]);

    await page.getByTestId('image-input').setInputFiles({ name: 'small.png', mimeType: 'image/png', buffer: png(48, 36) });
    await waitForResult(page, { image: 'small.png' });
    expect(await page.getByTestId('image-name').textContent()).toBe('small.png · 48×36 px');
    const small = await page.getByTestId('overlay').evaluate((canvas: HTMLCanvasElement) => ({
      pixels: [canvas.width, canvas.height],
      shown: Math.round(canvas.getBoundingClientRect().width),
      pixelated: canvas.classList.contains('pixelated'),
    }));
    expect(small).toEqual({ pixels: [48, 36], shown: 320, pixelated: true });
  });

  it('loads your own model from its files and from a URL, with clear errors for wrong ones', async () => {
    await page.getByTestId('image-input').setInputFiles(coffee);
    await waitForResult(page, { image: 'coffee.png', model: 'nsfw_mobilenet_v2' });
    await page.getByTestId('custom-model').locator('summary').click();

    await page.getByTestId('model-files').setInputFiles([{ name: 'weights.bin', mimeType: 'application/octet-stream', buffer: files['weights.bin'] }]);
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid="custom-model-status"]')?.dataset.state === 'error', undefined, WAIT);
    expect(await page.getByTestId('custom-model-status').textContent()).toMatch(/None of the chosen files \(weights\.bin\) is a tfjs model\.json/);
    // The result shown is untouched: the model select did not change.
    expect(await page.getByTestId('model-select').inputValue()).toBe('nsfw_mobilenet_v2');

    await page
      .getByTestId('model-files')
      .setInputFiles(['model.json', 'weights.bin', 'metadata.json'].map((name) => ({ name, mimeType: 'application/octet-stream', buffer: files[name] })));
    await waitForResult(page, { image: 'coffee.png', model: 'custom:1' });
    expect(await page.getByTestId('model-select').inputValue()).toBe('custom:1');
    expect(await page.getByTestId('model-select').locator('option:checked').textContent()).toBe('Your model: pets');
    expect((await page.getByTestId('class-option').locator('.label').allTextContents()).sort()).toEqual(['bird', 'cat', 'dog']);
    expect(await page.getByTestId('custom-model-status').textContent()).toMatch(/Loaded pets: 3 classes, 24×24 px input/);
    const layers = await page.getByTestId('layer-select').locator('option').allTextContents();
    expect(layers.length).toBeGreaterThan(1);

    await page.getByTestId('model-url').fill(`${modelOrigin}/nothing/model.json`);
    await page.getByTestId('model-url-load').click();
    await page.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid="custom-model-status"]')?.dataset.state === 'error', undefined, WAIT);
    expect(await page.getByTestId('custom-model-status').textContent()).toMatch(/Cannot load the model from .*nothing\/model\.json/);

    await page.getByTestId('model-url').fill(`${modelOrigin}/pets/model.json`);
    await page.getByTestId('model-url-load').click();
    await waitForResult(page, { image: 'coffee.png', model: 'custom:2' });
    expect((await page.getByTestId('class-option').locator('.label').allTextContents()).sort()).toEqual(['bird', 'cat', 'dog']);

    await page.getByTestId('model-select').selectOption('nsfw_mobilenet_v2');
    await waitForResult(page, { image: 'coffee.png', model: 'nsfw_mobilenet_v2' });
  });

  it('is reachable by keyboard, announces its status, and fits its labels at 1280 px', async () => {
    expect(await page.getByTestId('status').getAttribute('aria-live')).toBe('polite');
    expect(await page.getByTestId('status').getAttribute('role')).toBe('status');
    // Every control takes the focus with Tab, in page order.
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const reached = new Set<string>();
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      reached.add(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.testid ?? document.activeElement?.tagName.toLowerCase() ?? ''));
    }
    for (const control of [
      'image-input',
      'class-option',
      'model-select',
      'model-url',
      'model-files',
      'preprocess',
      'layer-select',
      'colormap-select',
      'alpha-input',
    ]) {
      expect([...reached], control).toContain(control);
    }
    // A class is chosen with the keyboard too.
    const third = page.getByTestId('class-option').nth(2);
    const thirdTarget = (await third.getAttribute('data-target')) ?? '';
    await third.focus();
    await page.keyboard.press('Space');
    await waitForResult(page, { image: 'coffee.png', target: thirdTarget });

    // Every select shows its whole option text (the page was cutting them at 1280 px), also
    // with the graph model, whose layers are long node paths.
    expect(await cutSelectLabels(page)).toEqual([]);
    await page.getByTestId('model-select').selectOption('nsfw_mobilenet_v2_mid');
    await waitForResult(page, { image: 'coffee.png', model: 'nsfw_mobilenet_v2_mid' });
    expect(await cutSelectLabels(page)).toEqual([]);
    expect(await page.locator('#layer-hint').textContent()).toMatch(/^MobilenetV2\/Conv_1\/Relu6: .* the default layer/);
    await page.getByTestId('model-select').selectOption('nsfw_mobilenet_v2');
    await waitForResult(page, { image: 'coffee.png', model: 'nsfw_mobilenet_v2' });
  });

  it.each([390, 360])('fits a %i px wide screen: no horizontal scrolling, readable overlay, legend and classes', async (width) => {
    await page.setViewportSize({ width, height: 800 });
    const layout = await page.evaluate(() => {
      const box = (testid: string) => document.querySelector(`[data-testid="${testid}"]`)?.getBoundingClientRect() as DOMRect;
      const overlay = box('overlay');
      const legend = document.getElementById('legend-bar')?.getBoundingClientRect() as DOMRect;
      const classes = box('class-list');
      return {
        scrollWidth: document.documentElement.scrollWidth,
        innerWidth: window.innerWidth,
        overlay: [overlay.left, overlay.right, overlay.width],
        legend: legend.width,
        classes: classes.width,
        below: overlay.top > box('drop-zone').bottom,
      };
    });
    expect(layout.scrollWidth).toBeLessThanOrEqual(layout.innerWidth);
    expect(layout.overlay[0]).toBeGreaterThanOrEqual(0);
    expect(layout.overlay[1]).toBeLessThanOrEqual(width);
    expect(layout.overlay[2]).toBeGreaterThan(width * 0.75);
    expect(layout.legend).toBeGreaterThan(width * 0.75);
    expect(layout.classes).toBeGreaterThan(width * 0.75);
    expect(layout.below).toBe(true);
    await page.screenshot({ path: join(artifacts, `web-e2e-${width}.png`), fullPage: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(artifacts, 'web-e2e.png'), fullPage: true });
    expect(seen.errors).toEqual([]);
    expect(seen.foreign).toEqual([]);
  });

  it('runs webgl in the worker on ?backend=webgl, shows progress, and a new upload cancels the explanation under way', async () => {
    const webgl = await (browser as Browser).newPage({ viewport: { width: 1280, height: 900 } });
    const watched = watch(webgl, origin);
    await webgl.goto(`${origin}?backend=webgl`);
    // The first webgl pass compiles its shaders on SwiftShader: seconds, with visible progress.
    await webgl.waitForFunction(() => document.querySelector<HTMLElement>('[data-testid="progress"]')?.dataset.stage === 'explain', undefined, WAIT);
    await webgl.getByTestId('progress').waitFor({ state: 'visible', ...WAIT });
    expect(await webgl.locator('#progress-text').textContent()).toMatch(/^Step 2 of 3: Explaining with nsfw_mobilenet_v2 at out_relu/);
    await recordOverlayStates(webgl);
    await webgl.getByTestId('image-input').setInputFiles(coffee);
    await waitForResult(webgl, { image: 'coffee.png', model: 'nsfw_mobilenet_v2' });
    // chelsea.png's explanation was dropped: it was never shown once coffee.png was chosen.
    const states = await webgl.evaluate(() => (globalThis as unknown as { overlayStates: string[] }).overlayStates);
    expect(states).not.toContain('chelsea.png:true');
    expect(await webgl.getByTestId('backend').textContent()).toBe('webgl');
    expect(await webgl.getByTestId('backend-reason').textContent()).toBe('— webgl, as asked in the address (?backend=webgl).');
    expect(watched.errors).toEqual([]);
    expect(watched.foreign).toEqual([]);
    await webgl.close();
  });

  it('names an unknown ?backend= value and uses auto', async () => {
    const bogus = await (browser as Browser).newPage();
    await bogus.goto(`${origin}?backend=bogus`);
    await bogus.waitForFunction(() => document.querySelector('[data-testid="backend"]')?.textContent !== '…', undefined, WAIT);
    expect(await bogus.getByTestId('backend').textContent()).toBe('wasm');
    expect(await bogus.getByTestId('backend-reason').textContent()).toMatch(
      /^— \?backend=bogus is not a backend \(valid: auto, webgl, wasm, cpu\); using auto\. auto chose wasm/,
    );
    await bogus.close();
  });
});
