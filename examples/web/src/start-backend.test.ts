import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { startBackend } from './start-backend';

// In Node there is no WebGL: asking for webgl falls back, and the report says why.
describe('startBackend', () => {
  it('falls back when the asked-for backend cannot start, naming the cause', async () => {
    const report = await startBackend('webgl', () => undefined);
    expect(report.fellBack).toBe(true);
    expect(report.requested).toBe('webgl');
    expect(['wasm', 'cpu']).toContain(report.name);
    expect(tf.getBackend()).toBe(report.name);
    expect(report.reason).toMatch(new RegExp(`^webgl could not start \\(.+\\); .*fell back to ${report.name}\\.$`));
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
