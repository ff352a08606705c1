import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from './errors.js';
import { arrayToImg, arrayToImgs, imgToArray } from './image-tensor.js';

describe('imgToArray / arrayToImg (Keras img_to_array / array_to_img)', () => {
  const img = { width: 2, height: 1, data: new Uint8ClampedArray([10, 20, 30, 255, 40, 50, 60, 128]) };

  it('drops alpha and keeps 0..255 floats in [h, w, 3]', () => {
    const x = imgToArray(img);
    expect(x.shape).toEqual([1, 2, 3]);
    expect(Array.from(x.dataSync())).toEqual([10, 20, 30, 40, 50, 60]);
    x.dispose();
  });

  it('stretches min..max to 0..255 and truncates, as Keras does', () => {
    const x = tf.tensor3d([
      [
        [-1, 0, 0.5],
        [1, 0.2, -0.3],
      ],
    ]);
    const out = arrayToImg(x);
    // (v + 1) / 2 * 255, truncated
    expect(Array.from(out.data)).toEqual([0, 127, 191, 255, 255, 153, 89, 255]);
    expect(arrayToImg(tf.tensor4d([[[[300, 2, 3]]]]), { scale: false }).data[0]).toBe(255);
  });

  it('arrayToImgs gives each image of a batch what arrayToImg gives it alone', () => {
    const batch = tf.randomUniform([3, 4, 5, 3], -1, 1, 'float32', 1);
    const images = arrayToImgs(batch);
    expect(images).toHaveLength(3);
    for (const [i, image] of images.entries()) {
      const one = tf.slice(batch, i, 1);
      expect(image).toEqual(arrayToImg(one));
      one.dispose();
    }
    expect(() => arrayToImgs(tf.zeros([4, 5, 3]))).toThrow(InvalidInputError);
    batch.dispose();
  });

  it('rejects malformed input with a typed error', () => {
    expect(() => imgToArray({ width: 2, height: 2, data: new Uint8ClampedArray(3) })).toThrow(InvalidInputError);
    expect(() => arrayToImg(tf.zeros([2, 2]))).toThrow(/\[h, w, 3\]/);
  });
});
