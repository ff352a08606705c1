import type { BatchCapture, CaptureOptions } from '@gradcam/core';
import { type GraphNode, type GraphSplit, gradCamRows, graphAncestors, type InferenceGraph, splitAtExplained } from '@gradcam/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import { differentiableNode, disposePassConstants, forwardNode, type PassConstants, passConstants } from './graph-ops.js';
import { rowIndex, runTargetGradients } from './target-gradients.js';

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

/** The model's scores for a batch through the graph, on the active tfjs backend. */
export function predictGraph(graph: InferenceGraph, batch: tf.Tensor4D, score: string): tf.Tensor2D {
  const nodes = graphAncestors(graph, score);
  const kept = runForward(nodes, new Map([[graph.input, batch]]), new Set([score]));
  return kept.get(score) as tf.Tensor2D;
}

/**
 * Step 2: the prefix on the N docs, once, without a tape (fused kernels), keeping the explained
 * output and the crossing values (the docs themselves are never among what is returned).
 */
function runPrefix(graph: InferenceGraph, split: GraphSplit, docs: tf.Tensor4D, explained: string): Map<string, tf.Tensor> {
  const kept = runForward(split.prefix, new Map([[graph.input, docs]]), new Set([explained, ...split.crossing]));
  kept.delete(graph.input);
  return kept;
}

/**
 * Step 3, inside the gradient pass: the tail on the rows `a` has (N, or N·K), each crossing value
 * repeated to those rows, with input-only gradients; returns the scores.
 */
function forwardTail(
  split: GraphSplit,
  a: tf.Tensor,
  explained: string,
  earlierValue: (name: string) => tf.Tensor,
  score: string,
  constants: PassConstants,
): tf.Tensor {
  const rows = a.shape[0];
  const values = new Map<string, tf.Tensor>([[explained, a]]);
  // A value from before the explained node, repeated to this pass' rows once however many nodes read it.
  const earlier = (name: string) => {
    const t = earlierValue(name);
    const repeated = rows === t.shape[0] ? t : tf.gather(t, rowIndex(t.shape[0], 1, rows / t.shape[0]));
    values.set(name, repeated);
    return repeated;
  };
  for (const node of split.tail) {
    const inputs = node.inputs.map((i) => values.get(i) ?? earlier(i));
    values.set(node.name, differentiableNode(node, inputs, constants));
  }
  return values.get(score) as tf.Tensor;
}

/** Step 4, when asked: every row's Grad-CAM map at once (CaptureOptions.maps), owned by the capture. */
function withGradCamMaps(capture: BatchCapture): BatchCapture {
  const perImage = capture.gradients.shape[0] / capture.activations.shape[0];
  const maps = gradCamRows(capture.activations, capture.gradients, perImage);
  return {
    activations: capture.activations,
    scores: capture.scores,
    outputs: capture.outputs,
    gradients: capture.gradients,
    maps,
    // Not copied: the ids may be read lazily, after the pass (see runTargetGradients).
    get targets() {
      return capture.targets;
    },
    dispose() {
      maps.dispose();
      capture.dispose();
    },
  };
}

/**
 * Steps 1 and 2 for a pass over `docs`: the graph split at `explained`, its prefix run once
 * without a tape, then `body` with the tail's inputs — `tail(a)` runs the tail from the explained
 * output `a` (any multiple of the docs' rows) to the scores — and the prefix's explained output.
 * What the prefix kept and the pass' constants are freed when `body` returns.
 */
function afterPrefix<T>(
  graph: InferenceGraph,
  docs: tf.Tensor4D,
  explained: GraphNode,
  score: string,
  body: (tail: (a: tf.Tensor) => tf.Tensor, activations: tf.Tensor4D) => T,
  backward?: ReadonlyMap<tf.Tensor, tf.Tensor>,
): T {
  const split = splitAtExplained(graph, explained, score);
  const kept = runPrefix(graph, split, docs, explained.name);
  const constants = passConstants(backward);
  const prefixValue = (name: string) => (name === graph.input ? docs : (kept.get(name) as tf.Tensor));
  try {
    return body((a) => forwardTail(split, a, explained.name, prefixValue, score, constants), prefixValue(explained.name) as tf.Tensor4D);
  } finally {
    tf.dispose([...kept.values()]);
    disposePassConstants(constants);
  }
}

/**
 * The scores for `doc` [1, …] with the explained node's output replaced by each row of
 * `activations` [n, h, w, c]: the prefix runs once on the doc (its skip values repeated to n
 * rows), the tail on the given rows; no tape. AblationCAM's predictAt.
 */
export function predictGraphAt(graph: InferenceGraph, doc: tf.Tensor4D, explained: GraphNode, score: string, activations: tf.Tensor4D): tf.Tensor {
  return afterPrefix(graph, doc, explained, score, (tail) => tf.tidy(() => tail(activations)));
}

/**
 * One capture through the graph on tfjs, in named steps: split at the explained node; run the
 * prefix once on the N docs without a tape; then, under tf.grad (runTargetGradients), the tail on
 * N·K rows from the explained output plus delta — one backward pass gives every target's dScore/dA.
 * `backward`: the model's backward kernels (graph-ops' backwardKernels), else made in the pass.
 */
export function captureGraph(
  graph: InferenceGraph,
  docs: tf.Tensor4D,
  explained: GraphNode,
  score: string,
  options: CaptureOptions,
  backward?: ReadonlyMap<tf.Tensor, tf.Tensor>,
): BatchCapture {
  return afterPrefix(
    graph,
    docs,
    explained,
    score,
    (tail, activations) => {
      // The prefix's output gives the explained node's shape, also for an input of unknown size (no probe pass).
      const capture = runTargetGradients(docs, options, (pass) => tail(pass.inject(activations)), activations.shape);
      return options.maps === 'gradcam' ? withGradCamMaps(capture) : capture;
    },
    backward,
  );
}
