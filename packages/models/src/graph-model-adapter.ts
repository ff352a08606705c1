import {
  type BatchCapture,
  type Capture,
  type CaptureOptions,
  type ExplainableModel,
  InvalidInputError,
  type LayerInfo,
  type ModelAdapter,
  NoSuchLayerError,
  pickDefaultLayer,
} from '@gradcam/core';
import { type GraphModel, loadGraphModelSync } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { type GraphNode, UNFUSED_MARK, unfuseGraph } from './differentiable-graph.js';
import { runTargetGradients, singleCapture } from './target-gradients.js';
import { type GraphArtifacts, graphArtifacts, shareGraphWeights } from './tfjs-internals.js';

/** True for a tfjs-converter GraphModel (duck-typed). */
export function isGraphModel(model: unknown): model is GraphModel {
  const m = model as GraphModel;
  return typeof model === 'object' && model !== null && typeof m.execute === 'function' && Array.isArray(m.inputNodes) && Array.isArray(m.outputNodes);
}

const SKIPPED_OPS = new Set(['Const', 'Placeholder', 'Identity', 'NoOp']);

/** The GraphDef the model was loaded from (the only source of node order). */
function artifactsOf(model: GraphModel): Omit<GraphArtifacts, 'modelTopology'> & { modelTopology: { node: GraphNode[] } } {
  return graphArtifacts(model) as Omit<GraphArtifacts, 'modelTopology'> & { modelTopology: { node: GraphNode[] } };
}

/**
 * The model itself, or — when it has fused ops — a twin loaded from the same artifacts with
 * those ops unfused (see unfuseGraph), so every node can be differentiated, quickly.
 */
function differentiableTwin(model: GraphModel): GraphModel {
  const artifacts = artifactsOf(model);
  const split = unfuseGraph(artifacts.modelTopology.node);
  if (!split.changed || artifacts.weightData === undefined) return model;
  const twin = loadGraphModelSync({ ...artifacts, modelTopology: { ...artifacts.modelTopology, node: split.nodes } }) as unknown as GraphModel;
  // Share the original's weight tensors (the Const nodes are the same), so adapting allocates
  // no tensors and the twin costs no memory; where that is impossible, use the model itself.
  if (shareGraphWeights(model, twin)) return twin;
  twin.dispose();
  return model;
}

function commonPrefix(names: string[]): string {
  if (names.length < 2) return '';
  let prefix = names[0];
  for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1);
  return prefix.slice(0, prefix.lastIndexOf('/') + 1);
}

/**
 * Grad-CAM access to a tfjs GraphModel. Candidate layers are the graph nodes with a 4-D output
 * (found by one probe run), named without the prefix they all share. The node's value is
 * computed once (for N images at once), then fed back as `A + delta` so the gradient w.r.t.
 * delta is dScore/dA.
 */
export class GraphModelAdapter implements ExplainableModel {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  readonly inputShape: readonly (number | null)[];
  readonly numClasses: number;
  readonly outputShape: readonly (number | null)[];
  readonly #model: GraphModel;
  readonly #layers: LayerInfo[];
  readonly #fullNames = new Map<string, string>();
  readonly #logitsNode: string | undefined;

  constructor(original: GraphModel, name = 'graph-model') {
    if (original.inputs.length !== 1 || original.outputs.length !== 1) {
      throw new InvalidInputError(
        `Grad-CAM needs a graph model with one input and one output; this one has ${original.inputs.length} and ${original.outputs.length}.`,
      );
    }
    const model = differentiableTwin(original);
    this.#model = model;
    this.name = name;
    this.inputShape = (model.inputs[0].shape ?? []).map((d) => (d === -1 || d === undefined ? null : d));
    const all = artifactsOf(model).modelTopology.node;
    const byName = new Map(all.map((n) => [n.name, n]));
    const reachable = ancestors(byName, model.outputNodes[0]);
    const nodes = all.filter((n) => !SKIPPED_OPS.has(n.op) && !n.name.includes(UNFUSED_MARK) && reachable.has(n.name));
    this.#logitsNode = findLogitsNode(byName, model.outputNodes[0]);
    const probeShape = this.inputShape.map((d, i) => (i === 0 ? 1 : (d ?? 224)));
    const shapes = tf.tidy(() => {
      const outs = model.execute({ [model.inputNodes[0]]: tf.zeros(probeShape) }, [...nodes.map((n) => n.name), model.outputNodes[0]]) as tf.Tensor[];
      return outs.map((t) => t.shape);
    });
    const outShape = shapes[shapes.length - 1];
    this.numClasses = outShape[outShape.length - 1] as number;
    this.outputShape = [null, ...outShape.slice(1)];
    const spatial = nodes.filter((_, i) => shapes[i].length === this.inputShape.length);
    const prefix = commonPrefix(spatial.map((n) => n.name));
    this.#layers = [];
    nodes.forEach((node, i) => {
      if (shapes[i].length !== this.inputShape.length) return;
      const short = node.name.slice(prefix.length);
      this.#fullNames.set(short, node.name);
      this.#layers.push({ name: short, className: node.op, outputShape: [null, ...shapes[i].slice(1)], paramCount: 0, index: this.#layers.length });
    });
  }

  layers(): LayerInfo[] {
    return this.#layers.slice();
  }

  defaultLayer(): LayerInfo {
    return pickDefaultLayer(this.name, this.#layers, this.inputShape.length);
  }

  #outputNode(logits: boolean): string {
    if (!logits) return this.#model.outputNodes[0];
    if (this.#logitsNode === undefined)
      throw new InvalidInputError(`logits: ${this.name} does not end in a Softmax op, so its output is already the score; explain without logits.`);
    return this.#logitsNode;
  }

  /** The model's scores for a batch (logits: the Softmax op's input). */
  predict(batch: tf.Tensor4D, options: { readonly logits: boolean }): tf.Tensor2D {
    const output = this.#outputNode(options.logits);
    return tf.tidy(() => this.#model.execute({ [this.#model.inputNodes[0]]: batch }, output) as tf.Tensor2D);
  }

  /** The output for `doc` with the node's value replaced by each row of `activations` (AblationCAM). */
  predictAt(doc: tf.Tensor4D, info: LayerInfo, activations: tf.Tensor4D, options: { readonly logits: boolean }): tf.Tensor {
    const node = this.#fullNames.get(info.name);
    if (node === undefined) throw new NoSuchLayerError(`No node '${info.name}' in ${this.name}.`);
    const output = this.#outputNode(options.logits);
    const repeated = tf.tile(doc, [activations.shape[0], 1, 1, 1]);
    try {
      return tf.tidy(() => this.#model.execute({ [this.#model.inputNodes[0]]: repeated, [node]: activations }, output) as tf.Tensor);
    } finally {
      repeated.dispose();
    }
  }

  /** One image: captureBatch of a batch of one. */
  capture(doc: tf.Tensor4D, info: LayerInfo, options: CaptureOptions): Capture {
    return singleCapture(this.captureBatch(doc, info, options));
  }

  /**
   * N images in one pass: the node's value is computed once for the batch (no tape), then fed
   * back as A + delta with N·targets rows, and one backward pass gives every gradient.
   */
  captureBatch(docs: tf.Tensor4D, info: LayerInfo, options: CaptureOptions): BatchCapture {
    const node = this.#fullNames.get(info.name);
    if (node === undefined) throw new NoSuchLayerError(`No node '${info.name}' in ${this.name}.`);
    const output = this.#outputNode(options.logits);
    const input = this.#model.inputNodes[0];
    const model = this.#model;
    const value = tf.tidy(() => model.execute({ [input]: docs }, node) as tf.Tensor4D);
    try {
      return runTargetGradients(
        docs,
        options,
        (pass) => model.execute({ [input]: pass.input, [node]: pass.inject(pass.repeatRows(value)) }, output) as tf.Tensor2D,
        info.outputShape,
      );
    } finally {
      value.dispose();
    }
  }
}

/** Names of the nodes the output depends on (the only ones whose gradient can reach it). */
function ancestors(byName: Map<string, GraphNode>, output: string): Set<string> {
  const seen = new Set<string>();
  const stack = [output.split(':')[0]];
  while (stack.length > 0) {
    const name = stack.pop() as string;
    if (seen.has(name)) continue;
    seen.add(name);
    for (const input of byName.get(name)?.input ?? []) stack.push(input.replace(/^\^/, '').split(':')[0]);
  }
  return seen;
}

function findLogitsNode(byName: Map<string, GraphNode>, outputName: string): string | undefined {
  let node = byName.get(outputName.split(':')[0]);
  while (node && node.op === 'Identity' && node.input?.[0]) node = byName.get(node.input[0]);
  return node?.op === 'Softmax' ? node.input?.[0] : undefined;
}

/** The registry entry for tfjs-converter graph models. */
export const graphModelAdapter: ModelAdapter = {
  name: 'graph-model',
  canAdapt: isGraphModel,
  adapt: (model) => new GraphModelAdapter(model as GraphModel),
};
