import type { Tensor, Tensor1D, Tensor2D, Tensor4D } from '@tensorflow/tfjs-core';
import { NotDifferentiableError } from './errors.js';
import type { BatchCapture, TargetSpec } from './explainable-model.js';
import { sharedState } from './shared-state.js';

/**
 * Activations an inference-graph node applies to its output. 'relu6' is min(max(x, 0), 6);
 * 'leakyrelu' uses the node's `alpha`; 'softmax' is over the last axis.
 */
export type GraphActivation = 'linear' | 'relu' | 'relu6' | 'sigmoid' | 'tanh' | 'elu' | 'leakyrelu' | 'softmax';

/** Padding of a convolution or pooling window, as Keras names it. */
export type GraphPadding = 'same' | 'valid';

/**
 * What one node of an inference graph computes. Tensors are owned by the graph (its builder
 * disposes them). `conv2d`, `depthwiseConv2d` and `dense` add `bias` (when present) and then
 * apply `activation`; batch norms are folded into their weights where possible.
 */
export type GraphOp =
  | { readonly kind: 'input' }
  | {
      readonly kind: 'conv2d' | 'depthwiseConv2d';
      /** [kh, kw, in, out]; depthwise: [kh, kw, in, 1] (channel multiplier 1). */
      readonly filter: Tensor4D;
      readonly bias?: Tensor1D;
      readonly strides: readonly [number, number];
      readonly padding: GraphPadding;
      readonly dilations: readonly [number, number];
      readonly activation: GraphActivation;
      readonly alpha?: number;
    }
  | { readonly kind: 'dense'; readonly kernel: Tensor2D; readonly bias?: Tensor1D; readonly activation: GraphActivation; readonly alpha?: number }
  /**
   * A batch norm that could not be folded: (x − mean) · scale + offset over the last axis, then
   * the activation. `ones` (variance 1, ε 0) lets tfjs run it as one batchNorm kernel.
   */
  | {
      readonly kind: 'affine';
      readonly mean: Tensor1D;
      readonly scale: Tensor1D;
      readonly offset: Tensor1D;
      readonly ones: Tensor1D;
      readonly activation: GraphActivation;
      readonly alpha?: number;
    }
  | { readonly kind: 'activation'; readonly activation: GraphActivation; readonly alpha?: number }
  | { readonly kind: 'add' | 'multiply' }
  | { readonly kind: 'concat'; readonly axis: number }
  /** Zeros around the two spatial axes: [[top, bottom], [left, right]]. */
  | { readonly kind: 'pad'; readonly paddings: readonly [readonly [number, number], readonly [number, number]] }
  /** Rows and columns cut from the two spatial axes: [[top, bottom], [left, right]]. */
  | { readonly kind: 'crop'; readonly cropping: readonly [readonly [number, number], readonly [number, number]] }
  | {
      readonly kind: 'pool';
      readonly pool: 'max' | 'avg';
      readonly size: readonly [number, number];
      readonly strides: readonly [number, number];
      readonly padding: GraphPadding;
    }
  | { readonly kind: 'globalPool'; readonly pool: 'max' | 'avg'; readonly keepDims: boolean }
  /** The output shape without the batch axis. */
  | { readonly kind: 'reshape'; readonly shape: readonly number[] }
  | { readonly kind: 'identity' }
  /** A layer the graph has no op for: run by its own code on tfjs backends; graph executors refuse it. */
  | { readonly kind: 'opaque'; readonly className: string; apply(inputs: Tensor[]): Tensor };

/** One node: an op, the nodes it reads, and the model layers whose work it does. */
export interface GraphNode {
  /** Unique in the graph: the path of the last layer it covers ('block_1_expand_relu'). */
  readonly name: string;
  readonly op: GraphOp;
  /** Names of the nodes whose outputs are its inputs, in order. */
  readonly inputs: readonly string[];
  /** Paths of the layers folded or fused into this node, in execution order. */
  readonly layers: readonly string[];
  /** Output shape, batch axis null. */
  readonly outputShape: readonly (number | null)[];
}

/**
 * A model's inference form: a single-input, single-output graph of the ops above in
 * topological order (batch norms folded, bias and activation fused). Built by a model adapter;
 * run by tfjs ops, or handed whole to a GraphExecutor.
 */
export interface InferenceGraph {
  readonly specificationVersion: 'v1';
  /** Model name. */
  readonly name: string;
  /** Distinguishes graphs (and graphs of a model whose weights changed) within one process. */
  readonly id: string;
  readonly nodes: readonly GraphNode[];
  /** The input node's name. */
  readonly input: string;
  /** The node whose output is the model output. */
  readonly output: string;
  /** The node holding the pre-softmax scores when the output node is a final softmax (logits). */
  readonly logits?: string;
  /** The explained node, whose output is exactly the explained layer's, when the graph was built for one. */
  readonly explained?: string;
}

/** The nodes `target` depends on (itself included), in graph order. */
export function graphAncestors(graph: InferenceGraph, target: string): GraphNode[] {
  const byName = new Map(graph.nodes.map((n) => [n.name, n]));
  const needed = new Set<string>();
  const visit = (name: string) => {
    if (needed.has(name)) return;
    needed.add(name);
    for (const i of byName.get(name)?.inputs ?? []) visit(i);
  };
  visit(target);
  return graph.nodes.filter((n) => needed.has(n.name));
}

/** What a graph executor is asked to capture (see ExplainableModel.captureBatch). */
export interface GraphCaptureRequest {
  /** The node to differentiate with respect to (the graph's `explained`). */
  readonly node: string;
  readonly logits: boolean;
  readonly targets: TargetSpec;
  /** Maps to return with the capture where the executor can compute them (CaptureOptions.maps). */
  readonly maps?: 'gradcam';
}

/**
 * Runs inference graphs outside tfjs' op-by-op execution on one tfjs backend — e.g. as one
 * TensorFlow graph in a session on 'tensorflow'. A backend package registers it; model adapters
 * use it when it is registered for the active backend and accepts the graph.
 */
export interface GraphExecutor {
  readonly name: string;
  /** The tfjs backend it serves ('tensorflow'). */
  readonly backend: string;
  /** Why it cannot run this graph (an op it has no kernel for…), or undefined when it can. */
  unsupported(graph: InferenceGraph): string | undefined;
  /** The model's scores for a batch [n, classes]: the output, or the `logits` node's. */
  predict(graph: InferenceGraph, batch: Tensor4D, options: { readonly logits: boolean }): Tensor2D;
  /** One forward and one backward pass: captureBatch's result for the graph's explained node. */
  captureBatch(graph: InferenceGraph, docs: Tensor4D, request: GraphCaptureRequest): BatchCapture;
  /** Frees what it keeps for a graph (sessions, files stay cached on disk). */
  release(graphId: string): void;
}

/** The registry, shared by every installed copy of core (sharedState). */
const executors = (): GraphExecutor[] => sharedState('graph-executors', () => [] as GraphExecutor[]);

/** Registers a graph executor; one of the same name is replaced. */
export function registerGraphExecutor(executor: GraphExecutor): void {
  const list = executors();
  const at = list.findIndex((e) => e.name === executor.name);
  if (at !== -1) list.splice(at, 1);
  list.unshift(executor);
}

/** Removes a graph executor by name; returns whether one was registered. */
export function unregisterGraphExecutor(name: string): boolean {
  const list = executors();
  const at = list.findIndex((e) => e.name === name);
  if (at !== -1) list.splice(at, 1);
  return at !== -1;
}

/** The executor registered for a tfjs backend, if any (the latest registration first). */
export function graphExecutorFor(backend: string): GraphExecutor | undefined {
  return executors().find((e) => e.backend === backend);
}

/** Tells every registered executor to free what it keeps for a graph (a model disposed or changed). */
export function releaseGraph(graphId: string): void {
  for (const executor of executors()) executor.release(graphId);
}

/** The node holding the scores: the output, or with `logits` the pre-softmax node. */
export function scoreNode(graph: InferenceGraph, logits: boolean): string | undefined {
  return logits ? graph.logits : graph.output;
}

/** A graph cut at the explained node: what runs before it, what runs after it, and what crosses. */
export interface GraphSplit {
  /** The nodes the scores need that do not depend on the explained node (the input, its ancestors, skip branches). */
  readonly prefix: readonly GraphNode[];
  /** The nodes that depend on the explained node, down to the scores. */
  readonly tail: readonly GraphNode[];
  /** Prefix values the tail reads besides the explained output (skip connections around it). */
  readonly crossing: ReadonlySet<string>;
}

/**
 * Step 1 of a capture, by tfjs ops or in a TensorFlow graph: cuts the graph at `explained`.
 * @throws NotDifferentiableError when the scores do not depend on it.
 */
export function splitAtExplained(graph: InferenceGraph, explained: GraphNode, score: string): GraphSplit {
  const nodes = graphAncestors(graph, score);
  const tailNames = new Set<string>();
  for (const n of nodes) if (n.inputs.some((i) => i === explained.name || tailNames.has(i))) tailNames.add(n.name);
  if (!nodes.includes(explained) || (tailNames.size === 0 && score !== explained.name)) {
    throw new NotDifferentiableError(
      `The gradient does not reach '${explained.name}': the model's ${score === graph.output ? 'output' : 'logits'} do not depend on it.`,
    );
  }
  const tail = nodes.filter((n) => tailNames.has(n.name));
  const crossing = new Set(tail.flatMap((n) => n.inputs.filter((i) => !tailNames.has(i) && i !== explained.name)));
  return { prefix: nodes.filter((n) => !tailNames.has(n.name)), tail, crossing };
}
