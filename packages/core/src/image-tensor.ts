import * as tf from '@tensorflow/tfjs-core';
import { InvalidInputError } from './errors.js';
import type { RgbaImage } from './types.js';

/**
 * Keras `img_to_array`: an RGBA image as a float32 [height, width, 3] tensor of 0..255
 * values (alpha dropped, as after PIL's convert('RGB')).
 */
export function imgToArray(img: RgbaImage): tf.Tensor3D {
  const { width, height, data } = img;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0 || data.length !== width * height * 4) {
    throw new InvalidInputError(`imgToArray expects an RGBA image with data.length == width*height*4; got ${width}×${height} with ${data?.length} bytes.`);
  }
  const rgb = new Float32Array(width * height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = data[j];
    rgb[i + 1] = data[j + 1];
    rgb[i + 2] = data[j + 2];
  }
  return tf.tensor3d(rgb, [height, width, 3], 'float32');
}

/** Options of arrayToImg. */
export interface ArrayToImgOptions {
  /** Rescale min..max to 0..255 as Keras does (default true); otherwise clip to 0..255. */
  readonly scale?: boolean;
}

/** One image's values in HWC order and its [height, width, channels]. */
interface ImageValues {
  readonly values: tf.TypedArray;
  readonly hwc: [number, number, number];
}

/** The values of one [h, w, 3|1] (or [1, h, w, 3|1]) image, checked and read. */
function imageValues(x: tf.Tensor): ImageValues {
  const shape = x.shape;
  const squeezed = shape.length === 4 && shape[0] === 1 ? shape.slice(1) : shape;
  if (squeezed.length !== 3 || (squeezed[2] !== 3 && squeezed[2] !== 1)) {
    throw new InvalidInputError(`arrayToImg expects a [h, w, 3] or [h, w, 1] tensor (batch 1 allowed); got shape [${shape.join(', ')}].`);
  }
  return { values: x.dataSync(), hwc: squeezed as [number, number, number] };
}

/** The values of each image of a [N, h, w, 3|1] batch, checked and read once (slicing first would copy it per image on some backends). */
function batchValues(batch: tf.Tensor): ImageValues[] {
  const shape = batch.shape;
  if (shape.length !== 4 || (shape[3] !== 3 && shape[3] !== 1)) {
    throw new InvalidInputError(`arrayToImgs expects a [N, h, w, 3] or [N, h, w, 1] tensor; got shape [${shape.join(', ')}].`);
  }
  const [count, height, width, channels] = shape as [number, number, number, number];
  const values = batch.dataSync();
  const size = height * width * channels;
  return Array.from({ length: count }, (_, i) => ({ values: values.subarray(i * size, (i + 1) * size), hwc: [height, width, channels] }));
}

/**
 * Keras `array_to_img`: a [h, w, 3] (or [1, h, w, 3], or [h, w, 1]) tensor as an RGBA image.
 * With `scale` (the default) values are shifted to start at 0 and stretched to 255 first.
 */
export function arrayToImg(x: tf.Tensor, options: ArrayToImgOptions = {}): RgbaImage {
  const { values, hwc } = imageValues(x);
  return valuesToImg(values, hwc, options);
}

/** arrayToImg for each image of a [N, h, w, 3] (or [N, h, w, 1]) batch, reading the batch once. */
export function arrayToImgs(batch: tf.Tensor, options: ArrayToImgOptions = {}): RgbaImage[] {
  return batchValues(batch).map(({ values, hwc }) => valuesToImg(values, hwc, options));
}

/**
 * arrayToImgs (of a [N, h, w, c] batch) or arrayToImg (of each image of a list) with the pixel
 * conversion deferred: the values are read now, so the tensors may be disposed at once, and each
 * image's `data` is computed on its first read. It is an own, enumerable property (an accessor),
 * so spreading, JSON and structuredClone see the pixels. For Explanations, whose image is often
 * never looked at.
 */
export function deferredImages(docs: tf.Tensor | readonly tf.Tensor[]): RgbaImage[] {
  const parts = Array.isArray(docs) ? docs.map(imageValues) : batchValues(docs as tf.Tensor);
  return parts.map(({ values, hwc }) => {
    let data: Uint8ClampedArray | undefined;
    let source: tf.TypedArray | undefined = values;
    const image = { width: hwc[1], height: hwc[0] } as RgbaImage;
    Object.defineProperty(image, 'data', {
      enumerable: true,
      get() {
        if (data === undefined) {
          data = valuesToImg(source as tf.TypedArray, hwc, {}).data;
          source = undefined;
        }
        return data;
      },
    });
    return image;
  });
}

/** Keras' array_to_img on one image's values, in HWC order. */
function valuesToImg(values: tf.TypedArray, [height, width, channels]: [number, number, number], options: ArrayToImgOptions): RgbaImage {
  let offset = 0;
  let range = 0;
  if (options.scale ?? true) {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    offset = -min;
    range = max - min;
  }
  const data = new Uint8ClampedArray(width * height * 4);
  // Keras: (x - min) / max * 255, then a uint8 cast, which truncates.
  const toByte = (v: number) => Math.trunc(range !== 0 ? ((v + offset) / range) * 255 : v + offset);
  for (let p = 0, i = 0, o = 0; p < width * height; p++, i += channels, o += 4) {
    const r = toByte(values[i]);
    data[o] = r;
    data[o + 1] = channels === 3 ? toByte(values[i + 1]) : r;
    data[o + 2] = channels === 3 ? toByte(values[i + 2]) : r;
    data[o + 3] = 255;
  }
  return { width, height, data };
}
