import * as tf from '@tensorflow/tfjs-core';

/** The Conv2D fields of a tfjs-layers layer that its forward pass uses. */
interface Conv2DLike {
  getClassName(): string;
  kernel: { read(): tf.Tensor };
  bias: { read(): tf.Tensor } | null;
  useBias: boolean;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor } | null;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor | tf.Tensor[];
}

/** True for a Conv2D layer whose forward pass unfusedConv2DCall reproduces exactly. */
export function isPlainConv2D(layer: unknown): layer is Conv2DLike {
  const l = layer as Conv2DLike;
  return l.getClassName?.() === 'Conv2D' && l.dataFormat === 'channelsLast' && (l.padding === 'same' || l.padding === 'valid') && l.kernel !== undefined;
}

/**
 * A Conv2D forward pass from unfused ops (conv2d, add, activation). tfjs-layers always runs
 * Conv2D as tf.fused.conv2d, whose gradient also computes the kernel and bias gradients —
 * Grad-CAM needs neither, and on the cpu backend they make an inner-layer backward pass take
 * tens of seconds instead of one or two. The unfused ops' gradients are computed only for
 * inputs on the path to the explained layer.
 */
export function unfusedConv2DCall(layer: Conv2DLike): Conv2DLike['call'] {
  return (inputs) => {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    let y: tf.Tensor = tf.conv2d(
      x,
      layer.kernel.read() as tf.Tensor4D,
      layer.strides as [number, number],
      layer.padding as 'same' | 'valid',
      'NHWC',
      layer.dilationRate as [number, number],
    );
    if (layer.useBias && layer.bias) y = tf.add(y, layer.bias.read());
    return layer.activation ? layer.activation.apply(y) : y;
  };
}
