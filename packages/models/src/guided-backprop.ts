import { InvalidInputError, InvalidTargetError, NotDifferentiableError } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { finalLayer, softmaxKind } from './final-softmax.js';

/** The fields of tfjs-layers layers this file patches. */
interface PatchableLayer {
  name: string;
  getClassName(): string;
  maxValue?: number | null;
  negativeSlope?: number;
  threshold?: number;
  activation?: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor } | null;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: unknown): tf.Tensor | tf.Tensor[];
  layers?: PatchableLayer[];
}

/**
 * ReLU (clipped at `max` when given) whose gradient is "guided" (Springenberg et al., "Striving
 * for Simplicity: The All Convolutional Net", arXiv 1412.6806): the incoming gradient passes only
 * where it is positive and where the forward input was in the ReLU's linear range.
 */
export function guidedRelu(x: tf.Tensor, max?: number | null): tf.Tensor {
  const op = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const value = tf.tidy(() => (max == null ? tf.relu(input) : tf.clipByValue(input, 0, max)));
    save([input]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [a] = saved;
        const open = max == null ? tf.greater(a, 0) : tf.logicalAnd(tf.greater(a, 0), tf.less(a, max));
        return tf.where(tf.logicalAnd(open, tf.greater(dy, 0)), dy, tf.zerosLike(dy));
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x);
}

function guidedActivation(name: string) {
  const max = name === 'relu6' ? 6 : null;
  return { getClassName: () => `guided_${name}`, apply: (x: tf.Tensor) => guidedRelu(x, max) };
}

function allLayers(layers: PatchableLayer[]): PatchableLayer[] {
  return layers.flatMap((l) => (Array.isArray(l.layers) ? [l, ...allLayers(l.layers)] : [l]));
}

/** Swaps every ReLU of the model (ReLU layers, relu/relu6 activations) for a guided one; returns the undo. */
function patchRelus(model: LayersModel): () => void {
  const undos: (() => void)[] = [];
  for (const layer of allLayers(model.layers as unknown as PatchableLayer[])) {
    if (layer.getClassName() === 'ReLU' && !layer.negativeSlope && !layer.threshold) {
      const had = Object.hasOwn(layer, 'call');
      const previous = layer.call;
      layer.call = (inputs) => guidedRelu(Array.isArray(inputs) ? inputs[0] : inputs, layer.maxValue);
      undos.push(() => {
        if (had) layer.call = previous;
        else delete (layer as Partial<PatchableLayer>).call;
      });
    }
    const activation = layer.activation?.getClassName();
    if (activation === 'relu' || activation === 'relu6') {
      const previous = layer.activation;
      // A class name tfjs cannot fuse into the convolution, so `apply` is called.
      layer.activation = guidedActivation(activation);
      undos.push(() => {
        layer.activation = previous;
      });
    }
  }
  return () => {
    for (const undo of undos.reverse()) undo();
  };
}

/** Options of guidedBackprop. */
export interface GuidedBackpropOptions {
  /** Class ids whose score is differentiated. */
  readonly targets: readonly number[];
  /** Differentiate the pre-softmax score (default false: the model output). */
  readonly logits?: boolean;
}

/**
 * Guided backpropagation for a tfjs LayersModel: d score_t / d input with every ReLU's gradient
 * gated as in Springenberg et al. (arXiv 1412.6806) — positive incoming gradients only, where
 * the ReLU was active. Returns [targets, H, W, C], one backward pass per target. The model is
 * patched for the duration of the call only. Needs a backend with gradients for every layer
 * (cpu, tensorflow, wasm).
 */
export function guidedBackprop(model: LayersModel, doc: tf.Tensor4D, options: GuidedBackpropOptions): tf.Tensor4D {
  const numClasses = model.outputs[0].shape[1] as number;
  if (doc.rank !== 4 || doc.shape[0] !== 1) throw new InvalidInputError(`guidedBackprop takes one image [1, h, w, c]; got [${doc.shape.join(', ')}].`);
  for (const t of options.targets) {
    if (!Number.isInteger(t) || t < 0 || t >= numClasses) throw new InvalidTargetError(`Target ${t} is not a class id 0 … ${numClasses - 1}.`);
  }
  const undoRelus = patchRelus(model);
  let undoSoftmax = () => {};
  try {
    if (options.logits) {
      const last = finalLayer(model) as unknown as PatchableLayer;
      const kind = softmaxKind(last as never);
      if (kind === 'activation') {
        const previous = last.activation;
        last.activation = { getClassName: () => 'linear', apply: (x) => x };
        undoSoftmax = () => {
          last.activation = previous;
        };
      } else if (kind === 'layer') {
        const previous = last.call;
        last.call = (inputs) => (Array.isArray(inputs) ? inputs[0] : inputs);
        undoSoftmax = () => {
          last.call = previous;
        };
      } else throw new InvalidInputError(`logits: ${model.name} does not end in softmax.`);
    }
    const grads = options.targets.map((target) =>
      tf.tidy(() => tf.grad((x: tf.Tensor) => tf.squeeze(tf.slice(model.apply(x, { training: false }) as tf.Tensor2D, [0, target], [1, 1])))(doc)),
    );
    try {
      return tf.concat(grads) as tf.Tensor4D;
    } finally {
      tf.dispose(grads);
    }
  } catch (error) {
    if (error instanceof Error && /Cannot compute gradient|gradient function not found/i.test(error.message)) {
      throw new NotDifferentiableError(`Guided backpropagation failed on backend '${tf.getBackend()}': ${error.message}`, { cause: error });
    }
    throw error;
  } finally {
    undoSoftmax();
    undoRelus();
  }
}
