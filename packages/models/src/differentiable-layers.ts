import * as tf from '@tensorflow/tfjs-core';

/** The fields tfjs-layers' convolution layers (Conv2D, DepthwiseConv2D) share. */
interface ConvLike {
  getClassName(): string;
  bias: { read(): tf.Tensor } | null;
  useBias: boolean;
  strides: number[];
  padding: string;
  dataFormat: string;
  dilationRate: number[];
  activation: { apply(x: tf.Tensor): tf.Tensor } | null;
}

/** The Conv2D fields of a tfjs-layers layer that its forward pass uses. */
interface Conv2DLike extends ConvLike {
  kernel: { read(): tf.Tensor };
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

function isValidAvgPool(layer: unknown): layer is AvgPoolLike {
  const l = layer as AvgPoolLike;
  return l.getClassName?.() === 'AveragePooling2D' && l.padding === 'valid' && l.dataFormat === 'channelsLast';
}

function isChannelsLastBatchNorm(layer: unknown): layer is BatchNormLike {
  const l = layer as BatchNormLike;
  return l.getClassName?.() === 'BatchNormalization' && (l.axis === -1 || l.axis === 3) && l.movingMean !== undefined;
}

/**
 * A replacement for a layer's `call` during a Grad-CAM pass, where tfjs-layers' own is slow or
 * wrong to differentiate; undefined where the layer's own is fine. Inference only. Tensors it
 * makes to reuse across calls go into `owned`, for the caller to dispose after the pass.
 */
export function differentiableCall(layer: unknown, owned: tf.Tensor[]): Call | undefined {
  if (isPlainConv2D(layer)) return unfusedConv2DCall(layer, owned);
  if (isChannelsLastBatchNorm(layer)) return batchNormInferenceCall(layer, owned);
  if (isCappedRelu(layer)) return cappedReluCall(layer);
  if (isSameAvgPool(layer)) return sameAvgPoolCall(layer);
  if (isValidAvgPool(layer)) return validAvgPoolCall(layer);
  if (isPlainDepthwise(layer)) return depthwiseCall(layer, owned);
  return undefined;
}

/** TF's 'same' padding of one axis: [before, after]. */
function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * AveragePooling2D with 'valid' padding. A window that covers the whole input (a classifier
 * head's global pooling written as AveragePooling2D, as in the NSFWJS MobileNetV2) is a mean,
 * whose gradient is one broadcast; AvgPoolGrad over a 7×7×1280 map costs wasm more than a
 * millisecond, a tenth of the default layer's explain overhead.
 */
function validAvgPoolCall(layer: AvgPoolLike): Call {
  return (inputs) => {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    const [kh, kw] = layer.poolSize;
    if (kh === x.shape[1] && kw === x.shape[2]) return tf.mean(x, [1, 2], true);
    return tf.avgPool(x, [kh, kw], layer.strides as [number, number], 'valid');
  };
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
 * BatchNormalization at inference, (x − mean) · s + β with s = γ · rsqrt(variance + ε), and
 * dy · s as its input gradient: nothing saved for the backward pass, one multiplication in it.
 * tf.batchNorm's gradient tiles rsqrt(variance) to the full activation shape first (a third of
 * wasm's inner-layer backward time), and, without a scale or an offset (InceptionV3 has
 * `scale: false`), saves the missing γ and then fails ("Cannot read properties of undefined").
 * (The folded form x · s + (β − mean · s) moved wasm's inner-layer maps by up to 4e-3 against
 * TensorFlow; subtracting the mean first keeps every backend within 2e-6.)
 */
function batchNormInferenceCall(layer: BatchNormLike, owned: tf.Tensor[]): Call {
  const constants = lazyConstants(() => {
    let scale = tf.rsqrt(tf.add(layer.movingVariance.read(), layer.epsilon));
    if (layer.scale && layer.gamma) scale = tf.mul(scale, layer.gamma.read());
    return [scale];
  }, owned);
  return (inputs) => {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const [scale] = constants();
    return withInputGradient(
      x,
      (t) => {
        const y = tf.mul(tf.sub(t, layer.movingMean.read()), scale);
        return layer.center && layer.beta ? tf.add(y, layer.beta.read()) : y;
      },
      (dy) => tf.mul(dy, scale),
    );
  };
}

/** The ReLU layer fields its forward pass uses (ReLU6 is `maxValue: 6`). */
interface ReluLike {
  getClassName(): string;
  maxValue: number | null | undefined;
}

function isCappedRelu(layer: unknown): layer is ReluLike {
  const l = layer as ReluLike;
  return l.getClassName?.() === 'ReLU' && typeof l.maxValue === 'number' && l.maxValue > 0;
}

/**
 * A capped ReLU (ReLU6) as one clip whose gradient passes dy where 0 < y < max — TensorFlow's
 * Relu6Grad — computed as dy · step(y · (max − y)) from the saved output. tfjs-layers runs it as
 * relu then clipByValue, whose two gradients save the input twice and build the mask from four
 * comparisons and selections.
 */
function cappedReluCall(layer: ReluLike): Call {
  const max = layer.maxValue as number;
  const f = (input: tf.Tensor, save: tf.GradSaveFunc) => {
    const y = tf.clipByValue(input, 0, max);
    save([y]);
    return { value: y, gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(dy, tf.step(tf.mul(saved, tf.sub(max, saved)))) };
  };
  const capped = tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]);
  return (inputs) => capped(Array.isArray(inputs) ? inputs[0] : inputs);
}

/**
 * A call with the same values as tfjs-layers' own but less work, for an untaped inference pass
 * (the layers before the explained one); undefined where the layer's own is fine. tfjs-layers
 * runs a capped ReLU (ReLU6) as relu then clipByValue; clip(relu(x), 0, max) = clip(x, 0, max),
 * one pass over the activation instead of two.
 */
export function inferenceCall(layer: unknown): Call | undefined {
  if (!isCappedRelu(layer)) return undefined;
  const max = layer.maxValue as number;
  return (inputs) => tf.clipByValue(Array.isArray(inputs) ? inputs[0] : inputs, 0, max);
}

/**
 * Tensors made once per Grad-CAM pass, on first use, and kept in `owned`, which the caller
 * disposes when the pass ends.
 */
function lazyConstants(make: () => tf.Tensor[], owned: tf.Tensor[]): () => tf.Tensor[] {
  let values: tf.Tensor[] | undefined;
  return () => {
    if (!values) {
      values = tf.tidy(make);
      for (const v of values) owned.push(tf.keep(v));
    }
    return values;
  };
}

/**
 * Stride 1, no dilation, and 'same' padding with an odd kernel (or any 1×1): the input gradient
 * is then itself a stride-1 'same' convolution of dy with the spatially flipped kernel.
 */
function isStrideOneSame(kernel: tf.Tensor, strides: number[], padding: string, dilations: number[]): boolean {
  const [kh, kw] = kernel.shape;
  const unit = strides.every((s) => s === 1) && dilations.every((d) => d === 1);
  return unit && ((kh === 1 && kw === 1) || (padding === 'same' && kh % 2 === 1 && kw % 2 === 1));
}

/**
 * Runs `forward(x)` with `backward(dy)` as its gradient with respect to x. The kernels are
 * constants here: Grad-CAM never needs their gradients.
 */
function withInputGradient(x: tf.Tensor, forward: (x: tf.Tensor4D) => tf.Tensor, backward: (dy: tf.Tensor4D) => tf.Tensor): tf.Tensor {
  const f = (input: tf.Tensor) => ({ value: forward(input as tf.Tensor4D), gradFunc: (dy: tf.Tensor) => backward(dy as tf.Tensor4D) });
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0])(x);
}

/**
 * The kernel a stride-1 'same' input gradient convolves with: spatially flipped, input and
 * output channels swapped (depthwise: flipped only); made once per pass (see lazyConstants).
 */
function lazyFlippedKernel(kernel: () => tf.Tensor, depthwise: boolean, owned: tf.Tensor[]): () => tf.Tensor4D {
  const flipped = lazyConstants(() => {
    const k = kernel();
    const swapped = depthwise ? k : tf.transpose(k, [0, 1, 3, 2]);
    return [k.shape[0] === 1 && k.shape[1] === 1 ? swapped : tf.reverse(swapped, [0, 1])];
  }, owned);
  return () => flipped()[0] as tf.Tensor4D;
}

/**
 * A Conv2D forward pass from unfused ops (conv2d, add, activation). tfjs-layers always runs
 * Conv2D as tf.fused.conv2d, whose gradient also computes the kernel and bias gradients —
 * Grad-CAM needs neither, and on the cpu backend they make an inner-layer backward pass take
 * tens of seconds instead of one or two. For stride-1 'same' kernels (MobileNet's 1×1
 * expansions and projections) the input gradient is computed as a forward convolution with the
 * flipped, transposed kernel: the same numbers as Conv2DBackpropInput, but through the fast
 * forward kernels (XNNPACK on wasm) instead of wasm's naive backprop loop.
 */
function unfusedConv2DCall(layer: Conv2DLike, owned: tf.Tensor[]): Call {
  const flipped = lazyFlippedKernel(() => layer.kernel.read(), false, owned);
  return (inputs) => {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    const kernel = layer.kernel.read() as tf.Tensor4D;
    const strides = layer.strides as [number, number];
    const padding = layer.padding as 'same' | 'valid';
    const dilations = layer.dilationRate as [number, number];
    const conv = (t: tf.Tensor4D) => tf.conv2d(t, kernel, strides, padding, 'NHWC', dilations);
    const y = isStrideOneSame(kernel, strides, padding, dilations) ? withInputGradient(x, conv, (dy) => tf.conv2d(dy, flipped(), 1, 'same')) : conv(x);
    return biasAndActivation(layer, y);
  };
}

/** The DepthwiseConv2D fields of a tfjs-layers layer that its forward pass uses. */
interface DepthwiseLike extends ConvLike {
  depthwiseKernel: { read(): tf.Tensor };
}

/** A convolution layer's bias and activation, applied after its convolution `y`. */
function biasAndActivation(layer: ConvLike, y: tf.Tensor): tf.Tensor {
  const biased = layer.useBias && layer.bias ? tf.add(y, layer.bias.read()) : y;
  return layer.activation ? layer.activation.apply(biased) : biased;
}

function isPlainDepthwise(layer: unknown): layer is DepthwiseLike {
  const l = layer as DepthwiseLike;
  if (l.getClassName?.() !== 'DepthwiseConv2D' || l.dataFormat !== 'channelsLast' || l.depthwiseKernel === undefined) return false;
  const kernel = l.depthwiseKernel.read();
  return kernel.shape[3] === 1 && (l.padding === 'same' || l.padding === 'valid') && l.dilationRate.every((d) => d === 1);
}

/**
 * The input gradient of a depthwise convolution (multiplier 1, no dilation) along one spatial
 * axis, as the padding of a stride-1 depthwise convolution with the flipped kernel: over dy with
 * stride − 1 zeros after each value, then `before` zeros in front and `after` behind (a negative
 * `after` drops that many trailing zeros). x[i] receives dy[o]·w[j] where o·stride + j − padStart
 * = i; shifted by k − 1 − padStart, that is a correlation of the spread dy with the flipped kernel.
 */
function spreadAxis(size: number, kernel: number, stride: number, padding: string, outSize: number): { before: number; after: number } {
  const padStart = padding === 'same' ? samePadding(size, kernel, stride)[0] : 0;
  const before = kernel - 1 - padStart;
  return { before, after: size + kernel - 1 - before - stride * outSize };
}

/**
 * dy [n, oh, ow, c] spread for the input gradient: stride − 1 zeros after each row and column,
 * and the trailing zeros the correlation does not read cut (a negative `after`, see spreadAxis).
 */
function spreadGradient(dy: tf.Tensor4D, stride: [number, number], rowsAfter: number, colsAfter: number): tf.Tensor4D {
  const [n, oh, ow, c] = dy.shape;
  let t: tf.Tensor = dy;
  // Zeros after each row, then after each column, with rank-3 pads (webgl cannot compile rank 5).
  const spread = (u: tf.Tensor, rowsOf: number, inner: number, s: number, shape: number[]) =>
    tf.reshape(
      tf.pad(tf.reshape(u, [rowsOf, 1, inner]), [
        [0, 0],
        [0, s - 1],
        [0, 0],
      ]),
      shape,
    );
  if (stride[0] > 1) t = spread(t, n * oh, ow * c, stride[0], [n, oh * stride[0], ow, c]);
  if (stride[1] > 1) t = spread(t, n * oh * stride[0] * ow, c, stride[1], [n, oh * stride[0], ow * stride[1], c]);
  const [h, w] = [oh * stride[0], ow * stride[1]];
  // The real values are never cut, only trailing zeros.
  const keep = [h + Math.min(rowsAfter, 0), w + Math.min(colsAfter, 0)];
  if (keep[0] < h || keep[1] < w) t = tf.slice(t, [0, 0, 0, 0], [n, keep[0], keep[1], c]);
  return t as tf.Tensor4D;
}

/**
 * DepthwiseConv2D (channel multiplier 1, no dilation, any stride, 'same' or 'valid'), whose
 * input gradient is computed as a stride-1 depthwise convolution of dy — spread by the stride
 * (spreadGradient) and explicitly padded (spreadAxis; for stride 1 'same' with an odd kernel
 * that is 'same') — with the flipped kernel: a forward kernel every backend runs natively, where
 * DepthwiseConv2dNativeBackpropInput is missing on wasm (filled in by @gradcam/backend-wasm
 * through the cpu kernel: 4.5 ms for each of MobileNetV2's 56×56 stride-2 layers, a sixth of an
 * inner-layer explain).
 */
function depthwiseCall(layer: DepthwiseLike, owned: tf.Tensor[]): Call {
  const flipped = lazyFlippedKernel(() => layer.depthwiseKernel.read(), true, owned);
  return (inputs) => {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
    const kernel = layer.depthwiseKernel.read() as tf.Tensor4D;
    const strides = layer.strides as [number, number];
    const padding = layer.padding as 'same' | 'valid';
    const y = withInputGradient(
      x,
      (t) => tf.depthwiseConv2d(t, kernel, strides, padding),
      (dy) => {
        const [, h, w] = x.shape;
        const rows = spreadAxis(h, kernel.shape[0], strides[0], padding, dy.shape[1]);
        const cols = spreadAxis(w, kernel.shape[1], strides[1], padding, dy.shape[2]);
        const pads: [[number, number], [number, number], [number, number], [number, number]] = [
          [0, 0],
          [rows.before, Math.max(rows.after, 0)],
          [cols.before, Math.max(cols.after, 0)],
          [0, 0],
        ];
        return tf.depthwiseConv2d(spreadGradient(dy, strides, rows.after, cols.after), flipped(), 1, pads);
      },
    );
    return biasAndActivation(layer, y);
  };
}
