import * as tf from '@tensorflow/tfjs-core';
import { type CamNormalization, camMaps, checkNormalization } from './cam-maps.js';
import type { CamMethod, CamProgress } from './cam-method.js';
import { getCamMethod } from './cam-methods.js';
import { InvalidInputError, InvalidTargetError } from './errors.js';
import type { Capture, ExplainableModel, TargetSpec } from './explainable-model.js';
import { type LayerRef, resolveLayer } from './layer-selection.js';
import { toExplainableModel } from './registry.js';
import type { Explanation, RgbaImage, TargetExplanation } from './types.js';

/** Options of explain(). */
export interface ExplainOptions {
  /** Class ids to explain, a single id, or `{ top: k }`; default: the predicted class. */
  readonly targets?: TargetSpec | number;
  /** Layer to explain at; default: ELI5's automatic choice. */
  readonly layer?: LayerRef;
  /** Explain the pre-softmax score (the model itself is not changed). */
  readonly logits?: boolean;
  /** The input image, kept in the Explanation for formatting. */
  readonly image?: RgbaImage;
  /** Class labels, indexed by class id. */
  readonly labels?: readonly string[];
  /** CAM method: a registered id (see listCamMethods(); default 'gradcam', ELI5's) or a CamMethod. */
  readonly method?: string | CamMethod;
  /** Keep only positive evidence (default true). false keeps negative evidence: the map is signed. */
  readonly relu?: boolean;
  /** Negate the gradients: the map shows what speaks against the class (gradient methods only). */
  readonly counterfactual?: boolean;
  /** 'max' (default, ELI5), 'minmax', or false for the raw map. */
  readonly normalize?: CamNormalization;
  /** Project the weighted activations on their first principal component instead of summing them. */
  readonly eigenSmooth?: boolean;
  /**
   * Test-time augmentation (pytorch-grad-cam's `aug_smooth`): the map is the mean of the maps of
   * the image, flipped horizontally or not, times 0.9, 1.0 and 1.1, each flipped back; 6 passes.
   */
  readonly augSmooth?: boolean;
  /** Images per model call for methods that run the model on modified inputs (Score-CAM); default 32. */
  readonly batchSize?: number;
  /** Progress of those model calls: `done` of `total` inputs. */
  readonly onProgress?: CamProgress;
}

const describeMethod = (name: string): string =>
  `${name} visualization for image classification: the heatmap shows which regions of the ` +
  'image raised the score of each target class, at the spatial resolution of the chosen layer.';

/** The brightness multiples of augSmooth (ttach's Multiply in pytorch-grad-cam's aug_smooth). */
export const AUG_SMOOTH_FACTORS: readonly number[] = Object.freeze([0.9, 1, 1.1]);

/**
 * pytorch-grad-cam's `forward_augmentation_smoothing` (with ttach: HorizontalFlip × Multiply
 * 0.9/1.0/1.1): each augmented input is explained with the same targets, its map (already
 * post-processed) flipped back, and the six maps averaged. `plain` is the un-augmented pass's map.
 */
async function augmentationSmoothing(input: tf.Tensor4D, plain: tf.Tensor3D, run: (x: tf.Tensor4D) => Promise<tf.Tensor3D>): Promise<tf.Tensor3D> {
  let sum = plain.clone();
  try {
    for (const flip of [false, true]) {
      for (const factor of AUG_SMOOTH_FACTORS) {
        if (!flip && factor === 1) continue;
        const x = tf.tidy(() => tf.mul(flip ? tf.reverse(input, 2) : input, factor) as tf.Tensor4D);
        let map: tf.Tensor3D;
        try {
          map = await run(x);
        } finally {
          x.dispose();
        }
        const next = tf.tidy(() => tf.add(sum, flip ? tf.reverse(map, 2) : map) as tf.Tensor3D);
        tf.dispose([sum, map]);
        sum = next;
      }
    }
  } catch (error) {
    sum.dispose();
    throw error;
  }
  const mean = tf.div(sum, 2 * AUG_SMOOTH_FACTORS.length) as tf.Tensor3D;
  sum.dispose();
  return mean;
}

/** The score callback CAM methods use to run the model on modified inputs, when the adapter can predict. */
export function scoreFunction(explainable: ExplainableModel, logits: boolean): ((batch: tf.Tensor4D) => tf.Tensor2D) | undefined {
  const predict = explainable.predict?.bind(explainable);
  return predict ? (batch) => predict(batch, { logits }) : undefined;
}

function checkMethodOptions(method: CamMethod, options: ExplainOptions): void {
  if (options.counterfactual && !method.usesGradients) {
    throw new InvalidInputError(
      `counterfactual negates gradients, but ${method.displayName} ('${method.id}') uses none; choose a gradient method or drop counterfactual.`,
    );
  }
  if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize >= 1)) {
    throw new InvalidInputError(`batchSize must be an integer ≥ 1; got ${options.batchSize}.`);
  }
}

function normaliseTargets(spec: TargetSpec | number | undefined, numClasses: number): TargetSpec {
  if (spec === undefined) return { top: 1 };
  if (typeof spec === 'number') return normaliseTargets([spec], numClasses);
  if (Array.isArray(spec)) {
    if (spec.length === 0) throw new InvalidTargetError('targets is an empty list; give at least one class id, or omit it for the predicted class.');
    for (const t of spec) {
      if (!Number.isInteger(t) || t < 0 || t >= numClasses) {
        throw new InvalidTargetError(
          `Target ${t} is not a class id of this model: valid ids are integers 0 … ${numClasses - 1} (the model has ${numClasses} classes).`,
        );
      }
    }
    return spec;
  }
  const top = (spec as { top: number }).top;
  if (!Number.isInteger(top) || top < 1 || top > numClasses) {
    throw new InvalidTargetError(`top must be an integer from 1 to ${numClasses} (the number of classes); got ${top}.`);
  }
  return { top };
}

function checkDoc(doc: tf.Tensor, inputShape: readonly (number | null)[]): tf.Tensor4D {
  const expected = `[1, ${inputShape
    .slice(1)
    .map((d) => d ?? 'any')
    .join(', ')}]`;
  if (!(doc instanceof tf.Tensor)) throw new InvalidInputError(`doc must be a tf.Tensor of shape ${expected} (or without the batch axis).`);
  if (doc.rank !== 3 && !(doc.rank === 4 && doc.shape[0] === 1)) {
    throw new InvalidInputError(
      `doc must have shape ${expected} (or the same without the batch axis); got [${doc.shape.join(', ')}]. Explain several images with explainBatch().`,
    );
  }
  const shape = doc.rank === 3 ? [1, ...doc.shape] : doc.shape;
  for (let i = 1; i < inputShape.length; i++) {
    const want = inputShape[i];
    if (want !== null && want !== shape[i]) {
      throw new InvalidInputError(
        `doc has shape [${doc.shape.join(', ')}] but the model expects ${expected}. Load the image with targetSize [${inputShape[1]}, ${inputShape[2]}].`,
      );
    }
  }
  return (doc.rank === 3 ? tf.expandDims(doc, 0) : doc) as tf.Tensor4D;
}

function softmaxRow(values: Float32Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) max = Math.max(max, v);
  const exp = Float64Array.from(values, (v) => Math.exp(v - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  return exp.map((e) => e / sum);
}

/** Options of explainBatch: explain()'s, with one image per doc. */
export interface ExplainBatchOptions extends Omit<ExplainOptions, 'image'> {
  /** The input images, in the order of the docs, kept in each Explanation. */
  readonly images?: readonly RgbaImage[];
}

/**
 * Explains N images, each with its own default target (or the same explicit targets), one
 * explain() per image. `docs` is a [N, h, w, c] tensor or a list of single-image tensors.
 */
export async function explainBatch(model: unknown, docs: tf.Tensor | readonly tf.Tensor[], options: ExplainBatchOptions = {}): Promise<Explanation[]> {
  const { images, ...rest } = options;
  const list = Array.isArray(docs) ? docs : undefined;
  const batch = list === undefined ? (docs as tf.Tensor) : undefined;
  if (batch !== undefined && batch.rank !== 4) {
    throw new InvalidInputError(`explainBatch expects docs of shape [N, height, width, channels] or a list of images; got [${batch.shape.join(', ')}].`);
  }
  const count = list?.length ?? (batch as tf.Tensor).shape[0];
  if (images !== undefined && images.length !== count) throw new InvalidInputError(`explainBatch got ${count} docs but ${images.length} images.`);
  const results: Explanation[] = [];
  for (let i = 0; i < count; i++) {
    const doc = list ? list[i] : tf.slice(batch as tf.Tensor, i, 1);
    try {
      results.push(await explain(model, doc, { ...rest, ...(images ? { image: images[i] } : {}) }));
    } finally {
      if (!list) doc.dispose();
    }
  }
  return results;
}

/**
 * Explains one image with Grad-CAM (or another registered CAM method, `method`), ELI5-style,
 * for one or several targets: one forward pass and one batched backward pass (Score-CAM adds
 * one model call per channel, in chunks). `model` is anything a registered adapter knows
 * (a tfjs LayersModel or GraphModel once '@gradcam/models' is loaded) or an ExplainableModel.
 * Leaves `tf.memory().numTensors` as it found it.
 */
export async function explain(model: unknown, doc: tf.Tensor, options: ExplainOptions = {}): Promise<Explanation> {
  const explainable = toExplainableModel(model);
  const layer = resolveLayer(explainable, options.layer);
  const targets = normaliseTargets(options.targets, explainable.numClasses);
  const logits = options.logits ?? false;
  const method = getCamMethod(options.method ?? 'gradcam');
  checkMethodOptions(method, options);
  const normalize = checkNormalization(options.normalize);
  const input = checkDoc(doc, explainable.inputShape);
  let capture: ReturnType<typeof explainable.capture> | undefined;
  let maps: tf.Tensor3D | undefined;
  try {
    const pass = async (x: tf.Tensor4D, passTargets: TargetSpec) => {
      const captured = explainable.capture(x, layer, { logits, targets: passTargets });
      const flipped = options.counterfactual ? tf.neg(captured.gradients) : undefined;
      try {
        const passMaps = await camMaps(
          method,
          {
            activations: captured.activations,
            gradients: flipped ?? captured.gradients,
            targets: captured.targets,
            input: x,
            score: scoreFunction(explainable, logits),
            batchSize: options.batchSize ?? 32,
            onProgress: options.onProgress,
          },
          { relu: options.relu, normalize, eigenSmooth: options.eigenSmooth },
        );
        return { captured, maps: passMaps };
      } catch (error) {
        captured.dispose();
        throw error;
      } finally {
        flipped?.dispose();
      }
    };
    ({ captured: capture, maps } = await pass(input, targets));
    if (options.augSmooth) {
      const smoothed = await augmentationSmoothing(input, maps, async (x) => {
        const extra = await pass(x, (capture as Capture).targets);
        extra.captured.dispose();
        return extra.maps;
      });
      maps.dispose();
      maps = smoothed;
    }
    const [mapData, scoreData, outputData] = (await Promise.all([maps.data(), capture.scores.data(), capture.outputs.data()])) as Float32Array[];
    const [, height, width] = maps.shape;
    const probabilities = logits ? softmaxRow(scoreData) : undefined;
    const explained: TargetExplanation[] = capture.targets.map((target, i) => ({
      target,
      ...(options.labels?.[target] !== undefined ? { label: options.labels[target] } : {}),
      score: scoreData[target],
      ...(probabilities ? { proba: probabilities[target] } : {}),
      heatmap: { width, height, data: mapData.slice(i * width * height, (i + 1) * width * height) },
    }));
    const warnings = explained
      .filter((t) => !t.heatmap.data.some((v) => v !== 0))
      .map(
        (t) =>
          `Target ${t.target}${t.label ? ` (${t.label})` : ''}: the ${method.displayName} map at '${layer.name}' is all zeros — nothing at this layer raises the score ` +
          '(its weighted activations are negative everywhere). Try another layer or logits: true.',
      );
    return {
      estimator: explainable.name,
      description: describeMethod(method.displayName),
      method: method.displayName,
      layer: layer.name,
      backend: tf.getBackend(),
      ...(options.image ? { image: options.image } : {}),
      outputs: Array.from(outputData),
      targets: explained,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  } finally {
    maps?.dispose();
    capture?.dispose();
    if (input !== doc) input.dispose();
  }
}
