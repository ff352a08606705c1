import {
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
import { runTargetGradients } from './target-gradients.js';

/** The parts of a tfjs-layers Layer the adapter uses (tfjs keeps them public but untyped here). */
interface LayerLike {
  name: string;
  getClassName(): string;
  outputShape: (number | null)[] | (number | null)[][];
  countParams(): number;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor | tf.Tensor[];
  activation?: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor } | null;
}

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

function singleShape(shape: LayerLike['outputShape']): (number | null)[] {
  return Array.isArray(shape[0]) ? (shape[0] as (number | null)[]) : (shape as (number | null)[]);
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
 * of one synchronous pass so that it returns `out + delta` (delta = zeros, one per target);
 * the gradient with respect to delta is the total derivative dScore/dA that TF's
 * GradientTape gives, skip connections included.
 */
export class LayersModelAdapter implements ExplainableModel {
  readonly specificationVersion = 'v1' as const;
  readonly name: string;
  readonly inputShape: readonly (number | null)[];
  readonly numClasses: number;
  readonly #model: LayersModel;

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
    if (outShape.length !== 2 || outShape[1] === null) {
      throw new InvalidInputError(`Grad-CAM needs a classifier output of shape [batch, classes]; ${model.name} outputs [${outShape.join(', ')}].`);
    }
    this.numClasses = outShape[1] as number;
  }

  layers(): LayerInfo[] {
    return (this.#model.layers as unknown as LayerLike[]).map((layer, index) => ({
      name: layer.name,
      className: layer.getClassName(),
      outputShape: singleShape(layer.outputShape),
      paramCount: layer.countParams(),
      index,
    }));
  }

  defaultLayer(): LayerInfo {
    return pickDefaultLayer(this.name, this.layers(), this.inputShape.length);
  }

  /** Patches the output layer so the model returns logits; returns the undo. */
  #stripFinalSoftmax(): () => void {
    const last = (this.#model.outputs[0] as unknown as { sourceLayer: LayerLike }).sourceLayer;
    const kind = last.getClassName();
    if (last.activation && last.activation.getClassName() === 'softmax') {
      return patch(last, 'activation', identityActivation);
    }
    const isSoftmaxLayer =
      kind === 'Softmax' || (kind === 'Activation' && (last as unknown as { activation: { getClassName(): string } }).activation?.getClassName() === 'softmax');
    if (isSoftmaxLayer) {
      return patch(last, 'call', ((inputs: tf.Tensor | tf.Tensor[]) => (Array.isArray(inputs) ? inputs[0] : inputs)) as LayerLike['call']);
    }
    throw new InvalidInputError(
      `logits: the last layer of ${this.name} ('${last.name}', ${kind}) does not end in softmax, so its output is already the score; explain without logits.`,
    );
  }

  capture(doc: tf.Tensor4D, info: LayerInfo, options: CaptureOptions): Capture {
    const layer = this.#model.layers[info.index] as unknown as LayerLike;
    if (layer === undefined || layer.name !== info.name) throw new NoSuchLayerError(`Layer '${info.name}' is not layer ${info.index} of ${this.name}.`);
    const model = this.#model;
    const undoSoftmax = options.logits ? this.#stripFinalSoftmax() : () => {};
    try {
      return runTargetGradients(
        doc,
        options,
        (x, delta, keepActivations) => {
          const original = layer.call;
          const undo = patch(layer, 'call', function (this: LayerLike, inputs, kwargs) {
            const out = original.call(this, inputs, kwargs);
            if (Array.isArray(out)) throw new NotDifferentiableError(`Layer '${info.name}' has several outputs; choose a layer with one output.`);
            keepActivations(out as tf.Tensor4D);
            return tf.add(out, delta);
          } as LayerLike['call']);
          try {
            return model.apply(x, { training: false }) as tf.Tensor2D;
          } finally {
            undo();
          }
        },
        info.outputShape,
      );
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
