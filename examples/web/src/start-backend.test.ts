import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startBackend } from './start-backend';

// In Node there is no WebGL, while @gradcam/backend-wasm finds its packaged .wasm files beside
// its dist (new URL(…, import.meta.url)): asking for webgl falls back to wasm, and the report says why.
describe('startBackend', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('falls back when the asked-for backend cannot start, naming each cause', async () => {
    // tfjs and emscripten log the failed wasm start on the console: expected here.
    vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const report = await startBackend('webgl', () => undefined);
    expect(report).toMatchObject({ name: 'wasm', requested: 'webgl', fellBack: true });
    expect(tf.getBackend()).toBe('wasm');
    expect(report.reason).toMatch(/^webgl could not start \(.+\); fell back to wasm\.$/);
    expect(report.renderer).toBeUndefined();
  });

  it('reports the renderer and the choice when nothing fails', async () => {
    const report = await startBackend('cpu', () => ({ renderer: 'Google SwiftShader', software: true }));
    expect(report).toEqual({
      name: 'cpu',
      requested: 'cpu',
      reason: 'cpu, as asked in the address (?backend=cpu).',
      fellBack: false,
      renderer: 'Google SwiftShader',
    });
  });
});
