import { type GraphActivation, type GraphNode, type GraphOp, graphAncestors, type InferenceGraph, splitAtExplained } from '@gradcam/core/internals';
import type * as tf from '@tensorflow/tfjs-core';
import { attr, GraphDefBuilder } from './graph-def-builder.js';
import { type AttrValue, DT, type NodeDefValue, type ShapeProto } from './tf-protos.js';

/** A graph to run in a session: its nodes and its signature's inputs and outputs. */
export interface EmittedGraph {
  readonly nodes: NodeDefValue[];
  readonly inputs: Record<string, { name: string; dtype: number; shape: ShapeProto }>;
  readonly outputs: Record<string, { name: string; dtype: number; shape: ShapeProto }>;
}

/** Why a node cannot become TensorFlow ops, or undefined when it can. */
export function unsupportedNode(node: GraphNode, byName: ReadonlyMap<string, GraphNode>): string | undefined {
  const op = node.op;
  const shapeOf = (name: string) => byName.get(name)?.outputShape ?? [];
  switch (op.kind) {
    case 'opaque':
      return `layer class ${op.className} has no TensorFlow op here`;
    case 'multiply':
    case 'add':
      if (node.inputs.some((i) => shapeOf(i).join() !== node.outputShape.join())) return `${op.kind} with broadcasting at '${node.name}'`;
      return undefined;
    case 'concat':
      if (node.inputs.some((i) => shapeOf(i)[op.axis] === null)) return `a concatenation of unknown sizes at '${node.name}'`;
      return undefined;
    case 'crop':
    case 'reshape':
      if (node.outputShape.slice(1).some((d) => d === null)) return `${op.kind} to an unknown size at '${node.name}'`;
      return undefined;
    default:
      return undefined;
  }
}

/** A 4-D window's sizes or strides as TensorFlow's NHWC attr list [1, h, w, 1]. */
const spatial = (v: readonly number[]): AttrValue => attr.ints([1, v[0], v[1], 1]);

/** The attrs a convolution and its input gradient share (Conv2D, DepthwiseConv2dNative and their BackpropInput). */
function convAttrs(op: Extract<GraphOp, { kind: 'conv2d' | 'depthwiseConv2d' }>): Record<string, AttrValue> {
  return {
    strides: spatial(op.strides),
    padding: attr.s(op.padding.toUpperCase()),
    data_format: attr.s('NHWC'),
    dilations: spatial(op.dilations),
    explicit_paddings: attr.ints([]),
    ...(op.kind === 'conv2d' ? { use_cudnn_on_gpu: attr.b(true) } : {}),
  };
}

const ACTIVATION_OPS: Partial<Record<GraphActivation, string>> = {
  relu: 'Relu',
  relu6: 'Relu6',
  sigmoid: 'Sigmoid',
  tanh: 'Tanh',
  elu: 'Elu',
  softmax: 'Softmax',
};

/** Emits a graph's nodes as TensorFlow ops, forward and backward. */
class Emitter {
  readonly b = new GraphDefBuilder();
  readonly #weights = new Map<tf.Tensor, string>();
  readonly #shapes = new Map<string, string>();
  readonly #byName: Map<string, GraphNode>;

  constructor(graph: InferenceGraph) {
    this.#byName = new Map(graph.nodes.map((n) => [n.name, n]));
  }

  /** A weight as a Const, once per tensor. */
  weight(t: tf.Tensor, hint: string): string {
    let name = this.#weights.get(t);
    if (name === undefined) {
      name = this.b.constant(Float32Array.from(t.dataSync() as Float32Array), t.shape, hint);
      this.#weights.set(t, name);
    }
    return name;
  }

  /** Shape(x) as int32, once per tensor. */
  shape(x: string): string {
    let name = this.#shapes.get(x);
    if (name === undefined) {
      name = this.b.op('Shape', [x], { T: attr.float, out_type: attr.int32 }, `${x}/shape`);
      this.#shapes.set(x, name);
    }
    return name;
  }

  activation(x: string, activation: GraphActivation, alpha: number | undefined, hint: string): string {
    if (activation === 'linear') return x;
    if (activation === 'leakyrelu') return this.b.f('LeakyRelu', [x], hint, { alpha: attr.f(alpha ?? 0.3) });
    return this.b.f(ACTIVATION_OPS[activation] as string, [x], hint);
  }

  /** d/dx of the activation from its output y and dy. */
  activationGradient(activation: GraphActivation, alpha: number | undefined, dy: string, y: string, hint: string): string {
    const b = this.b;
    switch (activation) {
      case 'linear':
        return dy;
      case 'relu':
        return b.f('ReluGrad', [dy, y], hint);
      case 'relu6':
        return b.f('Relu6Grad', [dy, y], hint);
      case 'sigmoid':
        return b.f('SigmoidGrad', [y, dy], hint);
      case 'tanh':
        return b.f('TanhGrad', [y, dy], hint);
      case 'elu':
        return b.f('EluGrad', [dy, y], hint);
      case 'leakyrelu':
        // y > 0 exactly where x > 0 (alpha > 0), so the output stands in for the features.
        return b.f('LeakyReluGrad', [dy, y], hint, { alpha: attr.f(alpha ?? 0.3) });
      case 'softmax': {
        const dot = b.f('Sum', [b.f('Mul', [dy, y], `${hint}/dy_y`), b.ints([-1], `${hint}/axis`)], `${hint}/sum`, {
          Tidx: attr.int32,
          keep_dims: attr.b(true),
        });
        return b.f('Mul', [b.f('Sub', [dy, dot], `${hint}/centered`), y], hint);
      }
    }
  }

  /** The node's output tensor, given its inputs' tensors. */
  forward(node: GraphNode, inputs: string[]): string {
    const b = this.b;
    const op = node.op;
    const hint = node.name;
    const [x] = inputs;
    switch (op.kind) {
      case 'input':
        throw new Error('the input node is a placeholder');
      case 'conv2d':
      case 'depthwiseConv2d': {
        const conv = b.f(
          op.kind === 'conv2d' ? 'Conv2D' : 'DepthwiseConv2dNative',
          [x, this.weight(op.filter, `${hint}/filter`)],
          `${hint}/conv`,
          convAttrs(op),
        );
        const biased = op.bias ? b.f('BiasAdd', [conv, this.weight(op.bias, `${hint}/bias`)], `${hint}/bias_add`, { data_format: attr.s('NHWC') }) : conv;
        return this.activation(biased, op.activation, op.alpha, `${hint}/act`);
      }
      case 'dense': {
        const product = b.f('MatMul', [x, this.weight(op.kernel, `${hint}/kernel`)], `${hint}/matmul`, {
          transpose_a: attr.b(false),
          transpose_b: attr.b(false),
        });
        const biased = op.bias ? b.f('BiasAdd', [product, this.weight(op.bias, `${hint}/bias`)], `${hint}/bias_add`, { data_format: attr.s('NHWC') }) : product;
        return this.activation(biased, op.activation, op.alpha, `${hint}/act`);
      }
      case 'affine': {
        const centered = b.f('Sub', [x, this.weight(op.mean, `${hint}/mean`)], `${hint}/centered`);
        const scaled = b.f('Mul', [centered, this.weight(op.scale, `${hint}/scale`)], `${hint}/scaled`);
        return this.activation(b.f('AddV2', [scaled, this.weight(op.offset, `${hint}/offset`)], `${hint}/shifted`), op.activation, op.alpha, `${hint}/act`);
      }
      case 'activation':
        return op.activation === 'linear' ? b.f('Identity', [x], hint) : this.activation(x, op.activation, op.alpha, hint);
      case 'add':
        return inputs.length === 2 ? b.f('AddV2', inputs, hint) : b.f('AddN', inputs, hint, { N: attr.i(inputs.length) });
      case 'multiply':
        return inputs.slice(1).reduce((acc, v, i) => b.f('Mul', [acc, v], `${hint}/${i}`), x);
      case 'concat':
        return b.f('ConcatV2', [...inputs, b.ints([op.axis], `${hint}/axis`, [])], hint, { N: attr.i(inputs.length), Tidx: attr.int32 });
      case 'pad': {
        const [[t, bottom], [l, r]] = op.paddings;
        return b.f('Pad', [x, b.ints([0, 0, t, bottom, l, r, 0, 0], `${hint}/paddings`, [4, 2])], hint, { Tpaddings: attr.int32 });
      }
      case 'crop': {
        const [[t], [l]] = op.cropping;
        const [, h, w, c] = node.outputShape as number[];
        return b.f('Slice', [x, b.ints([0, t, l, 0], `${hint}/begin`), b.ints([-1, h, w, c], `${hint}/size`)], hint, { Index: attr.int32 });
      }
      case 'pool':
        return b.f(op.pool === 'max' ? 'MaxPool' : 'AvgPool', [x], hint, {
          ksize: spatial(op.size),
          strides: spatial(op.strides),
          padding: attr.s(op.padding.toUpperCase()),
          data_format: attr.s('NHWC'),
        });
      case 'globalPool':
        return b.f(op.pool === 'avg' ? 'Mean' : 'Max', [x, b.ints([1, 2], `${hint}/axes`)], hint, { Tidx: attr.int32, keep_dims: attr.b(op.keepDims) });
      case 'reshape':
        return b.f('Reshape', [x, b.ints([-1, ...op.shape], `${hint}/shape`)], hint, { Tshape: attr.int32 });
      case 'identity':
        return b.f('Identity', [x], hint);
      case 'opaque':
        throw new Error(`'${node.name}' (${op.className}) has no TensorFlow op`);
    }
  }

  /** dLoss/dInput for each input of `node`, given dLoss/dOutput `dy` and the forward tensors. */
  backward(node: GraphNode, dy: string, inputs: string[], y: string): string[] {
    const b = this.b;
    const op = node.op;
    const hint = `grad/${node.name}`;
    const [x] = inputs;
    switch (op.kind) {
      case 'conv2d':
      case 'depthwiseConv2d': {
        const g = this.activationGradient(op.activation, op.alpha, dy, y, `${hint}/act`);
        return [
          b.f(
            op.kind === 'conv2d' ? 'Conv2DBackpropInput' : 'DepthwiseConv2dNativeBackpropInput',
            [this.shape(x), this.weight(op.filter, `${node.name}/filter`), g],
            hint,
            convAttrs(op),
          ),
        ];
      }
      case 'dense': {
        const g = this.activationGradient(op.activation, op.alpha, dy, y, `${hint}/act`);
        return [b.f('MatMul', [g, this.weight(op.kernel, `${node.name}/kernel`)], hint, { transpose_a: attr.b(false), transpose_b: attr.b(true) })];
      }
      case 'affine':
        return [b.f('Mul', [this.activationGradient(op.activation, op.alpha, dy, y, `${hint}/act`), this.weight(op.scale, `${node.name}/scale`)], hint)];
      case 'activation':
        return [this.activationGradient(op.activation, op.alpha, dy, y, hint)];
      case 'add':
        return inputs.map(() => dy);
      case 'multiply':
        return inputs.map((_, i) => {
          const others = inputs.filter((__, j) => j !== i);
          return others.reduce((acc, v, k) => b.f('Mul', [acc, v], `${hint}/${i}_${k}`), dy);
        });
      case 'concat': {
        let offset = 0;
        return inputs.map((input, i) => {
          const size = this.#byName.get(node.inputs[i])?.outputShape[op.axis] as number;
          const begin = node.outputShape.map((_, axis) => (axis === op.axis ? offset : 0));
          offset += size;
          return b.f('Slice', [dy, b.ints(begin, `${hint}/begin${i}`), this.shape(input)], `${hint}/${i}`, { Index: attr.int32 });
        });
      }
      case 'pad': {
        const [[t], [l]] = op.paddings;
        return [b.f('Slice', [dy, b.ints([0, t, l, 0], `${hint}/begin`), this.shape(x)], hint, { Index: attr.int32 })];
      }
      case 'crop': {
        const [[t, bottom], [l, r]] = op.cropping;
        return [b.f('Pad', [dy, b.ints([0, 0, t, bottom, l, r, 0, 0], `${hint}/paddings`, [4, 2])], hint, { Tpaddings: attr.int32 })];
      }
      case 'pool': {
        const attrs = { ksize: spatial(op.size), strides: spatial(op.strides), padding: attr.s(op.padding.toUpperCase()), data_format: attr.s('NHWC') };
        return [op.pool === 'max' ? b.f('MaxPoolGrad', [x, y, dy], hint, attrs) : b.f('AvgPoolGrad', [this.shape(x), dy], hint, attrs)];
      }
      case 'globalPool': {
        const [, h, w, c] = this.#byName.get(node.inputs[0])?.outputShape as (number | null)[];
        const expanded = op.keepDims ? dy : b.f('Reshape', [dy, b.ints([-1, 1, 1, c ?? -1], `${hint}/shape`)], `${hint}/expanded`, { Tshape: attr.int32 });
        if (op.pool === 'avg') {
          const area = h !== null && w !== null ? b.scalar(1 / (h * w), `${hint}/area`) : undefined;
          if (area === undefined) throw new Error(`global pooling over an unknown size at '${node.name}'`);
          const scaled = b.f('Mul', [expanded, area], `${hint}/scaled`);
          return [b.f('BroadcastTo', [scaled, this.shape(x)], hint, { Tidx: attr.int32 })];
        }
        // TensorFlow's reduce_max gradient: shared equally between the cells holding the maximum.
        const max = op.keepDims ? y : b.f('Reshape', [y, b.ints([-1, 1, 1, c ?? -1], `${hint}/max_shape`)], `${hint}/max`, { Tshape: attr.int32 });
        const hits = b.op(
          'Cast',
          [b.f('Equal', [x, max], `${hint}/equal`, { incompatible_shape_error: attr.b(true) })],
          { SrcT: attr.type(DT.bool), DstT: attr.float, Truncate: attr.b(false) },
          `${hint}/hits`,
        );
        const count = b.f('Sum', [hits, b.ints([1, 2], `${hint}/axes`)], `${hint}/count`, { Tidx: attr.int32, keep_dims: attr.b(true) });
        return [b.f('Mul', [b.f('RealDiv', [expanded, count], `${hint}/share`), hits], hint)];
      }
      case 'reshape':
        return [b.f('Reshape', [dy, this.shape(x)], hint, { Tshape: attr.int32 })];
      case 'identity':
        return [dy];
      case 'input':
      case 'opaque':
        throw new Error(`no gradient through '${node.name}'`);
    }
  }
}

const tensorInfo = (name: string, dtype: number, dims: readonly (number | null)[]) => ({
  name: `${name}:0`,
  dtype,
  shape: { dim: dims.map((d) => ({ size: d ?? -1 })) },
});

/** The input placeholder 'x' [batch, h, w, c] of the graph's input node. */
function inputOf(e: Emitter, graph: InferenceGraph, batch: number): { name: string; shape: (number | null)[] } {
  const node = graph.nodes.find((n) => n.name === graph.input) as GraphNode;
  const shape = [batch, ...node.outputShape.slice(1)];
  e.b.placeholder(
    'x',
    DT.float,
    shape.map((d) => d ?? -1),
  );
  return { name: 'x', shape };
}

/** The forward pass to the score node: a session computing the model's scores. */
export function emitPredict(graph: InferenceGraph, score: string, batch: number): EmittedGraph {
  const e = new Emitter(graph);
  const input = inputOf(e, graph, batch);
  const values = new Map<string, string>([[graph.input, input.name]]);
  for (const node of graphAncestors(graph, score)) {
    if (!values.has(node.name))
      values.set(
        node.name,
        e.forward(
          node,
          node.inputs.map((i) => values.get(i) as string),
        ),
      );
  }
  const out = e.b.f('Identity', [values.get(score) as string], 'scores');
  const scoreNode = graph.nodes.find((n) => n.name === score) as GraphNode;
  return {
    nodes: e.b.nodes,
    inputs: { x: tensorInfo(input.name, DT.float, input.shape) },
    outputs: { scores: tensorInfo(out, DT.float, scoreNode.outputShape) },
  };
}

/** What the capture graph computes. */
export interface CaptureSpec {
  /** The explained node. */
  readonly node: string;
  /** The node whose output is differentiated (the output, or the logits node). */
  readonly score: string;
  /** Targets per image. */
  readonly k: number;
  /** true: each image's k best classes, picked in the graph; false: an int32 input 'targets' [N, k]. */
  readonly top: boolean;
  /** N, the number of images. */
  readonly batch: number;
  /** Also ELI5's Grad-CAM maps [N·k, h, w] in the graph (output 'maps'). */
  readonly maps?: 'gradcam';
}

/**
 * One forward and one backward pass as a graph: the nodes before the explained one on the N
 * images, the rest on N·k rows (the explained output and every earlier value the rest reads,
 * each row repeated k times), the targets (an input, or TopKV2 of each image's scores), a
 * one-hot seed, then each node's gradient in reverse order down to the explained node.
 * Outputs: activations [N, h, w, c], scores [N, classes], targets [N, k] (int32) and
 * gradients [N·k, h, w, c], image-major as BatchCapture orders them.
 */
export function emitCapture(graph: InferenceGraph, spec: CaptureSpec): EmittedGraph {
  const e = new Emitter(graph);
  const b = e.b;
  const input = inputOf(e, graph, spec.batch);
  const nodes = graphAncestors(graph, spec.score);
  const explained = graph.nodes.find((n) => n.name === spec.node) as GraphNode;
  // The same cut as the tfjs path, with the same typed error when the scores do not depend on the node.
  const tail = new Set(splitAtExplained(graph, explained, spec.score).tail.map((n) => n.name));
  const values = new Map<string, string>([[graph.input, input.name]]);
  for (const node of nodes) {
    if (tail.has(node.name) || values.has(node.name)) continue;
    values.set(
      node.name,
      e.forward(
        node,
        node.inputs.map((i) => values.get(i) as string),
      ),
    );
  }
  const activations = b.f('Identity', [values.get(spec.node) as string], 'activations');
  const shapeOf = (name: string) => graph.nodes.find((n) => n.name === name)?.outputShape ?? [];
  // Each row k times in a row: [N, …] → [N, k, …] → [N·k, …].
  const repeated = new Map<string, string>();
  const repeat = (name: string): string => {
    if (spec.k === 1) return values.get(name) as string;
    let out = repeated.get(name);
    if (out === undefined) {
      const shape = shapeOf(name);
      const rank = shape.length;
      const expanded = b.f('ExpandDims', [values.get(name) as string, b.ints([1], `repeat/${name}/axis`, [])], `repeat/${name}/expand`, { Tdim: attr.int32 });
      const tiled = b.f('Tile', [expanded, b.ints([1, spec.k, ...Array(rank - 1).fill(1)], `repeat/${name}/multiples`)], `repeat/${name}/tile`, {
        Tmultiples: attr.int32,
      });
      out = b.f('Reshape', [tiled, b.ints([-1, ...shape.slice(1).map((d) => d ?? -1)], `repeat/${name}/shape`)], `repeat/${name}`, { Tshape: attr.int32 });
      repeated.set(name, out);
    }
    return out;
  };
  const rows = new Map<string, string>([[spec.node, repeat(spec.node)]]);
  const tailNodes = nodes.filter((n) => tail.has(n.name));
  for (const node of tailNodes)
    rows.set(
      node.name,
      e.forward(
        node,
        node.inputs.map((i) => rows.get(i) ?? repeat(i)),
      ),
    );
  const y = rows.get(spec.score) as string;
  const classes = shapeOf(spec.score)[1] as number;
  const firstRows =
    spec.k === 1
      ? y
      : b.f(
          'Reshape',
          [
            b.f(
              'Slice',
              [
                b.f('Reshape', [y, b.ints([-1, spec.k, classes], 'scores/split')], 'scores/by_image', { Tshape: attr.int32 }),
                b.ints([0, 0, 0], 'scores/begin'),
                b.ints([-1, 1, -1], 'scores/size'),
              ],
              'scores/first',
              { Index: attr.int32 },
            ),
            b.ints([-1, classes], 'scores/shape'),
          ],
          'scores/rows',
          { Tshape: attr.int32 },
        );
  const scores = b.f('Identity', [firstRows], 'scores');
  const targets = spec.top
    ? `${b.f('TopKV2', [scores, b.ints([spec.k], 'targets/k', [])], 'targets/top_k', { sorted: attr.b(true), Tk: attr.int32, index_type: attr.int32 })}:1`
    : b.placeholder('targets', DT.int32, [spec.batch, spec.k]);
  // An output of its own: a fed tensor cannot be fetched too.
  const picked = b.op('Identity', [targets], { T: attr.int32 }, 'picked_targets');
  const flat = b.op('Reshape', [targets, b.ints([-1], 'seed/flat_shape')], { T: attr.int32, Tshape: attr.int32 }, 'seed/flat');
  const seed = b.op(
    'OneHot',
    [flat, b.ints([classes], 'seed/depth', []), b.scalar(1, 'seed/on'), b.scalar(0, 'seed/off')],
    { T: attr.float, TI: attr.int32, axis: attr.i(-1) },
    'seed',
  );
  // Reverse mode: each tail node's gradient is the sum of what its readers send it.
  const grads = new Map<string, string[]>([[spec.score, [seed]]]);
  const gradOf = (name: string): string | undefined => {
    const parts = grads.get(name);
    if (!parts || parts.length === 0) return undefined;
    return parts.length === 1 ? parts[0] : b.f('AddN', parts, `grad/${name}/sum`, { N: attr.i(parts.length) });
  };
  for (const node of [...tailNodes].reverse()) {
    const dy = gradOf(node.name);
    if (dy === undefined) continue;
    const inputs = node.inputs.map((i) => rows.get(i) ?? repeat(i));
    const dxs = e.backward(node, dy, inputs, rows.get(node.name) as string);
    node.inputs.forEach((i, k) => {
      if (i === spec.node || tail.has(i)) grads.set(i, [...(grads.get(i) ?? []), dxs[k]]);
    });
  }
  const gradient = gradOf(spec.node);
  if (gradient === undefined) throw new Error(`the scores do not depend on '${spec.node}'`);
  const gradients = b.f('Identity', [gradient], 'gradients');
  const maps = spec.maps ? gradCamMaps(b, rows.get(spec.node) as string, gradient) : undefined;
  return {
    nodes: b.nodes,
    inputs: { x: tensorInfo(input.name, DT.float, input.shape), ...(spec.top ? {} : { targets: tensorInfo('targets', DT.int32, [spec.batch, spec.k]) }) },
    outputs: {
      activations: tensorInfo(activations, DT.float, explained.outputShape),
      scores: tensorInfo(scores, DT.float, [null, classes]),
      targets: tensorInfo(picked, DT.int32, [spec.batch, spec.k]),
      gradients: tensorInfo(gradients, DT.float, explained.outputShape),
      ...(maps ? { maps: tensorInfo(maps, DT.float, explained.outputShape.slice(0, 3)) } : {}),
    },
  };
}

/**
 * ELI5's Grad-CAM of each row as graph ops, what @gradcam/core's gradCam + normalizeMaps compute:
 * G / sqrt(max(Σ G², 1e-12)) over each row, channel weights = spatial mean, ReLU(Σ_k w_k·A_k),
 * / (max + 1e-7). `a` has the rows of `g` (the explained output, repeated per target).
 */
function gradCamMaps(b: GraphDefBuilder, a: string, g: string): string {
  const sumSquares = b.f('Sum', [b.f('Square', [g], 'maps/square'), b.ints([1, 2, 3], 'maps/all_axes')], 'maps/sum_squares', {
    Tidx: attr.int32,
    keep_dims: attr.b(true),
  });
  const norm = b.f('Sqrt', [b.f('Maximum', [sumSquares, b.scalar(1e-12, 'maps/tiny')], 'maps/floor')], 'maps/norm');
  const weights = b.f('Mean', [b.f('RealDiv', [g, norm], 'maps/normalised'), b.ints([1, 2], 'maps/spatial')], 'maps/weights', {
    Tidx: attr.int32,
    keep_dims: attr.b(true),
  });
  const weighted = b.f('Sum', [b.f('Mul', [a, weights], 'maps/weighted'), b.ints([3], 'maps/channels')], 'maps/raw', {
    Tidx: attr.int32,
    keep_dims: attr.b(false),
  });
  const rectified = b.f('Relu', [weighted], 'maps/relu');
  const max = b.f('Max', [rectified, b.ints([1, 2], 'maps/max_axes')], 'maps/max', { Tidx: attr.int32, keep_dims: attr.b(true) });
  return b.f('RealDiv', [rectified, b.f('AddV2', [max, b.scalar(1e-7, 'maps/epsilon')], 'maps/denominator')], 'maps');
}
