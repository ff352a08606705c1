import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { isTfjsInternalsVersion, releaseFailedTape, TFJS_INTERNALS_VERSION } from './tfjs-internals.js';

describe('tfjs internals (one module, checked against its tfjs version)', () => {
  it('was written for the installed tfjs-core', () => {
    // A tfjs upgrade fails here first: re-read each accessor of tfjs-internals.ts against the new
    // sources, then move TFJS_INTERNALS_VERSION.
    expect(tf.version_core).toBe(TFJS_INTERNALS_VERSION);
    expect(isTfjsInternalsVersion()).toBe(true);
    expect(isTfjsInternalsVersion('4.23.0')).toBe(false);
  });

  it('releaseFailedTape frees what a failed gradient pass saved, and nothing inside an outer gradient', async () => {
    await tf.setBackend('cpu');
    const before = tf.memory().numTensors;
    const x = tf.scalar(2);
    expect(() =>
      tf.grad((t: tf.Tensor) => {
        tf.square(t); // saves t on the tape
        throw new Error('forward failed');
      })(x),
    ).toThrow('forward failed');
    releaseFailedTape();
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
