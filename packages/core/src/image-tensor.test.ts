import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { InvalidInputError } from './errors.js';
import { arrayToImg, arrayToImgs, deferredImages, imgToArray } from './image-tensor.js';

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

describe('deferredImages (the Explanation image, converted on first read)', () => {
  it('gives arrayToImgs / arrayToImg pixels, read before the tensors are disposed, as an own enumerable property', () => {
    const batch = tf.randomUniform([3, 5, 4, 3], -2, 7, 'float32', 3);
    const single = tf.randomUniform([1, 6, 2, 1], 0, 1, 'float32', 4);
    const eager = arrayToImgs(batch);
    const eagerSingle = arrayToImg(single);
    const deferred = deferredImages(batch);
    const [deferredSingle] = deferredImages([single]);
    tf.dispose([batch, single]); // the values were read already
    expect(deferred.map((img) => [img.width, img.height])).toEqual(eager.map((img) => [img.width, img.height]));
    for (const [i, img] of deferred.entries()) expect(Array.from(img.data)).toEqual(Array.from(eager[i].data));
    expect(Array.from(deferredSingle.data)).toEqual(Array.from(eagerSingle.data));
    // Converted once; spreading, JSON and structuredClone see the pixels.
    expect(deferred[0].data).toBe(deferred[0].data);
    expect(Object.keys(deferred[1])).toEqual(['width', 'height', 'data']);
    expect(Array.from(structuredClone(deferred[1]).data)).toEqual(Array.from(eager[1].data));
    expect(Object.keys(JSON.parse(JSON.stringify({ ...deferred[2] }))).sort()).toEqual(['data', 'height', 'width']);
  });

  it('refuses what arrayToImg refuses', () => {
    const rgba = tf.zeros([2, 4, 4, 4]);
    expect(() => deferredImages(rgba)).toThrow(InvalidInputError);
    expect(() => deferredImages([tf.zeros([4, 4, 2])])).toThrow(InvalidInputError);
    rgba.dispose();
  });
});
