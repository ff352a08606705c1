import {
  type Capture,
  type CaptureOptions,
  type ExplainableModel,
  InvalidInputError,
  type LayerInfo,
  type ModelAdapter,
  NoSuchLayerError,
  pickDefaultLayer,
} from '@gradcam/core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { runTargetGradients } from './target-gradients.js';

interface GraphNode {
  name: string;
  op: string;
  input?: string[];
}

/** True for a tfjs-converter GraphModel (duck-typed). */
export function isGraphModel(model: unknown): model is GraphModel {
  const m = model as GraphModel;
  return typeof model === 'object' && model !== null && typeof m.execute === 'function' && Array.isArray(m.inputNodes) && Array.isArray(m.outputNodes);
}

const SKIPPED_OPS = new Set(['Const', 'Placeholder', 'Identity', 'NoOp']);

function graphNodes(model: GraphModel): GraphNode[] {
  // GraphModel keeps the GraphDef in a private field; it is the only source of node order.
  const topology = (model as unknown as { artifacts?: { modelTopology?: { node?: GraphNode[] } } }).artifacts?.modelTopology;
  if (!topology?.node) throw new InvalidInputError('This GraphModel exposes no graph topology; load it with tf.loadGraphModel or loadModel().');
  return topology.node;
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
 * computed once, then fed back as `A + delta` so the gradient w.r.t. delta is dScore/dA.
 */
export class GraphModelAdapter implements ExplainableModel {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  readonly inputShape: readonly (number | null)[];
  readonly numClasses: number;
  readonly #model: GraphModel;
  readonly #layers: LayerInfo[];
  readonly #fullNames = new Map<string, string>();
  readonly #logitsNode: string | undefined;

  constructor(model: GraphModel, name = 'graph-model') {
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new InvalidInputError(
        `Grad-CAM needs a graph model with one input and one output; this one has ${model.inputs.length} and ${model.outputs.length}.`,
      );
    }
    this.#model = model;
    this.name = name;
    this.inputShape = (model.inputs[0].shape ?? []).map((d) => (d === -1 || d === undefined ? null : d));
    const nodes = graphNodes(model).filter((n) => !SKIPPED_OPS.has(n.op));
    const byName = new Map(graphNodes(model).map((n) => [n.name, n]));
    this.#logitsNode = findLogitsNode(byName, model.outputNodes[0]);
    const probeShape = this.inputShape.map((d, i) => (i === 0 ? 1 : (d ?? 224)));
    const shapes = tf.tidy(() => {
      const outs = model.execute({ [model.inputNodes[0]]: tf.zeros(probeShape) }, [...nodes.map((n) => n.name), model.outputNodes[0]]) as tf.Tensor[];
      return outs.map((t) => t.shape);
    });
    this.numClasses = shapes[shapes.length - 1][1] as number;
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

  capture(doc: tf.Tensor4D, info: LayerInfo, options: CaptureOptions): Capture {
    const node = this.#fullNames.get(info.name);
    if (node === undefined) throw new NoSuchLayerError(`No node '${info.name}' in ${this.name}.`);
    let output = this.#model.outputNodes[0];
    if (options.logits) {
      if (this.#logitsNode === undefined)
        throw new InvalidInputError(`logits: ${this.name} does not end in a Softmax op, so its output is already the score; explain without logits.`);
      output = this.#logitsNode;
    }
    const input = this.#model.inputNodes[0];
    const model = this.#model;
    return runTargetGradients(
      doc,
      options,
      (x, delta, keep) => {
        const a = model.execute({ [input]: x }, node) as tf.Tensor4D;
        keep(a);
        return model.execute({ [input]: x, [node]: tf.add(a, delta) }, output) as tf.Tensor2D;
      },
      info.outputShape,
    );
  }
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
