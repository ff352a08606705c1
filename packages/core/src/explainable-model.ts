import type { Tensor, Tensor3D, Tensor4D } from '@tensorflow/tfjs-core';
import type { Target, TargetSpec } from './targets.js';

export type { Target, TargetSpec } from './targets.js';

/** Describes one layer (or graph node) that a CAM can be computed at. */
export interface LayerInfo {
  /** Layer name; nested layers are named by path, e.g. 'mobilenet/out_relu'. */
  readonly name: string;
  /** Keras class name ('Conv2D', 'ReLU', …) or graph op ('Relu6', …). */
  readonly className: string;
  /** Output shape with the batch axis as null. */
  readonly outputShape: readonly (number | null)[];
  /** Number of weights the layer owns. */
  readonly paramCount: number;
  /** Position in the model's layer list. */
  readonly index: number;
}

/** Options of one capture. */
export interface CaptureOptions {
  /** Explain the pre-softmax score instead of the model output. */
  readonly logits: boolean;
  /** Which classes (or target functions) to explain. */
  readonly targets: TargetSpec;
  /**
   * Optional (added to 'v1' compatibly): the capture may also return these maps (`maps`) when it
   * can compute them where the model runs, e.g. inside a TensorFlow graph. 'gradcam': ELI5's
   * Grad-CAM, post-processed — ReLU(Σ_k w_k·A_k) / (max + 1e-7), w = mean_ij(G / ‖G‖₂) per row.
   */
  readonly maps?: 'gradcam';
}

/** What one forward + one (batched) backward pass yields. The caller disposes it. */
export interface Capture {
  /** The layer's output for the input, [1, h, w, c]. */
  readonly activations: Tensor4D;
  /** The output the targets were scored on, [1, classes] for a classifier (logits when `logits` was set). */
  readonly scores: Tensor;
  /** The model's own output, [1, classes] for a classifier. */
  readonly outputs: Tensor;
  /** The explained targets, in order: class ids (top-k resolved) and target functions. */
  readonly targets: readonly Target[];
  /** dScore_t / dActivations for each target t, [targets, h, w, c]: total derivatives. */
  readonly gradients: Tensor4D;
  /** The maps `options.maps` asked for, [targets, h, w], when the adapter computed them. */
  readonly maps?: Tensor3D;
  dispose(): void;
}

/**
 * What one batched forward + one batched backward pass over N images yields (captureBatch).
 * Image i's rows come first for image 0, then image 1, … (image-major). The caller disposes it.
 */
export interface BatchCapture {
  /** The layer's output for each image, [N, h, w, c]. */
  readonly activations: Tensor4D;
  /** The output the targets were scored on, [N, classes] for a classifier (logits when `logits` was set). */
  readonly scores: Tensor;
  /** The model's own output, [N, classes] for a classifier. */
  readonly outputs: Tensor;
  /** The explained targets of each image, in order: `targets[i]` for image i (top-k: its own best classes). */
  readonly targets: readonly (readonly Target[])[];
  /**
   * dScore/dActivations, [Σ_i targets[i].length, h, w, c], image-major: image i's rows start at
   * Σ_{j<i} targets[j].length (row i·K + k for K targets per image), one per target, total derivatives.
   */
  readonly gradients: Tensor4D;
  /** The maps `options.maps` asked for, one per gradient row [rows, h, w], when the adapter computed them. */
  readonly maps?: Tensor3D;
  dispose(): void;
}

/**
 * The contract between the explain pipeline and a kind of model (version 'v1').
 * A plugin adds a model kind by implementing it and calling `registerModelAdapter`.
 */
export interface ExplainableModel {
  readonly specificationVersion: 'v1';
  /** Model name (ELI5's estimator). */
  readonly name: string;
  /** Input shape with the batch axis as null, e.g. [null, 224, 224, 3]. */
  readonly inputShape: readonly (number | null)[];
  /** Number of output classes (the output's last axis). */
  readonly numClasses: number;
  /**
   * Optional (added to 'v1' compatibly): the output shape with the batch axis as null; absent
   * means [null, numClasses]. Class-id targets need a [batch, classes] output; other outputs
   * (segmentation, detection) are explained through target functions.
   */
  readonly outputShape?: readonly (number | null)[];
  /** Layers a CAM can be computed at, in model order. */
  layers(): LayerInfo[];
  /** ELI5's rule: from the end, the first layer whose output rank equals the input rank. */
  defaultLayer(): LayerInfo;
  /** Runs the model on `doc` and differentiates the targets' scores w.r.t. `layer`'s output. */
  capture(doc: Tensor4D, layer: LayerInfo, options: CaptureOptions): Capture;
  /**
   * Optional (added to 'v1' compatibly): `capture` for N images [N, h, w, c] at once — one
   * forward and one backward pass over the batch. `options.targets` applies to each image
   * (explicit ids: the same for every image; `{ top: k }`: each image's own k best classes).
   * explainBatch uses it when present, and explains image by image with `capture` otherwise.
   */
  captureBatch?(docs: Tensor4D, layer: LayerInfo, options: CaptureOptions): BatchCapture;
  /**
   * Optional (added to 'v1' compatibly): the model's scores for a batch of preprocessed images
   * [n, h, w, c] → [n, classes] — the model output, or the pre-softmax scores with `logits`.
   * Synchronous, callable inside tf.tidy. Score-CAM, Occlusion and the metrics need it; Integrated
   * Gradients and SmoothGrad differentiate it with respect to `batch` (tf.grad), so it must be
   * differentiable for them.
   */
  predict?(batch: Tensor4D, options: { readonly logits: boolean }): Tensor;
  /**
   * Optional (added to 'v1' compatibly): the model's output for one image `doc` [1, h, w, c] when
   * `layer`'s output is replaced by each row of `activations` [n, h', w', c'] → [n, …] (the rest
   * of the model run on those rows, skip connections fed from `doc`). No gradient tape. AblationCAM
   * needs it.
   */
  predictAt?(doc: Tensor4D, layer: LayerInfo, activations: Tensor4D, options: { readonly logits: boolean }): Tensor;
  /**
   * Optional (added to 'v1' compatibly): makes once what later calls would otherwise make in each
   * call (tensors kept with the model and freed with it), so that they run faster. A model loader
   * calls it (gradcam's loadModel does); a model explained without it leaves tf.memory() as each
   * call found it. Calling it again does nothing.
   */
  prepare?(): void;
}
