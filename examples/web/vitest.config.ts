import { defineConfig } from 'vitest/config';

// Tests run in Node; the e2e test drives the built app (dist/) in Debian's Chromium.
export default defineConfig({
  test: { environment: 'node', testTimeout: 120_000, hookTimeout: 120_000 },
});
