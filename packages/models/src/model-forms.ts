import { type InferenceGraph, releaseGraph } from '@gradcam/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { backwardKernels } from './graph-ops.js';
import { buildInferenceForm, type FoldCache } from './inference-form.js';

let nextModelId = 0;

/**
 * A LayersModel's inference forms, built once per model and explained layer. Every tensor they
 * use (folded weights, batch-norm constants, backward kernels) is made when the adapter is created, so explain and
 * predict leave tf.memory() as they find it; the model's own dispose() frees them. When the
 * model's weights change (setWeights, the randomization check), the forms are rebuilt.
 */
export class ModelForms {
  readonly #model: LayersModel;
  readonly #id = `m${nextModelId++}`;
  #version = 0;
  #cache: FoldCache = new Map();
  #base: InferenceGraph;
  #byLayer = new Map<string, InferenceGraph>();
  #backward: Map<tf.Tensor, tf.Tensor> = new Map();
  /** The data of the weights the folds were made from: assign() and setWeights() replace it. */
  #sources: object[] = [];
  #disposed = false;

  readonly #fuse: boolean;
  #keepBackward = false;

  /** `fuse: false` builds one node per layer, nothing folded or fused (see InferenceFormOptions). */
  constructor(model: LayersModel, { fuse = true }: { readonly fuse?: boolean } = {}) {
    this.#model = model;
    this.#fuse = fuse;
    this.#base = this.#build();
    this.#hookDispose();
  }

  #weightData(): object[] {
    return (this.#model.weights as unknown as { read(): tf.Tensor }[]).map((w) => w.read().dataId);
  }

  #build(): InferenceGraph {
    this.#sources = this.#weightData();
    const base = buildInferenceForm(this.#model, { id: `${this.#id}.${this.#version}`, fuse: this.#fuse, cache: this.#cache, persist: true, scratch: [] });
    if (this.#keepBackward) this.#backward = backwardKernels(base);
    return base;
  }

  /** Rebuilds everything when any weight tensor was replaced since the last build; true when it did. */
  #refresh(): boolean {
    if (this.#disposed) return false;
    const now = this.#weightData();
    if (now.length === this.#sources.length && now.every((d, i) => d === this.#sources[i])) return false;
    this.#disposeCache();
    this.#version++;
    this.#byLayer = new Map();
    this.#base = this.#build();
    return true;
  }

  #disposeCache(): void {
    releaseGraph(this.id);
    for (const tensors of this.#cache.values()) tf.dispose(tensors);
    this.#cache = new Map();
    tf.dispose([...this.#backward.values()]);
    this.#backward = new Map();
  }

  /** Frees the folded weights when the model is disposed (tfjs' dispose, then ours). */
  #hookDispose(): void {
    const model = this.#model as unknown as { dispose(): unknown };
    const own = Object.hasOwn(model, 'dispose');
    const original = model.dispose;
    model.dispose = () => {
      const result = original.call(model);
      if (own) model.dispose = original;
      else delete (model as Partial<typeof model>).dispose;
      this.#disposed = true;
      this.#disposeCache();
      return result;
    };
  }

  /** The graph id prefix of this model's current weights (executors cache by graph id). */
  get id(): string {
    return `${this.#id}.${this.#version}`;
  }

  /** From now on, keeps the backward kernels with the forms (made now, and again on each rebuild). */
  keepBackwardKernels(): void {
    if (this.#keepBackward || this.#disposed) return;
    this.#keepBackward = true;
    // A rebuild (new weights) makes them with the forms; otherwise they are made for the forms as they are.
    if (!this.#refresh()) this.#backward = backwardKernels(this.#base);
  }

  /**
   * The kernels a gradient pass convolves with, by the form's kernel they come from (graph-ops'
   * backwardKernels), once keepBackwardKernels was called: freed with the forms. Empty before.
   */
  backward(): ReadonlyMap<tf.Tensor, tf.Tensor> {
    this.#refresh();
    return this.#backward;
  }

  /** The whole model's form (predict). */
  base(): InferenceGraph {
    this.#refresh();
    return this.#base;
  }

  /** The form whose node `explained` outputs exactly `layer`'s output (a layer path). */
  forLayer(layer: string): InferenceGraph {
    this.#refresh();
    let graph = this.#byLayer.get(layer);
    if (!graph) {
      const scratch: tf.Tensor[] = [];
      graph = buildInferenceForm(this.#model, { id: `${this.id}:${layer}`, keep: layer, fuse: this.#fuse, cache: this.#cache, persist: false, scratch });
      // The base build made every tensor a form can need.
      if (scratch.length > 0) {
        tf.dispose(scratch);
        throw new Error(`internal: the form for '${layer}' needed tensors the base form did not make`);
      }
      this.#byLayer.set(layer, graph);
    }
    return graph;
  }
}
