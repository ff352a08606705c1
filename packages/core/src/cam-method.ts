import type * as tf from '@tensorflow/tfjs-core';
import type { Target } from './targets.js';

/** Progress of a method that runs the model many times (Score-CAM): `done` of `total` forward passes' inputs. */
export type CamProgress = (done: number, total: number) => void;

/**
 * What a CAM method gets from the explain pipeline. Tensors belong to the pipeline: a method
 * reads them and never disposes them.
 */
export interface CamInputs {
  /** The layer's output for the image, [1, h, w, c]. */
  readonly activations: tf.Tensor4D;
  /**
   * dScore_t/dA for each target t, [targets, h, w, c]: raw total derivatives (negated when
   * `counterfactual` is set). Present for every method; only gradient methods read it.
   */
  readonly gradients: tf.Tensor4D;
  /** The explained targets (class ids, target functions), in the order of the gradients' rows. */
  readonly targets: readonly Target[];
  /** The preprocessed image, [1, H, W, C]. */
  readonly input: tf.Tensor4D;
  /**
   * Runs the model on a batch of preprocessed images [n, H, W, C] and returns the scores
   * [n, classes] (logits when the explanation is of logits). Undefined when the model's
   * adapter cannot predict (it has no `predict`).
   */
  readonly score?: (batch: tf.Tensor4D) => tf.Tensor2D;
  /**
   * The targets' scores on a batch of preprocessed images [n, H, W, C] → [n, targets] (each row
   * scored by every target, target functions included). Undefined when the adapter cannot predict.
   */
  readonly scoreTargets?: (batch: tf.Tensor4D) => tf.Tensor2D;
  /**
   * ∂score/∂input of target `targets[t]` for each image of a batch [n, H, W, C] → [n, H, W, C],
   * through the adapter's `predict` (Integrated Gradients, SmoothGrad). Undefined without predict.
   */
  readonly inputGradients?: (batch: tf.Tensor4D, t: number) => tf.Tensor4D;
  /**
   * The targets' scores when the layer's output is replaced by each row of `activations`
   * [n, h, w, c] → [n, targets] (AblationCAM). Undefined when the adapter has no `predictAt`.
   */
  readonly scoreAt?: (activations: tf.Tensor4D) => tf.Tensor2D;
  /** How many images one model call may take (Score-CAM's chunk of masks). */
  readonly batchSize: number;
  /** Called after each chunk of model calls. */
  readonly onProgress?: CamProgress;
}

/**
 * A method's raw result, before ReLU and normalisation, in one of three shapes:
 * - `weights` [targets, c]: the map is Σ_k w_k·A_k (CAM, Grad-CAM, Grad-CAM++, Score-CAM…);
 * - `contributions` [targets, h, w, c]: the map is their sum over channels (HiResCAM, LayerCAM…);
 * - `maps` [targets, h, w]: the map itself (Eigen-CAM…).
 * With `eigenSmooth`, the first two are projected on their first principal component instead
 * of summed (pytorch-grad-cam's `eigen_smooth`). The pipeline disposes the returned tensor.
 */
export type CamResult =
  | { readonly weights: tf.Tensor2D; readonly contributions?: undefined; readonly maps?: undefined }
  | { readonly contributions: tf.Tensor4D; readonly weights?: undefined; readonly maps?: undefined }
  | { readonly maps: tf.Tensor3D; readonly weights?: undefined; readonly contributions?: undefined };

/**
 * A class activation mapping method. Register more with `registerCamMethod`. A method returns
 * raw maps; the pipeline applies ReLU (unless `relu: false`) and the normalisation.
 */
export interface CamMethod {
  /** Identifier used in options and on the command line, e.g. 'gradcam++'. */
  readonly id: string;
  /** Display name, reported as `Explanation.method`, e.g. 'Grad-CAM++'. */
  readonly displayName: string;
  /** One line: the formula and the paper. */
  readonly description: string;
  /** Reads `gradients` (so `counterfactual` means something for it). */
  readonly usesGradients: boolean;
  /** Runs the model on modified inputs through `score` (needs an adapter with `predict`). */
  readonly usesModel: boolean;
  /**
   * How `normalize: 'max'` divides: 'relative' (default) by the map's own max|map| (and
   * 'minmax' by its own range), so every map peaks at 1 however small its raw values; 'keras'
   * by max + 1e-7, ELI5's division, kept for ELI5's Grad-CAM alone.
   */
  readonly scaling?: 'relative' | 'keras';
  /**
   * Scores the model runs on modified inputs from the pre-softmax outputs when the model ends
   * in softmax and the caller did not set `logits` (Score-CAM: on probabilities its weights are
   * nearly flat).
   */
  readonly prefersLogits?: boolean;
  /**
   * 'input' for attribution methods whose map is at the input's resolution and does not depend
   * on the layer (Integrated Gradients, SmoothGrad, Occlusion); default 'layer'.
   */
  readonly resolution?: 'layer' | 'input';
  compute(inputs: CamInputs): CamResult | Promise<CamResult>;
}
