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

type Call = (inputs: tf.Tensor | tf.Tensor[], kwargs: unknown) => tf.Tensor | tf.Tensor[];

/** The BatchNormalization fields of a tfjs-layers layer that its inference pass uses. */
interface BatchNormLike {
  getClassName(): string;
  axis: number;
  epsilon: number;
  scale: boolean;
  center: boolean;
  gamma: { read(): tf.Tensor } | null;
  beta: { read(): tf.Tensor } | null;
  movingMean: { read(): tf.Tensor };
  movingVariance: { read(): tf.Tensor };
}

function isPlainConv2D(layer: unknown): layer is Conv2DLike {
  const l = layer as Conv2DLike;
  return l.getClassName?.() === 'Conv2D' && l.dataFormat === 'channelsLast' && (l.padding === 'same' || l.padding === 'valid') && l.kernel !== undefined;
}

/** The AveragePooling2D fields of a tfjs-layers layer. */
interface AvgPoolLike {
  getClassName(): string;
  poolSize: number[];
  strides: number[];
  padding: string;
  dataFormat: string;
}

function isSameAvgPool(layer: unknown): layer is AvgPoolLike {
  const l = layer as AvgPoolLike;
  return l.getClassName?.() === 'AveragePooling2D' && l.padding === 'same' && l.dataFormat === 'channelsLast';
}

function isPartialBatchNorm(layer: unknown): layer is BatchNormLike {
  const l = layer as BatchNormLike;
  return l.getClassName?.() === 'BatchNormalization' && (l.axis === -1 || l.axis === 3) && (!l.scale || !l.center) && l.movingMean !== undefined;
}

/**
 * A replacement for a layer's `call` during a Grad-CAM pass, where tfjs-layers' own is slow or
 * wrong to differentiate; undefined where the layer's own is fine. Inference only.
 */
export function differentiableCall(layer: unknown): Call | undefined {
  if (isPlainConv2D(layer)) return unfusedConv2DCall(layer);
  if (isPartialBatchNorm(layer)) return batchNormInferenceCall(layer);
  if (isSameAvgPool(layer)) return sameAvgPoolCall(layer);
  return undefined;
}

/** TF's 'same' padding of one axis: [before, after]. */
function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * AveragePooling2D with 'same' padding, which averages only the cells inside the image, written
 * as avgPool(zero-padded x, 'valid') / avgPool(zero-padded ones, 'valid'). The cpu backend's
 * AvgPoolGrad divides by the full window at the borders instead, which moved InceptionV3 maps at
 * mixed5 by up to 0.2; the valid-padding gradient is right on every backend.
 */
function sameAvgPoolCall(layer: AvgPoolLike): Call {
  return (inputs) => {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    const [kh, kw] = layer.poolSize;
    const [sh, sw] = layer.strides;
    const pads: [number, number][] = [[0, 0], samePadding(x.shape[1], kh, sh), samePadding(x.shape[2], kw, sw), [0, 0]];
    const counts = tf.tidy(() => tf.avgPool(tf.pad(tf.ones([1, x.shape[1], x.shape[2], 1]), pads) as tf.Tensor4D, [kh, kw], [sh, sw], 'valid'));
    return tf.div(tf.avgPool(tf.pad(x, pads) as tf.Tensor4D, [kh, kw], [sh, sw], 'valid'), counts);
  };
}

/**
 * BatchNormalization without a scale or an offset (InceptionV3 has `scale: false`), written as
 * (x − mean) · rsqrt(variance + ε) · γ + β with plain ops. tf.batchNorm saves its missing γ for
 * the backward pass and then fails ("Cannot read properties of undefined") on every backend.
 */
function batchNormInferenceCall(layer: BatchNormLike): Call {
  return (inputs) => {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    let y = tf.mul(tf.sub(x, layer.movingMean.read()), tf.rsqrt(tf.add(layer.movingVariance.read(), layer.epsilon)));
    if (layer.scale && layer.gamma) y = tf.mul(y, layer.gamma.read());
    if (layer.center && layer.beta) y = tf.add(y, layer.beta.read());
    return y;
  };
}

/**
 * A Conv2D forward pass from unfused ops (conv2d, add, activation). tfjs-layers always runs
 * Conv2D as tf.fused.conv2d, whose gradient also computes the kernel and bias gradients —
 * Grad-CAM needs neither, and on the cpu backend they make an inner-layer backward pass take
 * tens of seconds instead of one or two. The unfused ops' gradients are computed only for
 * inputs on the path to the explained layer.
 */
function unfusedConv2DCall(layer: Conv2DLike): Call {
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
