import type { RgbaImage } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';

type TfjsNode = typeof import('@tensorflow/tfjs-node');

/** TensorFlow's decoded [h, w, channels] pixels (3: RGB, 4: RGBA) as an RgbaImage (alpha 255 for RGB). */
function toRgba(decoded: tf.Tensor3D): RgbaImage {
  const [height, width, channels] = decoded.shape;
  const values = decoded.dataSync();
  decoded.dispose();
  if (channels === 4) return { width, height, data: Uint8ClampedArray.from(values) };
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; i < values.length; i += 3, j += 4) {
    data[j] = values[i];
    data[j + 1] = values[i + 1];
    data[j + 2] = values[i + 2];
    data[j + 3] = 255;
  }
  return { width, height, data };
}

/**
 * Runs one of tfjs-node's image decoders; its errors — TensorFlow's status text ("Invalid
 * TF_Status: 3\nMessage: …") — become one line naming the library.
 */
function decodeWith(library: string, decode: () => tf.Tensor3D): RgbaImage {
  let decoded: tf.Tensor3D;
  try {
    decoded = decode();
  } catch (error) {
    const message = String((error as Error)?.message ?? error);
    throw new Error(`${library}: ${message.replace(/^[\s\S]*?Message:\s*/, '').trim()}`, { cause: error });
  }
  return toRgba(decoded);
}

/**
 * A JPEG decoder running libjpeg-turbo inside tfjs-node, for `@gradcam/format`'s
 * `decodeImage(bytes, { jpegDecoder })` and `loadImg`: several times faster than jpeg-js, and
 * with Pillow's settings (accurate integer IDCT, fancy upsampling), so the pixels equal what
 * Pillow and Keras' load_img see. Undefined unless 'tensorflow' is the active backend (tfjs-node
 * runs its image ops only there).
 */
export async function tensorflowJpegDecoder(): Promise<((bytes: Uint8Array) => RgbaImage) | undefined> {
  if (tf.getBackend() !== 'tensorflow') return undefined;
  const tfn: TfjsNode = await import('@tensorflow/tfjs-node');
  // channels 3: TensorFlow's DecodeJpeg has no RGBA output; 'INTEGER_ACCURATE' is libjpeg's
  // JDCT_ISLOW, Pillow's default (TensorFlow's own default is the faster, coarser IFAST).
  return (bytes) => decodeWith('libjpeg-turbo', () => tfn.node.decodeJpeg(bytes, 3, 1, true, false, 1, 'INTEGER_ACCURATE'));
}

/**
 * A PNG decoder running libpng inside tfjs-node, for `decodeImage(bytes, { pngDecoder })`: every
 * colour type and bit depth as RGBA (16-bit samples keep their high byte, low depths scale to
 * 0…255, a tRNS colour key gives alpha 0 and keeps the colour — Pillow's pixels, the same as the
 * pure-JavaScript path), in C: about twice as fast as pngjs, ten times on 16-bit files. Undefined
 * unless 'tensorflow' is the active backend.
 */
export async function tensorflowPngDecoder(): Promise<((bytes: Uint8Array) => RgbaImage) | undefined> {
  if (tf.getBackend() !== 'tensorflow') return undefined;
  const tfn: TfjsNode = await import('@tensorflow/tfjs-node');
  // RGB for files without alpha: asked for RGBA, TensorFlow fills the alpha of 1-, 2- and 4-bit
  // images with 2^depth − 1 (1, 3, 15) instead of 255.
  return (bytes) => decodeWith('libpng', () => tfn.node.decodePng(bytes, pngHasAlpha(bytes) ? 4 : 3));
}

/** True when a PNG has an alpha channel (colour types 4 and 6) or a tRNS chunk before its pixels. */
function pngHasAlpha(bytes: Uint8Array): boolean {
  if (bytes.length < 33 || (bytes[25] & 4) !== 0) return true;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let p = 8; p + 8 <= bytes.length; p += 12 + view.getUint32(p)) {
    const type = String.fromCharCode(bytes[p + 4], bytes[p + 5], bytes[p + 6], bytes[p + 7]);
    if (type === 'tRNS') return true;
    if (type === 'IDAT' || type === 'IEND') return false;
  }
  return false;
}

/**
 * Decode options for `@gradcam/format` that use tfjs-node's libjpeg-turbo and libpng (see
 * tensorflowJpegDecoder and tensorflowPngDecoder); empty unless 'tensorflow' is active.
 */
export async function tensorflowDecodeOptions(): Promise<{
  jpegDecoder?: (bytes: Uint8Array) => RgbaImage;
  pngDecoder?: (bytes: Uint8Array) => RgbaImage;
}> {
  const [jpegDecoder, pngDecoder] = await Promise.all([tensorflowJpegDecoder(), tensorflowPngDecoder()]);
  return { ...(jpegDecoder ? { jpegDecoder } : {}), ...(pngDecoder ? { pngDecoder } : {}) };
}
