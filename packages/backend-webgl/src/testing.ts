/**
 * Test helpers for running gradcam in a real browser: `@gradcam/backend-webgl/testing`.
 * Node only; needs the optional peer `playwright-core` and a Chromium on the machine (Debian's
 * `chromium` package — never a browser downloaded by Playwright).
 */
import { existsSync } from 'node:fs';
import { BackendUnavailableError } from '@gradcam/core/errors';
import type { Browser } from 'playwright-core';

/**
 * Chromium flags for headless runs on a machine without GPU or internet: WebGL through
 * SwiftShader, no background connections (a closed network refuses them, many at a time).
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--no-sandbox',
  '--use-angle=swiftshader',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The Chromium executable: `$CHROMIUM_PATH`, else the first of the usual Debian paths. */
export function findChromium(): string {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new BackendUnavailableError(`CHROMIUM_PATH is '${fromEnv}', which does not exist.`);
    return fromEnv;
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (!found) {
    throw new BackendUnavailableError(
      `No Chromium found (looked at ${CANDIDATES.join(', ')}). Install Debian's: \`apt-get install -y chromium\`, or set CHROMIUM_PATH.`,
    );
  }
  return found;
}

/** Launches headless Chromium with CHROMIUM_FLAGS through playwright-core. */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: findChromium(), headless: true, args: [...CHROMIUM_FLAGS] });
}

/** A page served on 127.0.0.1 for a browser test; `close()` stops the server. */
export interface PageServer {
  /** The page's address, e.g. http://127.0.0.1:41234/ */
  readonly url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.json': 'application/json', '.wasm': 'application/wasm' };

/**
 * Bundles `entry` for the browser with esbuild (optional peer) and serves it as the module
 * script of an empty page at `/`, with `assets` (URL path → file on disk) beside it.
 */
export async function serveBundledPage(entry: string, assets: Record<string, string> = {}): Promise<PageServer> {
  const [{ build }, { createServer }, { readFile }, { extname }] = await Promise.all([
    import('esbuild'),
    import('node:http'),
    import('node:fs/promises'),
    import('node:path'),
  ]);
  const bundle = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent' });
  const files = new Map<string, { type: string; body: Uint8Array | string }>([
    ['/', { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><script type="module" src="/page.js"></script>' }],
    ['/page.js', { type: 'text/javascript', body: bundle.outputFiles[0].contents }],
  ]);
  for (const [path, file] of Object.entries(assets)) {
    files.set(path, { type: TYPES[extname(file)] ?? 'application/octet-stream', body: await readFile(file) });
  }
  const server = createServer((req, res) => {
    const file = files.get(req.url ?? '');
    res.writeHead(file ? 200 : 404, { 'content-type': file?.type ?? 'text/plain' });
    res.end(file?.body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
