import type { RgbaImage } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';

type TfjsNode = typeof import('@tensorflow/tfjs-node');

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
  return (bytes) => {
    // channels 3: TensorFlow's DecodeJpeg has no RGBA output; 'INTEGER_ACCURATE' is libjpeg's
    // JDCT_ISLOW, Pillow's default (TensorFlow's own default is the faster, coarser IFAST).
    let decoded: tf.Tensor3D;
    try {
      decoded = tfn.node.decodeJpeg(bytes, 3, 1, true, false, 1, 'INTEGER_ACCURATE');
    } catch (error) {
      // TensorFlow's status text ("Invalid TF_Status: 3\nMessage: jpeg::Uncompress failed. …"):
      // keep the message part.
      const message = String((error as Error)?.message ?? error);
      throw new Error(`libjpeg-turbo: ${message.replace(/^[\s\S]*?Message:\s*/, '').trim()}`, { cause: error });
    }
    const [height, width] = decoded.shape;
    const rgb = decoded.dataSync();
    decoded.dispose();
    const data = new Uint8ClampedArray(width * height * 4);
    for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
      data[j] = rgb[i];
      data[j + 1] = rgb[i + 1];
      data[j + 2] = rgb[i + 2];
      data[j + 3] = 255;
    }
    return { width, height, data };
  };
}
