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
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { differentiableCall, inferenceCall } from './differentiable-layers.js';
import { finalLayer, softmaxKind } from './final-softmax.js';
import { predictWithLayerOutput } from './predict-at.js';
import { runTargetGradients, singleCapture } from './target-gradients.js';

/** The parts of a tfjs-layers Layer the adapter uses (tfjs keeps them public but untyped here). */
interface LayerLike {
  name: string;
  getClassName(): string;
  outputShape: (number | null)[] | (number | null)[][];
  countParams(): number;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor | tf.Tensor[];
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor | tf.Tensor[];
  activation?: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor } | null;
}

/**
 * A second tensor on the same data, made without running a kernel: no copy, and nothing for
 * the gradient tape to record (tf.reshape or tf.clone would be recorded, and the tape saves a
 * copy of each recorded op's input). Falls back to tf.reshape on a backend without incRef.
 */
function alias(t: tf.Tensor): tf.Tensor {
  const engine = tf.engine() as unknown as {
    backend: { incRef?(dataId: object): void };
    makeTensorFromTensorInfo?(info: tf.TensorInfo): tf.Tensor;
  };
  if (typeof engine.backend.incRef !== 'function' || typeof engine.makeTensorFromTensorInfo !== 'function') return tf.reshape(t, t.shape);
  engine.backend.incRef(t.dataId);
  return engine.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype });
}

/** Thrown by the chosen layer to end the prefix pass early; never escapes the adapter. */
const PREFIX_DONE = Symbol('prefix done');

const identityActivation = { getClassName: () => 'linear', apply: (x: tf.Tensor) => x };

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

/**
 * Lists layers depth-first: a nested model (a functional MobileNet inside a Sequential, as
 * Teachable Machine exports) appears as itself, then its own layers named by path.
 */
function flattenLayers(layers: LayerLike[], prefix: string): { layer: LayerLike; path: string }[] {
  return layers.flatMap((layer) => {
    const own = { layer, path: prefix + layer.name };
    const nested = (layer as unknown as { layers?: LayerLike[] }).layers;
    return Array.isArray(nested) ? [own, ...flattenLayers(nested, `${own.path}/`)] : [own];
  });
}

/**
 * The kept layers whose output a layer outside the kept ones reads (a skip connection around the
 * chosen layer): on the repeated-input retry only these need their rows repeated.
 */
function readAfterPrefix(prefix: Map<LayerLike, tf.Tensor>): Set<LayerLike> {
  type Node = { outboundLayer: LayerLike };
  const readers = (l: LayerLike) => (l as unknown as { outboundNodes: Node[] }).outboundNodes.map((n) => n.outboundLayer);
  return new Set([...prefix.keys()].filter((l) => readers(l).some((reader) => !prefix.has(reader))));
}

/** Temporarily replaces a method or field of an object; returns the undo. */
function patch<T extends object, K extends keyof T>(target: T, key: K, value: T[K]): () => void {
  const own = Object.hasOwn(target, key);
  const previous = target[key];
  target[key] = value;
  return () => {
    if (own) target[key] = previous;
    else delete target[key];
  };
}

/**
 * Grad-CAM access to a tfjs LayersModel. The chosen layer's `call` is wrapped for the duration
 * of one synchronous pass so that it returns `out + delta` (delta = zeros, one row per image
 * and target); the gradient with respect to delta is the total derivative dScore/dA that TF's
 * GradientTape gives, skip connections included. N images share one pass (captureBatch).
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

  constructor(model: LayersModel) {
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
    this.#flat = flattenLayers(model.layers as unknown as LayerLike[], '');
  }

  layers(): LayerInfo[] {
    return this.#flat.map(({ layer, path }, index) => ({
      name: path,
      className: layer.getClassName(),
      outputShape: outputShapeOf(layer),
      paramCount: layer.countParams(),
      index,
    }));
  }

  defaultLayer(): LayerInfo {
    return pickDefaultLayer(this.name, this.layers(), this.inputShape.length);
  }

  /** Patches the output layer so the model returns logits; returns the undo. */
  #stripFinalSoftmax(): () => void {
    const last = finalLayer(this.#model) as unknown as LayerLike;
    switch (softmaxKind(last)) {
      case 'activation':
        return patch(last, 'activation', identityActivation);
      case 'layer':
        return patch(last, 'call', ((inputs: tf.Tensor | tf.Tensor[]) => (Array.isArray(inputs) ? inputs[0] : inputs)) as LayerLike['call']);
      default:
        throw new InvalidInputError(
          `logits: the last layer of ${this.name} ('${last.name}', ${last.getClassName()}) does not end in softmax, so its output is already the score; explain without logits.`,
        );
    }
  }

  /**
   * Runs the model up to the chosen layer (index in #flat) as predict does — tfjs-layers' fused
   * kernels (capped ReLUs as one clip, see inferenceCall), no gradient tape — and keeps each
   * layer's output on the way (`onlyChosen`: the chosen layer's alone, so the others' memory is
   * reused as in predict). Undefined when the shortcut does not apply (a layer called twice, or
   * the chosen layer never reached).
   */
  #runPrefix(doc: tf.Tensor4D, index: number, onlyChosen: boolean): Map<LayerLike, tf.Tensor> | undefined {
    const cache = new Map<LayerLike, tf.Tensor>();
    const seen = new Set<LayerLike>();
    let reused = false;
    const chosen = this.#flat[index].layer;
    const undos = this.#flat.slice(0, index + 1).map(({ layer }) => {
      const original = inferenceCall(layer) ?? layer.call;
      return patch(layer, 'call', function (this: LayerLike, inputs, kwargs) {
        const out = original.call(this, inputs, kwargs);
        if (!Array.isArray(out)) {
          if (seen.has(layer)) reused = true;
          seen.add(layer);
          // A second handle on the same data: tfjs-layers' executor disposes intermediate
          // outputs explicitly, kept or not.
          if (!reused && (layer === chosen || !onlyChosen)) cache.set(layer, tf.keep(alias(out)));
        }
        if (layer === chosen) throw PREFIX_DONE;
        return out;
      } as LayerLike['call']);
    });
    try {
      tf.tidy(() => {
        this.#model.apply(doc, { training: false });
      });
    } catch (error) {
      if (error !== PREFIX_DONE) {
        tf.dispose([...cache.values()]);
        throw error;
      }
    } finally {
      for (const undo of undos) undo();
    }
    if (reused || !cache.has(chosen)) {
      tf.dispose([...cache.values()]);
      return undefined;
    }
    return cache;
  }

  /**
   * The layers after `chosen` when they form a plain chain to the model's output — each called
   * once, on the previous one's output only, none of them a nested model — as after MobileNet's
   * last activation (pooling, dense head). Undefined otherwise.
   */
  #tailChain(chosen: LayerLike): LayerLike[] | undefined {
    type Node = { inboundLayers: LayerLike[] };
    const nodesOf = (l: LayerLike) => (l as unknown as { inboundNodes: Node[] }).inboundNodes;
    const top = this.#model.layers as unknown as LayerLike[];
    const at = top.indexOf(chosen);
    if (at < 0 || nodesOf(chosen).length !== 1) return undefined;
    const chain = top.slice(at + 1);
    let previous = chosen;
    for (const l of chain) {
      const nodes = nodesOf(l);
      if ('layers' in l || nodes.length !== 1 || nodes[0].inboundLayers.length !== 1 || nodes[0].inboundLayers[0] !== previous) return undefined;
      previous = l;
    }
    const output = (this.#model.outputs[0] as unknown as { sourceLayer: LayerLike }).sourceLayer;
    return chain.length > 0 && previous === output ? chain : undefined;
  }

  /** One image: captureBatch of a batch of one. */
  capture(doc: tf.Tensor4D, info: LayerInfo, options: CaptureOptions): Capture {
    return singleCapture(this.captureBatch(doc, info, options));
  }

  /**
   * N images in one pass: the layers up to the chosen one run once on the batch (fused, no
   * tape), the rest once with N·targets rows, then one backward pass.
   */
  captureBatch(docs: tf.Tensor4D, info: LayerInfo, options: CaptureOptions): BatchCapture {
    const layer = this.#flat[info.index]?.layer;
    if (layer === undefined || this.#flat[info.index].path !== info.name)
      throw new NoSuchLayerError(`Layer '${info.name}' is not layer ${info.index} of ${this.name}.`);
    const model = this.#model;
    const flat = this.#flat;
    // A plain chain after the layer needs only the layer's own output from the prefix pass.
    const tail = this.#tailChain(layer);
    const prefix = this.#runPrefix(docs, info.index, tail !== undefined);
    const chain = prefix ? tail : undefined;
    const readLater = prefix && !chain ? readAfterPrefix(prefix) : undefined;
    const undoSoftmax = options.logits ? this.#stripFinalSoftmax() : () => {};
    // The prefix pass above ran tfjs-layers' own fused calls. From here on every layer gets its
    // gradient-friendly call: the ones before the chosen layer only compute when their kept
    // output cannot be reused (a shared layer), and then tf.batchNorm without γ would break the
    // taped pass.
    const owned: tf.Tensor[] = [];
    const undoCalls = flat.flatMap(({ layer: l }) => {
      const call = differentiableCall(l, owned);
      return call ? [patch(l, 'call', call as LayerLike['call'])] : [];
    });
    try {
      return runTargetGradients(
        docs,
        options,
        (pass) => {
          // A kept output of the un-repeated docs, as the pass' input needs it: another handle
          // on the same data, or (the repeated-input retry) each row repeated.
          const reuse = (t: tf.Tensor) => (pass.repeats === 1 ? alias(t) : pass.repeatRows(t));
          const kept = prefix?.get(layer);
          if (chain && kept) {
            // A plain chain after the layer (the default layer's pooling and head): run just
            // those layers, not tfjs-layers' executor over the whole graph.
            let y: tf.Tensor | tf.Tensor[] = pass.inject(reuse(kept) as tf.Tensor4D);
            for (const l of chain) y = l.apply(y, { training: false });
            return y as tf.Tensor2D;
          }
          const undos = prefix
            ? flat.slice(0, info.index).flatMap(({ layer: l }) => {
                const out = prefix.get(l);
                if (out === undefined) return [];
                // Only outputs read after the chosen layer must have the pass' rows; the others
                // feed kept layers, which ignore their inputs.
                const own = readLater?.has(l) ? () => reuse(out) : () => alias(out);
                // `apply`, not `call`: skips tfjs-layers' per-layer bookkeeping as well.
                return [patch(l, 'apply', own as LayerLike['apply'])];
              })
            : [];
          const original = layer.call;
          undos.push(
            patch(layer, 'call', function (this: LayerLike, inputs, kwargs) {
              const out = kept ? reuse(kept) : original.call(this, inputs, kwargs);
              if (Array.isArray(out)) throw new NotDifferentiableError(`Layer '${info.name}' has several outputs; choose a layer with one output.`);
              return pass.inject(out as tf.Tensor4D);
            } as LayerLike['call']),
          );
          try {
            return model.apply(pass.input, { training: false }) as tf.Tensor2D;
          } finally {
            for (const undo of undos.reverse()) undo();
          }
        },
        info.outputShape,
        // N > 1 images' N·K rows cannot meet an earlier branch's N rows: repeat the input at once.
        { repeatFirst: docs.shape[0] > 1 && [...(readLater ?? [])].some((l) => l !== layer) },
      );
    } finally {
      for (const undo of undoCalls) undo();
      undoSoftmax();
      tf.dispose(owned);
      if (prefix) tf.dispose([...prefix.values()]);
    }
  }

  /** The output for `doc` with the layer's output replaced by each row of `activations` (AblationCAM). */
  predictAt(doc: tf.Tensor4D, info: LayerInfo, activations: tf.Tensor4D, options: { readonly logits: boolean }): tf.Tensor {
    const entry = this.#flat[info.index];
    if (entry === undefined || entry.path !== info.name) throw new NoSuchLayerError(`Layer '${info.name}' is not layer ${info.index} of ${this.name}.`);
    const undoSoftmax = options.logits ? this.#stripFinalSoftmax() : () => {};
    try {
      return predictWithLayerOutput(this.#model, entry.layer, doc, activations);
    } finally {
      undoSoftmax();
    }
  }

  /** The model's scores for a batch, as predict gives them (logits: with the final softmax stripped). */
  predict(batch: tf.Tensor4D, options: { readonly logits: boolean }): tf.Tensor2D {
    const undoSoftmax = options.logits ? this.#stripFinalSoftmax() : () => {};
    try {
      return tf.tidy(() => this.#model.apply(batch, { training: false }) as tf.Tensor2D);
    } finally {
      undoSoftmax();
    }
  }
}

/** The registry entry for tfjs-layers models. */
export const layersModelAdapter: ModelAdapter = {
  name: 'layers-model',
  canAdapt: isLayersModel,
  adapt: (model) => new LayersModelAdapter(model as LayersModel),
};
