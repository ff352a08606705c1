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
