import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startBackend } from './start-backend';

// In Node there is no WebGL, and the .wasm URL the page bundles (a Vite path) is no file here:
// asking for webgl falls back twice, to cpu, and the report says why.
describe('startBackend', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('falls back when the asked-for backend cannot start, naming each cause', async () => {
    // tfjs and emscripten log the failed wasm start on the console: expected here.
    vi.spyOn(console, 'error').mockImplementation(() => {});
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const report = await startBackend('webgl', () => undefined);
    expect(report).toMatchObject({ name: 'cpu', requested: 'webgl', fellBack: true });
    expect(tf.getBackend()).toBe('cpu');
    expect(report.reason).toMatch(/^webgl could not start \(.+\); wasm could not start \(.+\); fell back to cpu\.$/);
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
