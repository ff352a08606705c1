import { type BatchCapture, type CaptureOptions, type GraphNode, type InferenceGraph, NotDifferentiableError } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import { differentiableNode, disposePassConstants, forwardNode, passConstants } from './graph-ops.js';
import { rowIndex, runTargetGradients } from './target-gradients.js';

/** The nodes `target` depends on (itself included), in graph order. */
export function ancestors(graph: InferenceGraph, target: string): GraphNode[] {
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

/**
 * Runs `nodes` (graph order, the input node among them or given in `values`) without a gradient
 * tape, disposing each value after its last reader; returns the values of `keep`, which the
 * caller disposes. `values` seeds the run (the input) and is not disposed.
 */
function runForward(nodes: readonly GraphNode[], values: Map<string, tf.Tensor>, keep: ReadonlySet<string>): Map<string, tf.Tensor> {
  const seeded = new Set(values.keys());
  const remaining = new Map<string, number>();
  for (const n of nodes) for (const i of n.inputs) remaining.set(i, (remaining.get(i) ?? 0) + 1);
  const kept = new Map<string, tf.Tensor>();
  const release = () => {
    for (const [name, t] of values) if (!seeded.has(name) && !kept.has(name)) t.dispose();
  };
  try {
    for (const node of nodes) {
      if (values.has(node.name)) continue;
      const inputs = node.inputs.map((i) => values.get(i) as tf.Tensor);
      let out = tf.tidy(() => forwardNode(node, inputs));
      if (inputs.includes(out)) out = tf.clone(out); // a linear activation returns its input
      values.set(node.name, out);
      if (keep.has(node.name)) kept.set(node.name, out);
      for (const i of node.inputs) {
        const left = (remaining.get(i) ?? 1) - 1;
        remaining.set(i, left);
        if (left === 0 && !keep.has(i) && !seeded.has(i)) values.get(i)?.dispose();
      }
    }
  } catch (error) {
    kept.clear();
    release();
    throw error;
  }
  release();
  return kept;
}

/** The node holding the scores: the output, or with `logits` the pre-softmax node. */
export function scoreNode(graph: InferenceGraph, logits: boolean): string | undefined {
  return logits ? graph.logits : graph.output;
}

/** The model's scores for a batch through the graph, on the active tfjs backend. */
export function predictGraph(graph: InferenceGraph, batch: tf.Tensor4D, score: string): tf.Tensor2D {
  const nodes = ancestors(graph, score);
  const kept = runForward(nodes, new Map([[graph.input, batch]]), new Set([score]));
  return kept.get(score) as tf.Tensor2D;
}

/**
 * One capture through the graph on tfjs: the nodes before the explained one run once on the
 * N docs without a tape (fused kernels); the nodes after it run under tf.grad on N·K rows, the
 * explained output plus delta (see runTargetGradients), with each earlier value they read
 * repeated K times; one backward pass gives every target's dScore/dA.
 */
export function captureGraph(graph: InferenceGraph, docs: tf.Tensor4D, explained: GraphNode, score: string, options: CaptureOptions): BatchCapture {
  const nodes = ancestors(graph, score);
  const tailNames = new Set<string>();
  for (const n of nodes) if (n.inputs.some((i) => i === explained.name || tailNames.has(i))) tailNames.add(n.name);
  if (!nodes.includes(explained) || (tailNames.size === 0 && score !== explained.name)) {
    throw new NotDifferentiableError(
      `The gradient does not reach '${explained.name}': the model's ${score === graph.output ? 'output' : 'logits'} do not depend on it.`,
    );
  }
  const tail = nodes.filter((n) => tailNames.has(n.name));
  const prefix = nodes.filter((n) => !tailNames.has(n.name));
  // Earlier values the tail reads (a skip connection around the explained node).
  const crossing = new Set(tail.flatMap((n) => n.inputs.filter((i) => !tailNames.has(i) && i !== explained.name)));
  const kept = runForward(prefix, new Map([[graph.input, docs]]), new Set([explained.name, ...crossing]));
  if (kept.has(graph.input)) kept.delete(graph.input); // the docs themselves: not ours to dispose
  const constants = passConstants();
  const n = docs.shape[0];
  try {
    const activations = (explained.name === graph.input ? docs : kept.get(explained.name)) as tf.Tensor4D;
    return runTargetGradients(
      docs,
      options,
      (pass) => {
        const a = pass.inject(activations);
        const rows = a.shape[0];
        const values = new Map<string, tf.Tensor>([[explained.name, a]]);
        const earlier = (name: string) => {
          const t = name === graph.input ? docs : (kept.get(name) as tf.Tensor);
          return rows === n ? t : tf.gather(t, rowIndex(n, 1, rows / n));
        };
        for (const node of tail) {
          const inputs = node.inputs.map((i) => values.get(i) ?? earlier(i));
          values.set(node.name, differentiableNode(node, inputs, constants));
        }
        return values.get(score) as tf.Tensor2D;
      },
      explained.outputShape,
    );
  } finally {
    tf.dispose([...kept.values()]);
    disposePassConstants(constants);
  }
}
