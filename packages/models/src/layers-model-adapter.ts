import {
  type BatchCapture,
  type Capture,
  type CaptureOptions,
  type ExplainableModel,
  InvalidInputError,
  type LayerInfo,
  type ModelAdapter,
  NoSuchLayerError,
  NotDifferentiableError,
  pickDefaultLayer,
} from '@gradcam/core';
import { type GraphExecutor, type GraphNode, graphExecutorFor, type InferenceGraph, scoreNode } from '@gradcam/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { finalLayer } from './final-softmax.js';
import { captureGraph, predictGraph, predictGraphAt } from './graph-run.js';
import { layerPaths } from './layer-calls.js';
import { ModelForms } from './model-forms.js';
import { singleCapture } from './target-gradients.js';
import { isRecordingGradients } from './tfjs-internals.js';

/** The parts of a tfjs-layers Layer the adapter lists. */
interface LayerLike {
  name: string;
  getClassName(): string;
  outputShape: (number | null)[] | (number | null)[][];
  countParams(): number;
}

/** True for a tfjs-layers LayersModel (duck-typed, so a second copy of tfjs-layers works too). */
export function isLayersModel(model: unknown): model is LayersModel {
  const m = model as LayersModel;
  return (
    typeof model === 'object' &&
    model !== null &&
    Array.isArray(m.layers) &&
    Array.isArray(m.inputs) &&
    typeof m.apply === 'function' &&
    typeof m.getLayer === 'function'
  );
}

/** A layer's output shape; for a nested model called in the outer graph, that call's shape. */
function outputShapeOf(layer: LayerLike): (number | null)[] {
  let shape: LayerLike['outputShape'];
  try {
    shape = layer.outputShape;
  } catch {
    // A nested Sequential has an inner node and an outer one, so tfjs calls its shape ambiguous.
    const nodes = (layer as unknown as { inboundNodes: { outputShapes: LayerLike['outputShape'] }[] }).inboundNodes;
    shape = nodes[nodes.length - 1].outputShapes;
  }
  return Array.isArray(shape[0]) ? (shape[0] as (number | null)[]) : (shape as (number | null)[]);
}

/** Options of a LayersModelAdapter made by hand (the registry's use the defaults). */
export interface LayersModelAdapterOptions {
  /**
   * false: run the model as tfjs-layers defines it, one node per layer — nothing folded or
   * fused, no graph executor (for comparisons; the numbers are the same up to float32 round-off).
   */
  readonly inferenceForm?: boolean;
  /** false: never hand the form to a registered GraphExecutor (run it op by op on tfjs). */
  readonly graphExecutor?: boolean;
}

/**
 * Grad-CAM access to a tfjs LayersModel through its inference form (see ModelForms): batch norms
 * folded, bias and activation fused, the explained layer's output exact. On a backend with a
 * registered GraphExecutor (tfjs-node: one TensorFlow session) the form runs there; elsewhere,
 * or when the executor cannot run the form, on tfjs ops: the layers up to the explained one once
 * without a tape, the rest under tf.grad with one row per image and target (see captureGraph).
 */
export class LayersModelAdapter implements ExplainableModel {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  readonly inputShape: readonly (number | null)[];
  readonly numClasses: number;
  readonly outputShape: readonly (number | null)[];
  readonly #model: LayersModel;
  /** Every layer, nested models searched through, with its path ('backbone/out_relu'). */
  readonly #flat: { layer: LayerLike; path: string }[];
  readonly #forms: ModelForms;
  /** Executor and reason of each refusal already reported, so each notice is printed once. */
  readonly #refused = new Set<string>();

  readonly #options: LayersModelAdapterOptions;

  constructor(model: LayersModel, options: LayersModelAdapterOptions = {}) {
    if (model.inputs.length !== 1 || model.outputs.length !== 1) {
      throw new InvalidInputError(
        `Grad-CAM needs a model with one input and one output; ${model.name} has ${model.inputs.length} inputs and ${model.outputs.length} outputs.`,
      );
    }
    this.#model = model;
    this.name = model.name;
    this.inputShape = model.inputs[0].shape;
    const outShape = model.outputs[0].shape;
    if (outShape.length < 2 || outShape.slice(1).some((d) => d === null)) {
      throw new InvalidInputError(
        `Grad-CAM needs an output of known shape per image ([batch, classes], [batch, h, w, classes], …); ${model.name} outputs [${outShape.join(', ')}].`,
      );
    }
    this.numClasses = outShape[outShape.length - 1] as number;
    this.outputShape = outShape;
    this.#flat = layerPaths(model.layers as unknown as LayerLike[]);
    this.#options = options;
    this.#forms = new ModelForms(model, { fuse: options.inferenceForm !== false });
  }

  /**
   * Makes the inference form's backward kernels now, kept with the model (see ModelForms.backward):
   * each gradient pass then reuses them instead of making its own. Not on a backend whose graph
   * executor differentiates on its own (TensorFlow's session on tfjs-node), not on tfjs' pure
   * JavaScript cpu backend (its transposes would make loading InceptionV3 take seconds, for a
   * pass that takes seconds anyway), nor without the form.
   */
  prepare(): void {
    if (this.#options.inferenceForm !== false && this.#registeredExecutor() === undefined && tf.getBackend() !== 'cpu') this.#forms.keepBackwardKernels();
  }

  /** The listing, made once: every explain resolves its layer in it. */
  #layers: readonly LayerInfo[] | undefined;

  layers(): LayerInfo[] {
    this.#layers ??= this.#flat.map(({ layer, path }, index) =>
      Object.freeze({
        name: path,
        className: layer.getClassName(),
        outputShape: Object.freeze(outputShapeOf(layer)),
        paramCount: layer.countParams(),
        index,
      }),
    );
    return [...this.#layers];
  }

  defaultLayer(): LayerInfo {
    return pickDefaultLayer(this.name, this.layers(), this.inputShape.length);
  }

  /** The node holding the scores, or a typed error when logits are asked of a model without a final softmax. */
  #scoreNode(graph: InferenceGraph, logits: boolean): string {
    const node = scoreNode(graph, logits);
    if (node !== undefined) return node;
    const last = finalLayer(this.#model);
    throw new InvalidInputError(
      `logits: the last layer of ${this.name} ('${last.name}', ${last.getClassName()}) does not end in softmax, so its output is already the score; explain without logits.`,
    );
  }

  /** The graph executor registered for the active backend, unless the options rule executors out. */
  #registeredExecutor(): GraphExecutor | undefined {
    return this.#options.inferenceForm === false || this.#options.graphExecutor === false ? undefined : graphExecutorFor(tf.getBackend());
  }

  /** The executor that will run `graph` on the active backend, if one is registered and accepts it. */
  #executor(graph: InferenceGraph): GraphExecutor | undefined {
    const executor = this.#registeredExecutor();
    if (!executor) return undefined;
    const reason = executor.unsupported(graph);
    if (reason === undefined) return executor;
    const key = `${executor.name}:${reason}`;
    if (!this.#refused.has(key)) {
      this.#refused.add(key);
      console.warn(`gradcam: ${executor.name} cannot run ${this.name} (${reason}); running it op by op on '${tf.getBackend()}'.`);
    }
    return undefined;
  }

  /** Undefined, after saying once that the executor for `graph` would run it but cannot run `what` (why). */
  #declined(graph: InferenceGraph, why: string): undefined {
    const executor = this.#executor(graph);
    const key = `${executor?.name}:${why}`;
    if (executor && !this.#refused.has(key)) {
      this.#refused.add(key);
      console.warn(`gradcam: ${executor.name} cannot run ${this.name} for this call (${why}); running it op by op on '${tf.getBackend()}'.`);
    }
    return undefined;
  }

  /** One image: captureBatch of a batch of one. */
  capture(doc: tf.Tensor4D, info: LayerInfo, options: CaptureOptions): Capture {
    return singleCapture(this.captureBatch(doc, info, options));
  }

  /** N images in one forward and one backward pass through the inference form for `info`'s layer. */
  captureBatch(docs: tf.Tensor4D, info: LayerInfo, options: CaptureOptions): BatchCapture {
    const { graph, explained } = this.#formFor(info);
    const score = this.#scoreNode(graph, options.logits);
    // Target functions run in JavaScript: such a capture stays on tfjs ops (said once per model).
    const executor = hasTargetFunction(options) ? this.#declined(graph, 'target functions are JavaScript') : this.#executor(graph);
    if (executor) return executor.captureBatch(graph, docs, { node: explained.name, logits: options.logits, targets: options.targets, maps: options.maps });
    return captureGraph(graph, docs, explained, score, options, this.#forms.backward());
  }

  /** The output for `doc` with the layer's output replaced by each row of `activations` (AblationCAM); no tape. */
  predictAt(doc: tf.Tensor4D, info: LayerInfo, activations: tf.Tensor4D, options: { readonly logits: boolean }): tf.Tensor {
    const { graph, explained } = this.#formFor(info);
    return predictGraphAt(graph, doc, explained, this.#scoreNode(graph, options.logits), activations);
  }

  /** The form for an explained layer and its explained node, checked: the layer is this model's, and called once. */
  #formFor(info: LayerInfo): { graph: InferenceGraph; explained: GraphNode } {
    const entry = this.#flat[info.index];
    if (entry === undefined || entry.path !== info.name) throw new NoSuchLayerError(`Layer '${info.name}' is not layer ${info.index} of ${this.name}.`);
    const form = this.#forms.forLayer(info.name);
    const calls = form.nodes.filter((n) => n.layers.includes(info.name)).length;
    if (form.explained === undefined || calls > 1) {
      throw new NotDifferentiableError(
        calls > 1
          ? `Layer '${info.name}' is called ${calls} times in ${this.name}, so its output is not one tensor; choose a layer that is called once.`
          : `Layer '${info.name}' has no output of its own in ${this.name}'s graph; choose another layer.`,
      );
    }
    return { graph: form, explained: form.nodes.find((n) => n.name === form.explained) as GraphNode };
  }

  /** The model's scores for a batch through the inference form (logits: the pre-softmax scores). */
  predict(batch: tf.Tensor4D, options: { readonly logits: boolean }): tf.Tensor2D {
    const graph = this.#forms.base();
    const score = this.#scoreNode(graph, options.logits);
    // Under a gradient tape (Integrated Gradients, SmoothGrad differentiate predict), tfjs ops
    // that the tape records: a graph executor's session has no gradient.
    const executor = isRecordingGradients() ? undefined : this.#executor(graph);
    if (executor) return executor.predict(graph, batch, options);
    return predictGraph(graph, batch, score);
  }
}

/** Whether the targets include a target function (not just class ids or top-k). */
function hasTargetFunction(options: CaptureOptions): boolean {
  return Array.isArray(options.targets) && options.targets.some((t) => typeof t !== 'number');
}

/** The registry entry for tfjs-layers models. */
export const layersModelAdapter: ModelAdapter = {
  name: 'layers-model',
  canAdapt: isLayersModel,
  adapt: (model) => new LayersModelAdapter(model as LayersModel),
};
