import { activateBackend, BackendUnavailableError, registerBackend } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { nativeDecodeOptions, setBackend } from './index.js';

// A plug-in of the test's own: it reaches gradcam through core's registry only, as a backend
// package in another repository would.
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await tf.setBackend('cpu');
});

describe('backends as plug-ins', () => {
  it("'auto' picks the registered backend with the highest priority", async () => {
    let started = 0;
    cleanups.push(
      registerBackend({
        name: 'test-first',
        environments: ['node'],
        priority: 1000,
        activate: async () => {
          started++;
          await activateBackend('cpu', '');
          return 'test-first';
        },
        decodeOptions: async () => ({ jpegDecoder: () => ({ width: 1, height: 1, data: new Uint8ClampedArray(4) }) }),
      }),
    );
    expect(await setBackend('auto')).toBe('test-first');
    expect(await setBackend('test-first')).toBe('test-first');
    expect(started).toBe(2);
  });

  it("'auto' falls back past a plug-in that cannot start, with one notice naming it", async () => {
    cleanups.push(
      registerBackend({
        name: 'test-broken',
        environments: ['node'],
        priority: 1000,
        activate: async () => {
          throw new BackendUnavailableError('No test device. Plug one in.');
        },
      }),
    );
    const notices: string[] = [];
    const chosen = await setBackend('auto', { onNotice: (m) => notices.push(m) });
    expect(chosen).not.toBe('test-broken');
    expect(notices).toEqual([`gradcam: 'test-broken' unavailable (No test device); using '${chosen}'.`]);
    await expect(setBackend('test-broken')).rejects.toThrow(/No test device/);
  });

  it('takes decode options from the active backend’s plug-in, none from one without', async () => {
    expect(await setBackend('wasm')).toBe('wasm');
    expect(await nativeDecodeOptions()).toEqual({});
    if (process.env.GRADCAM_SKIP_TFJS_NODE === '1') return;
    expect(await setBackend('tensorflow')).toBe('tensorflow');
    const options = await nativeDecodeOptions();
    expect(typeof options.jpegDecoder).toBe('function');
    expect(typeof options.pngDecoder).toBe('function');
  });

  it("rejects 'webgl' in Node.js, naming the package that brings it", async () => {
    await expect(setBackend('webgl')).rejects.toThrow(/@gradcam\/backend-webgl/);
  });
});
