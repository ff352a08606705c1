import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { runTargetGradients } from './target-gradients.js';

describe('runTargetGradients picks each image’s best classes on the device', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  // Scores with ties: image 0 [1, 3, 3, 2], image 1 [5, 5, 0, 5]; the "layer" output enters each
  // score with weight 1 (class c's score = s_c + Σ A), so every gradient row is all ones.
  const scores = tf.tensor2d([
    [1, 3, 3, 2],
    [5, 5, 0, 5],
  ]);
  const docs = tf.zeros([2, 1, 1, 1]) as tf.Tensor4D;
  const run = (targets: { top: number } | number[]) =>
    runTargetGradients(
      docs,
      { logits: false, targets },
      (pass) => {
        const a = pass.inject(pass.input);
        const rows = a.shape[0];
        const repeated =
          rows === 2
            ? scores
            : tf.gather(
                scores,
                tf.tensor1d(
                  Array.from({ length: rows }, (_, i) => Math.floor((i * 2) / rows)),
                  'int32',
                ),
              );
        return tf.add(repeated, tf.reshape(tf.sum(a, [1, 2, 3]), [rows, 1])) as tf.Tensor2D;
      },
      [null, 1, 1, 1],
    );

  it('ties go to the lower class id, like a stable sort by score', () => {
    const before = tf.memory().numTensors;
    for (const [k, expected] of [
      [1, [[1], [0]]],
      [
        2,
        [
          [1, 2],
          [0, 1],
        ],
      ],
      [
        3,
        [
          [1, 2, 3],
          [0, 1, 3],
        ],
      ],
    ] as const) {
      const capture = run({ top: k });
      expect(capture.targets).toEqual(expected);
      expect(capture.gradients.shape).toEqual([2 * k, 1, 1, 1]);
      expect(Array.from(capture.gradients.dataSync())).toEqual(Array(2 * k).fill(1));
      capture.dispose();
    }
    const explicit = run([3, 0]);
    expect(explicit.targets).toEqual([
      [3, 0],
      [3, 0],
    ]);
    explicit.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
