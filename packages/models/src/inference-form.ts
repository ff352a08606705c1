import type { GraphActivation, GraphNode, GraphOp, InferenceGraph } from '@gradcam/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { type LayerCall, type LayerLike, layerCalls } from './layer-calls.js';

type Variable = { read(): tf.Tensor } | null | undefined;
const read = (v: Variable): tf.Tensor | undefined => v?.read();

/** tfjs-layers activation names that map to a GraphActivation ('hardSigmoid', 'swish'… do not). */
const ACTIVATIONS: Record<string, GraphActivation> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  elu: 'elu',
  softmax: 'softmax',
};

/** The activation a layer applies after its main op: a GraphActivation, or the layer's own object. */
function activationOf(layer: LayerLike): { activation: GraphActivation } | { opaque: { apply(x: tf.Tensor): tf.Tensor } } {
  const act = layer.activation as { getClassName(): string; apply(x: tf.Tensor): tf.Tensor } | null | undefined;
  if (!act) return { activation: 'linear' };
  const name = ACTIVATIONS[act.getClassName()];
  return name ? { activation: name } : { opaque: act };
}

const pair = (v: unknown): [number, number] => (Array.isArray(v) ? [v[0], v[1] ?? v[0]] : [v as number, v as number]);
const channelsLast = (layer: LayerLike) => layer.dataFormat === undefined || layer.dataFormat === 'channelsLast';
const isPadding = (p: unknown): p is 'same' | 'valid' => p === 'same' || p === 'valid';

/** Weights of a convolution or dense call, and what kind of node it becomes. */
interface Linear {
  kind: 'conv2d' | 'depthwiseConv2d' | 'dense';
  weight: tf.Tensor;
  bias?: tf.Tensor;
  /** Spatial settings (not for dense). */
  strides: [number, number];
  padding: 'same' | 'valid';
  dilations: [number, number];
  /** SeparableConv2D: the depthwise convolution before this (pointwise, 1×1) one, its own node. */
  depthwise?: { filter: tf.Tensor4D; strides: [number, number]; padding: 'same' | 'valid'; dilations: [number, number] };
}

/** A Conv2D, DepthwiseConv2D (multiplier 1) or Dense call the graph has an op for; undefined otherwise. */
function linearOf(layer: LayerLike, inputRank: number): Linear | undefined {
  const cls = layer.getClassName();
  const bias = layer.useBias ? read(layer.bias as Variable) : undefined;
  if (cls === 'Dense') {
    const kernel = read(layer.kernel as Variable);
    return kernel && inputRank === 2 ? { kind: 'dense', weight: kernel, bias, strides: [1, 1], padding: 'valid', dilations: [1, 1] } : undefined;
  }
  if (!channelsLast(layer) || !isPadding(layer.padding)) return undefined;
  const spatial = { strides: pair(layer.strides), padding: layer.padding, dilations: pair(layer.dilationRate ?? 1) };
  if (cls === 'Conv2D') {
    const kernel = read(layer.kernel as Variable);
    return kernel ? { kind: 'conv2d', weight: kernel, bias, ...spatial } : undefined;
  }
  if (cls === 'DepthwiseConv2D') {
    const kernel = read(layer.depthwiseKernel as Variable);
    return kernel && kernel.shape[3] === 1 ? { kind: 'depthwiseConv2d', weight: kernel, bias, ...spatial } : undefined;
  }
  if (cls === 'SeparableConv2D') {
    const depthwise = read(layer.depthwiseKernel as Variable) as tf.Tensor4D | undefined;
    const pointwise = read(layer.pointwiseKernel as Variable);
    if (!depthwise || !pointwise || depthwise.shape[3] !== 1) return undefined;
    return { kind: 'conv2d', weight: pointwise, bias, strides: [1, 1], padding: 'valid', dilations: [1, 1], depthwise: { filter: depthwise, ...spatial } };
  }
  return undefined;
}

/** A channels-last BatchNormalization's inference constants, in float64: y = (x − mean) · scale + offset. */
interface BatchNormConstants {
  mean: Float64Array;
  scale: Float64Array;
  offset: Float64Array;
}

function isChannelsLastBatchNorm(layer: LayerLike, rank: number): boolean {
  return layer.getClassName() === 'BatchNormalization' && (layer.axis === -1 || layer.axis === rank - 1) && layer.movingMean !== undefined;
}

function batchNormConstants(layer: LayerLike): BatchNormConstants {
  const values = (v: Variable) => {
    const t = read(v);
    return t ? Float64Array.from(t.dataSync() as Float32Array) : undefined;
  };
  const mean = values(layer.movingMean as Variable) as Float64Array;
  const variance = values(layer.movingVariance as Variable) as Float64Array;
  const gamma = layer.scale ? values(layer.gamma as Variable) : undefined;
  const beta = layer.center ? values(layer.beta as Variable) : undefined;
  const epsilon = layer.epsilon as number;
  const scale = variance.map((v, c) => (gamma ? gamma[c] : 1) / Math.sqrt(v + epsilon));
  return { mean, scale, offset: beta ?? new Float64Array(mean.length) };
}

/**
 * The batch norm folded into the weights, in float64, rounded once to float32: W'[…, c] = W[…, c]
 * · s_c and b'_c = (b_c − mean_c) · s_c + offset_c, where c is the output channel (a depthwise
 * kernel's input channel).
 */
function foldBatchNorm(linear: Linear, bn: BatchNormConstants): { weight: tf.Tensor; bias: tf.Tensor1D } {
  const w = linear.weight.dataSync() as Float32Array;
  const channels = bn.scale.length;
  // Depthwise [kh, kw, c, 1] and conv [kh, kw, in, c] / dense [in, c]: the channel is the fastest
  // axis in both layouts (the depthwise kernel's last axis has size 1).
  const folded = new Float32Array(w.length);
  for (let i = 0; i < w.length; i++) folded[i] = w[i] * bn.scale[i % channels];
  const b = linear.bias?.dataSync() as Float32Array | undefined;
  const bias = Float32Array.from(bn.scale, (s, c) => ((b ? b[c] : 0) - bn.mean[c]) * s + bn.offset[c]);
  return { weight: tf.tensor(folded, linear.weight.shape), bias: tf.tensor1d(bias) };
}

/** The groups of layer calls that become one node each, and the calls nothing may fuse away. */
interface Group {
  /** The main call (first in `calls`), then a folded batch norm and a fused activation, in order. */
  calls: LayerCall[];
  linear?: Linear;
  batchNorm?: LayerCall;
  activation?: { activation: GraphActivation; alpha?: number };
}

/** A standalone activation layer as a GraphActivation, or undefined. */
function standaloneActivation(layer: LayerLike): { activation: GraphActivation; alpha?: number } | undefined {
  switch (layer.getClassName()) {
    case 'ReLU': {
      const max = layer.maxValue as number | null | undefined;
      if (max === null || max === undefined) return { activation: 'relu' };
      return max === 6 ? { activation: 'relu6' } : undefined;
    }
    case 'Activation': {
      const a = activationOf(layer);
      return 'activation' in a ? { activation: a.activation } : undefined;
    }
    case 'LeakyReLU':
      return { activation: 'leakyrelu', alpha: layer.alpha as number };
    case 'ELU':
      return layer.alpha === 1 || layer.alpha === undefined ? { activation: 'elu' } : undefined;
    case 'Softmax':
      return layer.axis === -1 || layer.axis === undefined ? { activation: 'softmax' } : undefined;
    default:
      return undefined;
  }
}

/** Tensors the form made (folded weights), by the layers they come from; shared between forms of one model. */
export type FoldCache = Map<string, tf.Tensor[]>;

/** Options of buildInferenceForm. */
export interface InferenceFormOptions {
  /** Layer path whose output must be a node's output, exactly (the explained layer). */
  readonly keep?: string;
  /** false: one node per layer, nothing folded or fused (the model as tfjs-layers runs it). Default true. */
  readonly fuse?: boolean;
  /** Graph id (stable for a model, its weights' version and `keep`). */
  readonly id: string;
  /** Tensors the form makes (folded weights, batch-norm constants) by what they come from, reused. */
  readonly cache: FoldCache;
  /** Store new tensors in `cache` (true), or in `scratch` for the caller to dispose after one pass. */
  readonly persist: boolean;
  readonly scratch: tf.Tensor[];
}

/**
 * A LayersModel's inference form: each convolution or dense layer with the batch norm after it
 * folded into its weights, its bias and the activation after it fused into one node; other
 * layers one node each, layers without an op of their own as opaque nodes. `keep` stays exactly
 * the explained layer's output: nothing after it fuses into its node, and a convolution that is
 * kept is not folded with its batch norm.
 */
export function buildInferenceForm(model: LayersModel, options: InferenceFormOptions): InferenceGraph {
  const { calls, input, output, containers } = layerCalls(model);
  // The call whose output is the kept layer's: its own, or for a nested model its output call's.
  const keptCall = options.keep === undefined ? undefined : (containers.get(options.keep) ?? calls.find((c) => c.path === options.keep)?.name);
  const byName = new Map(calls.map((c) => [c.name, c]));
  const readers = new Map<string, number>();
  for (const c of calls) for (const i of c.inputs) readers.set(i, (readers.get(i) ?? 0) + 1);
  // A call's output can be fused away only if exactly one call reads it and it is not kept or the output.
  const fusable = (c: LayerCall) => readers.get(c.name) === 1 && c.name !== output && c.name !== keptCall;
  const soleReader = new Map<string, LayerCall>();
  for (const c of calls) for (const i of c.inputs) soleReader.set(i, c);

  const grouped = new Set<string>();
  const groups: Group[] = [];
  for (const call of calls) {
    if (grouped.has(call.name)) continue;
    const group: Group = { calls: [call] };
    groups.push(group);
    grouped.add(call.name);
    const inputRank = call.inputs.length === 1 ? (byName.get(call.inputs[0])?.outputShape.length ?? 0) : 0;
    if (options.fuse !== false && isChannelsLastBatchNorm(call.layer, inputRank) && fusable(call)) {
      // A batch norm that stays on its own (after an explained convolution): its activation fuses into it.
      const act = soleReader.get(call.name);
      const standalone = act ? standaloneActivation(act.layer) : undefined;
      if (act && standalone && standalone.activation !== 'softmax') {
        group.activation = standalone;
        group.calls.push(act);
        grouped.add(act.name);
      }
      continue;
    }
    const linear = call.inputs.length === 1 ? linearOf(call.layer, inputRank) : undefined;
    if (!linear) continue;
    group.linear = linear;
    const own = activationOf(call.layer);
    if (options.fuse === false) {
      if ('activation' in own && own.activation !== 'softmax') group.activation = { activation: own.activation };
      continue;
    }
    if (!('activation' in own) || own.activation !== 'linear') {
      // An activation of the layer's own: fused unless it is a softmax or has no graph op.
      if ('activation' in own && own.activation !== 'softmax') group.activation = { activation: own.activation };
      continue;
    }
    let last = call;
    const next = () => (fusable(last) ? soleReader.get(last.name) : undefined);
    const bn = next();
    if (bn && isChannelsLastBatchNorm(bn.layer, call.outputShape.length)) {
      group.batchNorm = bn;
      group.calls.push(bn);
      grouped.add(bn.name);
      last = bn;
    }
    const act = next();
    const standalone = act ? standaloneActivation(act.layer) : undefined;
    if (act && standalone && standalone.activation !== 'softmax') {
      group.activation = standalone;
      group.calls.push(act);
      grouped.add(act.name);
    }
  }

  const cached = (key: string, make: () => tf.Tensor[]): tf.Tensor[] => {
    let tensors = options.cache.get(key);
    if (!tensors) {
      // Kept: a form may be built inside someone's tf.tidy (a predict after new weights).
      tensors = make().map((t) => tf.keep(t));
      if (options.persist) options.cache.set(key, tensors);
      else options.scratch.push(...tensors);
    }
    return tensors;
  };
  if (options.persist) {
    // Every batch norm's standalone constants too: a form for an explained convolution leaves
    // the batch norm after it unfolded, and finds them here instead of making tensors per pass.
    for (const call of calls) {
      const inputShape = call.inputs.length === 1 ? byName.get(call.inputs[0])?.outputShape : undefined;
      if (inputShape && isChannelsLastBatchNorm(call.layer, inputShape.length)) cached(`affine:${call.name}`, () => affineConstants(call.layer));
    }
  }
  const nodes: GraphNode[] = [];
  const rename = new Map<string, string>();
  const node = (name: string, op: GraphOp, inputs: readonly string[], layers: string[], shape: readonly (number | null)[]) => {
    nodes.push({ name, op, inputs: inputs.map((i) => rename.get(i) ?? i), layers, outputShape: shape });
  };
  let logits: string | undefined;
  for (const group of groups) {
    const last = group.calls[group.calls.length - 1];
    const head = group.calls[0];
    for (const c of group.calls) rename.set(c.name, last.name);
    const layers = group.calls.map((c) => c.path);
    if (group.linear) {
      const { kind, strides, padding, dilations } = group.linear;
      let weight = group.linear.weight;
      let bias = group.linear.bias as tf.Tensor1D | undefined;
      if (group.batchNorm) {
        const bn = group.batchNorm;
        [weight, bias] = cached(`fold:${head.name}+${bn.name}`, () => {
          const folded = foldBatchNorm(group.linear as Linear, batchNormConstants(bn.layer));
          return [folded.weight, folded.bias];
        }) as [tf.Tensor, tf.Tensor1D];
      }
      const activation = group.activation?.activation ?? 'linear';
      const alpha = group.activation?.alpha;
      const linearOp = (act: GraphActivation, a?: number): GraphOp =>
        kind === 'dense'
          ? { kind, kernel: weight as tf.Tensor2D, bias, activation: act, alpha: a }
          : { kind, filter: weight as tf.Tensor4D, bias, strides, padding, dilations, activation: act, alpha: a };
      let inputs = head.inputs;
      const separable = group.linear.depthwise;
      if (separable) {
        // SeparableConv2D: its depthwise half is a node of its own (folding touches the pointwise half).
        const name = `${head.name}:depthwise`;
        const channels = separable.filter.shape[2];
        node(name, { kind: 'depthwiseConv2d', ...separable, activation: 'linear' }, head.inputs, [], [...last.outputShape.slice(0, -1), channels]);
        inputs = [name];
      }
      const own = activationOf(head.layer);
      if ('activation' in own && own.activation !== 'softmax') {
        node(last.name, linearOp(activation, alpha), inputs, layers, last.outputShape);
      } else {
        // A softmax (the final one: logits) or an activation without a graph op: a node of its own.
        const linearName = `${head.name}:linear`;
        node(linearName, linearOp('linear'), inputs, layers, last.outputShape);
        const op: GraphOp =
          'activation' in own
            ? { kind: 'activation', activation: own.activation }
            : { kind: 'opaque', className: `${head.layer.getClassName()} activation`, apply: ([x]) => own.opaque.apply(x) };
        node(head.name, op, [linearName], [], last.outputShape);
        if (head.name === output && 'activation' in own) logits = linearName;
      }
      continue;
    }
    const simple = simpleOp(head, byName, cached);
    const op = simple.kind === 'affine' && group.activation ? { ...simple, ...group.activation } : simple;
    node(last.name, op, head.inputs, layers, last.outputShape);
    if (head.name === output && op.kind === 'activation' && op.activation === 'softmax') logits = rename.get(head.inputs[0]) ?? head.inputs[0];
  }
  return {
    specificationVersion: 'v1',
    name: model.name,
    id: options.id,
    nodes,
    input: rename.get(input) ?? input,
    output: rename.get(output) ?? output,
    ...(logits ? { logits } : {}),
    ...(keptCall ? { explained: rename.get(keptCall) ?? keptCall } : {}),
  };
}

/** A standalone batch norm's mean, scale, offset (and ones, see the affine op) as float32 tensors. */
function affineConstants(layer: LayerLike): tf.Tensor[] {
  const bn = batchNormConstants(layer);
  return [bn.mean, bn.scale, bn.offset, bn.scale.map(() => 1)].map((v) => tf.tensor1d(Float32Array.from(v)));
}

/** The op of a call that is not a convolution or dense layer (or one the graph cannot fold). */
function simpleOp(call: LayerCall, byName: Map<string, LayerCall>, cached: (key: string, make: () => tf.Tensor[]) => tf.Tensor[]): GraphOp {
  const layer = call.layer;
  const inputShape = call.inputs.length === 1 ? byName.get(call.inputs[0])?.outputShape : undefined;
  const rank4 = inputShape?.length === 4 && channelsLast(layer);
  const standalone = standaloneActivation(layer);
  if (standalone) return { kind: 'activation', ...standalone };
  switch (layer.getClassName()) {
    case 'InputLayer':
      return { kind: 'input' };
    case 'Dropout':
    case 'SpatialDropout1D':
    case 'SpatialDropout2D':
    case 'GaussianNoise':
    case 'GaussianDropout':
    case 'AlphaDropout':
      return { kind: 'identity' };
    case 'Add':
      return { kind: 'add' };
    case 'Multiply':
      return { kind: 'multiply' };
    case 'Concatenate': {
      const rank = call.outputShape.length;
      const axis = layer.axis as number;
      return { kind: 'concat', axis: axis < 0 ? rank + axis : axis };
    }
    case 'BatchNormalization':
      if (inputShape && isChannelsLastBatchNorm(layer, inputShape.length)) {
        const [mean, scale, offset, ones] = cached(`affine:${call.name}`, () => affineConstants(layer)) as tf.Tensor1D[];
        return { kind: 'affine', mean, scale, offset, ones, activation: 'linear' };
      }
      break;
    case 'ZeroPadding2D':
      if (rank4) return { kind: 'pad', paddings: layer.padding as [[number, number], [number, number]] };
      break;
    case 'Cropping2D':
      if (rank4) return { kind: 'crop', cropping: layer.cropping as [[number, number], [number, number]] };
      break;
    case 'MaxPooling2D':
    case 'AveragePooling2D':
      if (rank4 && isPadding(layer.padding)) {
        const size = pair(layer.poolSize);
        return {
          kind: 'pool',
          pool: layer.getClassName() === 'MaxPooling2D' ? 'max' : 'avg',
          size,
          strides: layer.strides ? pair(layer.strides) : size,
          padding: layer.padding,
        };
      }
      break;
    case 'GlobalAveragePooling2D':
    case 'GlobalMaxPooling2D':
      if (rank4) return { kind: 'globalPool', pool: layer.getClassName() === 'GlobalMaxPooling2D' ? 'max' : 'avg', keepDims: false };
      break;
    case 'Flatten':
      if (inputShape?.every((d, i) => i === 0 || d !== null) && (inputShape.length <= 2 || channelsLast(layer))) {
        return { kind: 'reshape', shape: call.outputShape.slice(1) as number[] };
      }
      break;
    case 'Reshape':
      if (call.outputShape.slice(1).every((d) => d !== null)) return { kind: 'reshape', shape: call.outputShape.slice(1) as number[] };
      break;
  }
  return {
    kind: 'opaque',
    className: layer.getClassName(),
    apply: (inputs) => {
      const out = layer.apply(inputs.length === 1 ? inputs[0] : inputs, { training: false });
      return Array.isArray(out) ? out[call.outputIndex] : out;
    },
  };
}
