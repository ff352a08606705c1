import type { GraphActivation, GraphNode, GraphOp, InferenceGraph } from '@gradcam/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import { runFusedKernel } from './tfjs-internals.js';

/** Activations tfjs' fused ops apply in the same kernel as the convolution or matMul. */
const FUSED: ReadonlySet<GraphActivation> = new Set(['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu']);
type FusedActivation = 'linear' | 'relu' | 'relu6' | 'elu' | 'sigmoid' | 'leakyrelu';

/** The activation alone (what fused ops do after their bias). */
export function activate(x: tf.Tensor, activation: GraphActivation, alpha = 0.3): tf.Tensor {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'relu6':
      return tf.relu6(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'elu':
      return tf.elu(x);
    case 'leakyrelu':
      return tf.leakyRelu(x, alpha);
    case 'softmax':
      return tf.softmax(x);
  }
}

/**
 * dLoss/dx of an activation from its output y and dLoss/dy, computed from y alone (TensorFlow's
 * ReluGrad, Relu6Grad, SigmoidGrad, TanhGrad and EluGrad work the same way).
 */
export function activationGradient(activation: GraphActivation, dy: tf.Tensor, y: tf.Tensor, alpha = 0.3): tf.Tensor {
  switch (activation) {
    case 'linear':
      return dy;
    case 'relu':
      return tf.mul(dy, tf.step(y));
    case 'relu6':
      // Relu6Grad: dy where 0 < y < 6.
      return tf.mul(dy, tf.step(tf.mul(y, tf.sub(6, y))));
    case 'sigmoid':
      return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case 'tanh':
      return tf.mul(dy, tf.sub(1, tf.square(y)));
    case 'elu':
      return tf.where(tf.greater(y, 0), dy, tf.mul(dy, tf.add(y, 1)));
    case 'leakyrelu':
      return tf.where(tf.greater(y, 0), dy, tf.mul(dy, alpha));
    case 'softmax':
      return tf.mul(tf.sub(dy, tf.sum(tf.mul(dy, y), -1, true)), y);
  }
}

type ConvOp = Extract<GraphOp, { kind: 'conv2d' | 'depthwiseConv2d' }>;
type DenseOp = Extract<GraphOp, { kind: 'dense' }>;
type PoolOp = Extract<GraphOp, { kind: 'pool' }>;

/**
 * A convolution with its bias and activation as one fused kernel, also inside a custom gradient's
 * forward pass (see runFusedKernel): what tf.fused.conv2d / depthwiseConv2d compute without a tape.
 */
function fusedConvKernel(op: ConvOp, x: tf.Tensor4D): tf.Tensor4D {
  return runFusedKernel(
    op.kind === 'conv2d' ? tf.FusedConv2D : tf.FusedDepthwiseConv2D,
    { x, filter: op.filter, ...(op.bias ? { bias: op.bias } : {}) },
    {
      strides: op.strides,
      pad: op.padding,
      dataFormat: 'NHWC',
      dilations: op.dilations,
      dimRoundingMode: undefined,
      activation: op.activation,
      leakyreluAlpha: op.alpha ?? 0.3,
    },
  ) as tf.Tensor4D;
}

/** Dense with its bias and activation as one fused kernel, also inside a custom gradient's forward pass. */
function fusedDenseKernel(op: DenseOp, x: tf.Tensor2D): tf.Tensor2D {
  // The kernel takes batches of matrices, [1, n, k] × [1, k, m], as tf.fused.matMul reshapes them.
  const [n, k] = x.shape;
  const m = op.kernel.shape[1];
  const a = tf.reshape(x, [1, n, k]);
  const b = tf.reshape(op.kernel, [1, k, m]);
  const y = runFusedKernel(
    tf._FusedMatMul,
    { a, b, ...(op.bias ? { bias: op.bias } : {}) },
    { transposeA: false, transposeB: false, activation: op.activation, leakyreluAlpha: op.alpha ?? 0.3 },
  );
  const out = tf.reshape(y, [n, m]) as tf.Tensor2D;
  tf.dispose([a, b, y]);
  return out;
}

/** A convolution with its bias and activation, in one fused kernel where tfjs has one. */
function convForward(op: ConvOp, x: tf.Tensor4D): tf.Tensor4D {
  const fused = FUSED.has(op.activation);
  const args = {
    x,
    filter: op.filter,
    strides: op.strides as [number, number],
    pad: op.padding,
    dilations: op.dilations as [number, number],
    bias: op.bias,
    activation: (fused ? op.activation : 'linear') as FusedActivation,
    leakyreluAlpha: op.alpha ?? 0.3,
  };
  const y = op.kind === 'conv2d' ? tf.fused.conv2d({ ...args, dataFormat: 'NHWC' }) : tf.fused.depthwiseConv2d({ ...args, dataFormat: 'NHWC' });
  return (fused ? y : activate(y, op.activation, op.alpha)) as tf.Tensor4D;
}

function denseForward(op: DenseOp, x: tf.Tensor2D): tf.Tensor2D {
  const fused = FUSED.has(op.activation);
  const y = tf.fused.matMul({
    a: x,
    b: op.kernel,
    bias: op.bias,
    activation: (fused ? op.activation : 'linear') as FusedActivation,
    leakyreluAlpha: op.alpha ?? 0.3,
  });
  return (fused ? y : activate(y, op.activation, op.alpha)) as tf.Tensor2D;
}

/** TF's 'same' padding of one axis: [before, after]. */
function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/**
 * AveragePooling2D 'same' averages only the cells inside the image: avgPool(zero-padded x,
 * 'valid') / avgPool(zero-padded ones, 'valid'). Its gradient is right on every backend, where
 * the cpu backend's own AvgPoolGrad divides by the full window at the borders (InceptionV3's
 * mixed5 maps moved by up to 0.2).
 */
function sameAvgPool(op: PoolOp, x: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw] = op.size;
  const [sh, sw] = op.strides;
  const pads: [number, number][] = [[0, 0], samePadding(x.shape[1], kh, sh), samePadding(x.shape[2], kw, sw), [0, 0]];
  const counts = tf.tidy(() => tf.avgPool(tf.pad(tf.ones([1, x.shape[1], x.shape[2], 1]), pads) as tf.Tensor4D, [kh, kw], [sh, sw], 'valid'));
  return tf.div(tf.avgPool(tf.pad(x, pads) as tf.Tensor4D, [kh, kw], [sh, sw], 'valid'), counts);
}

/** Ops both passes compute the same way (their tfjs gradients are fine). */
function commonForward(op: GraphOp, inputs: tf.Tensor[], differentiable: boolean): tf.Tensor {
  const [x] = inputs;
  switch (op.kind) {
    case 'input':
      throw new Error('the input node has no op');
    case 'activation':
      return activate(x, op.activation, op.alpha);
    case 'affine':
      // batchNorm with variance 1 and ε 0 is (x − mean) · scale + offset, in one kernel.
      return activate(tf.batchNorm(x, op.mean, op.ones, op.offset, op.scale, 0), op.activation, op.alpha);
    case 'add':
      return inputs.length === 2 ? tf.add(inputs[0], inputs[1]) : tf.addN(inputs);
    case 'multiply':
      return inputs.slice(1).reduce((a, b) => tf.mul(a, b), x);
    case 'concat':
      return tf.concat(inputs, op.axis);
    case 'pad': {
      const [rows, cols] = op.paddings;
      return tf.pad(x, [[0, 0], [...rows], [...cols], [0, 0]]);
    }
    case 'crop': {
      const [[top, bottom], [left, right]] = op.cropping;
      const [, h, w] = x.shape;
      return tf.slice(x, [0, top, left, 0], [-1, h - top - bottom, w - left - right, -1]);
    }
    case 'pool': {
      const x4 = x as tf.Tensor4D;
      if (op.pool === 'max') return tf.maxPool(x4, op.size as [number, number], op.strides as [number, number], op.padding);
      // A window over the whole input (a classifier head's global pooling) is a mean: its
      // gradient is one broadcast, where AvgPoolGrad costs wasm over a millisecond at 7×7×1280.
      if (op.padding === 'valid' && op.size[0] === x.shape[1] && op.size[1] === x.shape[2]) return tf.mean(x4, [1, 2], true);
      if (op.padding === 'same' && differentiable) return sameAvgPool(op, x4);
      return tf.avgPool(x4, op.size as [number, number], op.strides as [number, number], op.padding);
    }
    case 'globalPool':
      return op.pool === 'avg' ? tf.mean(x, [1, 2], op.keepDims) : tf.max(x, [1, 2], op.keepDims);
    case 'reshape':
      return tf.reshape(x, [-1, ...op.shape]);
    case 'identity':
      return tf.clone(x);
    case 'opaque':
      return op.apply(inputs);
    case 'conv2d':
    case 'depthwiseConv2d':
      return convForward(op, x as tf.Tensor4D);
    case 'dense':
      return denseForward(op, x as tf.Tensor2D);
  }
}

/** A node's output for an inference pass without a gradient tape: fused kernels throughout. */
export function forwardNode(node: GraphNode, inputs: tf.Tensor[]): tf.Tensor {
  return commonForward(node.op, inputs, false);
}

/**
 * Runs `forward(x)` with `backward(dy, y)` as its gradient with respect to x (y saved, nothing
 * else): weights are constants here, Grad-CAM never needs their gradients.
 */
function withInputGradient(x: tf.Tensor, forward: (x: tf.Tensor) => tf.Tensor, backward: (dy: tf.Tensor, y: tf.Tensor) => tf.Tensor): tf.Tensor {
  const f = (input: tf.Tensor, save: tf.GradSaveFunc) => {
    const value = forward(input);
    save([value]);
    return { value, gradFunc: (dy: tf.Tensor, [y]: tf.Tensor[]) => backward(dy, y) };
  };
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0])(x);
}

/** Kernels made for one gradient pass (flipped, dilated), by the kernel they come from. */
export interface PassConstants {
  readonly flipped: Map<tf.Tensor, tf.Tensor4D>;
  readonly dilated: Map<tf.Tensor, tf.Tensor4D>;
  /** Backward kernels made with the model (see backwardKernels), looked up first; never disposed by the pass. */
  readonly kept?: ReadonlyMap<tf.Tensor, tf.Tensor>;
}

/** Empty pass constants, with the model's own backward kernels when it has them. */
export const passConstants = (kept?: ReadonlyMap<tf.Tensor, tf.Tensor>): PassConstants => ({
  flipped: new Map(),
  dilated: new Map(),
  ...(kept ? { kept } : {}),
});

/** Frees what a pass made. */
export function disposePassConstants(constants: PassConstants): void {
  tf.dispose([...constants.flipped.values(), ...constants.dilated.values()]);
}

/**
 * The kernel a stride-1 'same' input gradient convolves with: spatially flipped, input and
 * output channels swapped (depthwise: flipped only); once per pass.
 */
function flippedKernel(kernel: tf.Tensor4D, depthwise: boolean, constants: PassConstants): tf.Tensor4D {
  const kept = constants.kept?.get(kernel);
  if (kept) return kept as tf.Tensor4D;
  let flipped = constants.flipped.get(kernel);
  if (!flipped) {
    flipped = tf.keep(tf.tidy(() => flip(kernel, depthwise)));
    constants.flipped.set(kernel, flipped);
  }
  return flipped;
}

function flip(kernel: tf.Tensor4D, depthwise: boolean): tf.Tensor4D {
  const swapped = depthwise ? kernel : tf.transpose(kernel, [0, 1, 3, 2]);
  return (kernel.shape[0] === 1 && kernel.shape[1] === 1 ? tf.clone(swapped) : tf.reverse(swapped, [0, 1])) as tf.Tensor4D;
}

/** Whether a convolution's input gradient convolves with its flipped kernel (see convInputGradient). */
function flipsKernel(op: ConvOp): boolean {
  if (op.dilations.some((d) => d !== 1)) return false; // a dilated kernel is made per pass (undilated)
  if (op.kind === 'depthwiseConv2d') return true;
  const [kh, kw] = op.filter.shape;
  return op.strides.every((s) => s === 1) && ((kh === 1 && kw === 1) || (op.padding === 'same' && kh % 2 === 1 && kw % 2 === 1));
}

/**
 * The kernels the backward pass through `graph` convolves with, made once with the model instead
 * of in every pass: each convolution's flipped kernel (see flippedKernel) and each dense layer's
 * transposed kernel, by the kernel they come from. Besides the transposes saved, XNNPACK (wasm)
 * keeps its packed operator for a kernel it has seen, where a kernel made per pass is packed
 * again each time. The caller owns (and disposes) the tensors; they are kept (tf.keep).
 */
export function backwardKernels(graph: InferenceGraph): Map<tf.Tensor, tf.Tensor> {
  const made = new Map<tf.Tensor, tf.Tensor>();
  for (const { op } of graph.nodes) {
    if ((op.kind === 'conv2d' || op.kind === 'depthwiseConv2d') && flipsKernel(op) && !made.has(op.filter)) {
      made.set(op.filter, tf.keep(tf.tidy(() => flip(op.filter, op.kind === 'depthwiseConv2d'))));
    } else if (op.kind === 'dense' && !made.has(op.kernel)) {
      made.set(op.kernel, tf.keep(tf.transpose(op.kernel)));
    }
  }
  return made;
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
function spreadGradient(dy: tf.Tensor4D, stride: readonly [number, number], rowsAfter: number, colsAfter: number): tf.Tensor4D {
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
 * dLoss/dx of a convolution (dyAct: the gradient after its activation). Forward kernels where
 * possible: a stride-1 'same' (or 1×1) convolution's input gradient is a convolution of dy
 * with the flipped, transposed kernel — XNNPACK on wasm instead of its naive backprop loop — and
 * a depthwise one a depthwise convolution of the spread dy (wasm has no
 * DepthwiseConv2dNativeBackpropInput of its own); other convolutions use conv2dTranspose.
 */
function convInputGradient(op: ConvOp, x: tf.Tensor4D, dyAct: tf.Tensor4D, constants: PassConstants): tf.Tensor4D {
  const [kh, kw] = op.filter.shape;
  if (op.kind === 'depthwiseConv2d') {
    const [, h, w] = x.shape;
    const rows = spreadAxis(h, kh, op.strides[0], op.padding, dyAct.shape[1]);
    const cols = spreadAxis(w, kw, op.strides[1], op.padding, dyAct.shape[2]);
    const pads: [[number, number], [number, number], [number, number], [number, number]] = [
      [0, 0],
      [rows.before, Math.max(rows.after, 0)],
      [cols.before, Math.max(cols.after, 0)],
      [0, 0],
    ];
    return tf.depthwiseConv2d(spreadGradient(dyAct, op.strides, rows.after, cols.after), flippedKernel(op.filter, true, constants), 1, pads);
  }
  if (flipsKernel(op)) return tf.conv2d(dyAct, flippedKernel(op.filter, false, constants), 1, 'same');
  return tf.conv2dTranspose(dyAct, op.filter, x.shape, op.strides as [number, number], op.padding);
}

/** Inserts d − 1 zeros between a kernel's taps along one spatial axis. */
function dilateAxis(t: tf.Tensor4D, axis: 0 | 1, d: number): tf.Tensor4D {
  if (d === 1) return t;
  const [kh, kw, a, b] = t.shape;
  const [outer, inner] = axis === 0 ? [kh, kw * a * b] : [kh * kw, a * b];
  const padded = tf.pad(tf.reshape(t, [outer, 1, inner]), [
    [0, 0],
    [0, d - 1],
    [0, 0],
  ]);
  const shape: [number, number, number, number] = axis === 0 ? [kh * d, kw, a, b] : [kh, kw * d, a, b];
  const size: [number, number, number, number] = axis === 0 ? [(kh - 1) * d + 1, kw, a, b] : [kh, (kw - 1) * d + 1, a, b];
  return tf.slice(tf.reshape(padded, shape) as tf.Tensor4D, [0, 0, 0, 0], size);
}

/**
 * A dilated convolution as the same convolution with zeros between its kernel taps
 * ([(k − 1)·d + 1, …], made once per pass): tfjs has no gradient for dilated convolutions.
 */
function undilated(op: ConvOp, constants: PassConstants): ConvOp {
  if (op.dilations.every((d) => d === 1)) return op;
  let filter = constants.dilated.get(op.filter);
  if (!filter) {
    filter = tf.keep(tf.tidy(() => dilateAxis(dilateAxis(op.filter, 0, op.dilations[0]), 1, op.dilations[1])));
    constants.dilated.set(op.filter, filter);
  }
  return { ...op, filter, dilations: [1, 1] };
}

/**
 * A node's output inside a gradient pass (under tf.grad): the same values as forwardNode, with
 * gradients that compute only dLoss/dInput — from the saved output, through forward kernels
 * where possible — instead of tfjs' fused-op gradients, which also compute the weights' and
 * bias' gradients (tens of seconds on cpu at inner layers) and have none for ReLU6.
 */
export function differentiableNode(node: GraphNode, inputs: tf.Tensor[], constants: PassConstants): tf.Tensor {
  const op = node.op;
  const [x] = inputs;
  switch (op.kind) {
    case 'conv2d':
    case 'depthwiseConv2d':
      return withInputGradient(
        x,
        (t) => (FUSED.has(op.activation) ? fusedConvKernel(op, t as tf.Tensor4D) : convForward(op, t as tf.Tensor4D)),
        (dy, y) => convInputGradient(undilated(op, constants), x as tf.Tensor4D, activationGradient(op.activation, dy, y, op.alpha) as tf.Tensor4D, constants),
      );
    case 'dense':
      return withInputGradient(
        x,
        (t) => (FUSED.has(op.activation) ? fusedDenseKernel(op, t as tf.Tensor2D) : denseForward(op, t as tf.Tensor2D)),
        (dy, y) => {
          const dyAct = activationGradient(op.activation, dy, y, op.alpha) as tf.Tensor2D;
          // With the kernel transposed once (backwardKernels): wasm's matMul with transposeB is a plain loop.
          const transposed = constants.kept?.get(op.kernel) as tf.Tensor2D | undefined;
          return transposed ? tf.matMul(dyAct, transposed) : tf.matMul(dyAct, op.kernel, false, true);
        },
      );
    case 'affine':
      return withInputGradient(
        x,
        (t) => commonForward(op, [t], true),
        (dy, y) => tf.mul(activationGradient(op.activation, dy, y, op.alpha), op.scale),
      );
    case 'activation':
      if (op.activation === 'linear') return tf.clone(x);
      return withInputGradient(
        x,
        (t) => activate(t, op.activation, op.alpha),
        (dy, y) => activationGradient(op.activation, dy, y, op.alpha),
      );
    default:
      return commonForward(op, inputs, true);
  }
}
