import * as tf from '@tensorflow/tfjs-core';
import { type CamNormalization, camMaps, checkNormalization } from './cam-maps.js';
import type { CamMethod, CamProgress } from './cam-method.js';
import { checkCounterfactual, getCamMethod } from './cam-methods.js';
import { GradcamError, InvalidInputError, InvalidTargetError } from './errors.js';
import type { Capture, ExplainableModel, LayerInfo } from './explainable-model.js';
import { type LayerRef, resolveLayer } from './layer-selection.js';
import { combineLayerExplanations } from './multi-layer.js';
import { toExplainableModel } from './registry.js';
import { scoreEachTarget, type Target, type TargetSpec, targetName, targetScores } from './targets.js';
import type { Explanation, RgbaImage, TargetExplanation } from './types.js';
import { yieldToEventLoop } from './yield.js';

/** Options of explain(). */
export interface ExplainOptions {
  /**
   * Class ids and/or target functions to explain (a list, or a single one), or `{ top: k }`;
   * default: the predicted class. See classTarget, regressionTarget, segmentationTarget, detectionTarget.
   */
  readonly targets?: TargetSpec | Target;
  /**
   * Layer to explain at; default: ELI5's automatic choice. Several layers: each layer's map,
   * resized to the largest one (bilinear) and averaged, then normalised again (pytorch-grad-cam's
   * multi-layer CAM).
   */
  readonly layer?: LayerRef | readonly LayerRef[];
  /**
   * Explain the pre-softmax score (the model itself is not changed). Unset: the model output,
   * except that methods that prefer logits (Score-CAM) score their modified inputs pre-softmax
   * when the model ends in softmax.
   */
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

/**
 * The score callback CAM methods use to run the model on modified inputs, when the adapter can
 * predict. `logits: 'auto'` asks for the pre-softmax output and falls back to the model output,
 * once and for all, when the model has no softmax to strip (the adapter's InvalidInputError).
 */
export function scoreFunction(explainable: ExplainableModel, logits: boolean | 'auto'): ((batch: tf.Tensor4D) => tf.Tensor2D) | undefined {
  const predict = explainable.predict?.bind(explainable);
  if (!predict) return undefined;
  let mode = logits;
  return (batch) => {
    if (mode === 'auto') {
      try {
        const out = predict(batch, { logits: true }) as tf.Tensor2D;
        mode = true;
        return out;
      } catch (error) {
        if (!InvalidInputError.isInstance(error)) throw error;
        mode = false;
      }
    }
    return predict(batch, { logits: mode }) as tf.Tensor2D;
  };
}

function checkMethodOptions(method: CamMethod, options: ExplainOptions): void {
  checkCounterfactual(method, options.counterfactual);
  if (options.batchSize !== undefined && !(Number.isInteger(options.batchSize) && options.batchSize >= 1)) {
    throw new InvalidInputError(`batchSize must be an integer ≥ 1; got ${options.batchSize}.`);
  }
}

/** The model's output shape, [null, numClasses] unless the adapter says otherwise. */
function outputShapeOf(model: ExplainableModel): readonly (number | null)[] {
  return model.outputShape ?? [null, model.numClasses];
}

function normaliseTargets(spec: TargetSpec | Target | undefined, model: ExplainableModel): TargetSpec {
  const { numClasses } = model;
  const shape = outputShapeOf(model);
  const classifier = shape.length === 2;
  const needClassifier = (what: string) => {
    if (!classifier) {
      throw new InvalidTargetError(
        `${what} needs a classifier output [batch, classes]; ${model.name} outputs [${shape.map((d) => d ?? 'N').join(', ')}]. ` +
          'Give a target function instead: segmentationTarget, detectionTarget, regressionTarget or your own.',
      );
    }
  };
  if (spec === undefined) {
    needClassifier('The default target (the predicted class)');
    return { top: 1 };
  }
  if (typeof spec === 'number' || typeof spec === 'function') return normaliseTargets([spec], model);
  if (Array.isArray(spec)) {
    if (spec.length === 0)
      throw new InvalidTargetError('targets is an empty list; give at least one class id or target function, or omit it for the predicted class.');
    for (const t of spec as readonly Target[]) {
      if (typeof t === 'function') continue;
      if (!Number.isInteger(t) || t < 0 || t >= numClasses) {
        throw new InvalidTargetError(
          `Target ${t} is not a class id of this model: valid ids are integers 0 … ${numClasses - 1} (the model has ${numClasses} classes), or target functions.`,
        );
      }
      needClassifier(`The class id target ${t}`);
    }
    return spec;
  }
  needClassifier('{ top: k }');
  const top = (spec as { top: number }).top;
  if (!Number.isInteger(top) || top < 1 || top > numClasses) {
    throw new InvalidTargetError(`top must be an integer from 1 to ${numClasses} (the number of classes); got ${top}.`);
  }
  return { top };
}

/** "[N, 224, 224, 3]"-style description of the shape the model expects, batch axis given. */
function expectedShape(batch: number | string, inputShape: readonly (number | null)[]): string {
  return `[${batch}, ${inputShape
    .slice(1)
    .map((d) => d ?? 'any')
    .join(', ')}]`;
}

/** Throws unless `shape` (batch axis included) fits the model's input shape. */
function checkImageShape(what: string, shape: readonly number[], inputShape: readonly (number | null)[], batch: number | string): void {
  for (let i = 1; i < inputShape.length; i++) {
    const want = inputShape[i];
    if (want !== null && want !== shape[i]) {
      throw new InvalidInputError(
        `${what} has shape [${shape.join(', ')}] but the model expects ${expectedShape(batch, inputShape)}. Load the image with targetSize [${inputShape[1]}, ${inputShape[2]}].`,
      );
    }
  }
}

function checkDoc(doc: tf.Tensor, inputShape: readonly (number | null)[]): tf.Tensor4D {
  const expected = expectedShape(1, inputShape);
  if (!(doc instanceof tf.Tensor)) {
    throw new InvalidInputError(`doc must be a tf.Tensor of shape ${expected} (or without the batch axis); got ${doc === null ? 'null' : typeof doc}.`);
  }
  checkAlive(doc, 'doc');
  if (doc.rank !== 3 && !(doc.rank === 4 && doc.shape[0] === 1)) {
    throw new InvalidInputError(
      `doc must have shape ${expected} (or the same without the batch axis); got [${doc.shape.join(', ')}]. Explain several images with explainBatch().`,
    );
  }
  const shape = doc.rank === 3 ? [1, ...doc.shape] : doc.shape;
  checkImageShape('doc', shape, inputShape, 1);
  return (doc.rank === 3 ? tf.expandDims(doc, 0) : doc) as tf.Tensor4D;
}

/** Throws InvalidInputError for a disposed tensor (tfjs would throw a bare Error on first use). */
function checkAlive(x: tf.Tensor, what: string): void {
  if (x.isDisposed) throw new InvalidInputError(`${what} is a disposed tensor; keep it alive (outside tf.tidy, undisposed) until explain resolves.`);
}

/**
 * Throws InvalidInputError when `x` holds NaN or ±Infinity: backends disagree on what such input
 * gives (NaN maps on one, a confident finite answer on another), and neither means anything.
 * One reduction, one number read back (see finiteProbe), and an exact check only when it is not finite.
 */
async function checkFinite(x: tf.Tensor, what: string): Promise<void> {
  const probe = finiteProbe(x);
  if (probe === undefined) return;
  try {
    await throwUnlessFinite(x, (await probe.data())[0], what);
  } finally {
    probe.dispose();
  }
}

/**
 * checkFinite's first reduction, to read later (with other values): the sum of `x`, finite when
 * every value is (a NaN or an infinity makes any sum NaN or infinite); undefined for non-float input.
 */
function finiteProbe(x: tf.Tensor): tf.Tensor | undefined {
  return x.dtype === 'float32' ? tf.sum(x) : undefined;
}

/**
 * Throws unless every value of `x` is finite, given its probe's value: a finite sum settles it;
 * one that is not (non-finite values, or finite ones whose sum overflows) is checked exactly:
 * x − x is 0 for every finite value and NaN otherwise.
 */
async function throwUnlessFinite(x: tf.Tensor, probeValue: number, what: string): Promise<void> {
  if (Number.isFinite(probeValue)) return;
  const exact = tf.tidy(() => tf.sum(tf.sub(x, x)));
  const value = (await exact.data())[0];
  exact.dispose();
  if (value !== 0) {
    throw new InvalidInputError(`${what} holds NaN or infinite values; check the image and the preprocessing (pixels 0…255, then the model's own scaling).`);
  }
}

function softmaxRow(values: Float32Array): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) max = Math.max(max, v);
  const exp = Float64Array.from(values, (v) => Math.exp(v - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  return exp.map((e) => e / sum);
}

/** What explain() resolves from the model and its options once; shared by every image of a batch. */
interface Plan {
  readonly explainable: ExplainableModel;
  readonly layer: LayerInfo;
  readonly targets: TargetSpec;
  /** The capture's scores: the model output unless `logits: true`. */
  readonly logits: boolean;
  /** What the model-running methods score: `logits`, or 'auto' for a method that prefers logits when `logits` is unset. */
  readonly modelLogits: boolean | 'auto';
  readonly method: CamMethod;
  readonly normalize: CamNormalization;
  /** The maps to ask the capture for (CaptureOptions.maps), when it may compute them: see capturedMaps. */
  readonly captureMaps: 'gradcam' | undefined;
  readonly options: Omit<ExplainOptions, 'image'>;
}

function makePlan(model: unknown, options: Omit<ExplainOptions, 'image'>): Plan {
  const explainable = toExplainableModel(model);
  if (Array.isArray(options.layer)) throw new InvalidInputError('makePlan takes one layer.');
  const layer = resolveLayer(explainable, options.layer as LayerRef | undefined);
  const targets = normaliseTargets(options.targets, explainable);
  const method = getCamMethod(options.method ?? 'gradcam');
  checkMethodOptions(method, options);
  const normalize = checkNormalization(options.normalize);
  const modelLogits = options.logits ?? (method.prefersLogits ? 'auto' : false);
  const captureMaps = capturedMaps(method, normalize, targets, options);
  return { explainable, layer, targets, logits: options.logits ?? false, modelLogits, method, normalize, captureMaps, options };
}

/** Maps [rows, h, w] a capture computed, as values (one read), with their size. */
interface MapValues {
  readonly data: Float32Array;
  readonly height: number;
  readonly width: number;
}

/** The values of the maps the capture computed for `plan`, read once; undefined when there are none. */
async function capturedMapValues(plan: Plan, captured: Pick<Capture, 'maps'>): Promise<MapValues | undefined> {
  if (captured.maps === undefined || plan.captureMaps === undefined) return undefined;
  const [, height, width] = captured.maps.shape;
  return { data: (await captured.maps.data()) as Float32Array, height, width };
}

/**
 * One image's share of a capture: A [1, h, w, c], G [targets, h, w, c], the target ids — or,
 * when the capture computed the maps, their values for this image's targets ([targets, h, w]).
 */
type ImageCapture = Pick<Capture, 'activations' | 'gradients' | 'targets'> & { readonly mapValues?: MapValues };

/**
 * The maps an adapter may compute with the capture: ELI5's Grad-CAM when nothing but its
 * defaults is asked for (no counterfactual, eigen-smoothing, augmentation, ReLU off or other
 * normalisation), so that they equal what camMaps would compute.
 */
function capturedMaps(method: CamMethod, normalize: CamNormalization, targets: TargetSpec, options: ExplainOptions): 'gradcam' | undefined {
  const plain = !options.counterfactual && !options.eigenSmooth && !options.augSmooth && options.relu !== false && normalize === 'max';
  // Target functions are scored in JavaScript; a graph that computes the maps knows class ids only.
  const classIds = !Array.isArray(targets) || targets.every((t) => typeof t === 'number');
  return plain && classIds && method.id === 'gradcam' ? 'gradcam' : undefined;
}

/** The model-running callbacks of CamInputs for one image, when the adapter can predict (and predictAt). */
function modelCallbacks(plan: Plan, targets: readonly Target[], input: () => tf.Tensor4D, counterfactual: boolean) {
  const { explainable, layer } = plan;
  const run = scoreFunction(explainable, plan.modelLogits);
  const exact = scoreFunction(explainable, plan.logits);
  const predictAt = explainable.predictAt?.bind(explainable);
  return {
    score: run,
    scoreTargets: run ? (batch: tf.Tensor4D) => tf.tidy(() => scoreEachTarget(run(batch), targets)) : undefined,
    inputGradients: exact
      ? (batch: tf.Tensor4D, t: number) =>
          tf.tidy(() => {
            const rowTargets = Array.from({ length: batch.shape[0] }, () => targets[t]);
            const g = tf.grad((x: tf.Tensor) => tf.sum(targetScores(exact(x as tf.Tensor4D), rowTargets)))(batch) as tf.Tensor4D;
            return counterfactual ? (tf.neg(g) as tf.Tensor4D) : g;
          })
      : undefined,
    scoreAt: predictAt
      ? (activations: tf.Tensor4D) => tf.tidy(() => scoreEachTarget(predictAt(input(), layer, activations, { logits: plan.logits }), targets))
      : undefined,
  };
}

/**
 * The method's post-processed maps [targets, h, w] for one image (counterfactual applied).
 * `input` gives the image [1, H, W, C]; it is called only if the method reads it (Score-CAM),
 * since slicing it out of a batch copies it.
 */
async function imageMaps(plan: Plan, captured: ImageCapture, input: () => tf.Tensor4D): Promise<tf.Tensor3D> {
  const { options } = plan;
  const flipped = options.counterfactual ? tf.neg(captured.gradients) : undefined;
  try {
    return await camMaps(
      plan.method,
      {
        activations: captured.activations,
        gradients: flipped ?? captured.gradients,
        targets: captured.targets,
        get input() {
          return input();
        },
        ...modelCallbacks(plan, captured.targets, input, options.counterfactual === true),
        batchSize: options.batchSize ?? 32,
        onProgress: options.onProgress,
      },
      { relu: options.relu, normalize: plan.normalize, eigenSmooth: options.eigenSmooth },
    );
  } finally {
    flipped?.dispose();
  }
}

/** One image's row of a capture's scores: its shape ([1, …]), and the tensor, made on first use (the caller disposes it). */
interface ScoresRow {
  readonly shape: readonly number[];
  tensor(): tf.Tensor;
}

/**
 * capture → maps → Explanation for one image: `captured` is its share of a capture, `input`
 * gives the image [1, H, W, C] (see imageMaps), `scores` and `outputs` are its rows of the
 * capture's scores and outputs. Disposes what it makes, not its arguments.
 */
async function explainCaptured(
  plan: Plan,
  captured: ImageCapture,
  input: () => tf.Tensor4D,
  scores: ScoresRow,
  outputs: Float32Array,
  image: RgbaImage | undefined,
): Promise<Explanation> {
  const { explainable, layer, logits, method, options } = plan;
  let maps: tf.Tensor3D | undefined = captured.mapValues ? undefined : await imageMaps(plan, captured, input);
  try {
    if (options.augSmooth && maps) {
      const smoothed = await augmentationSmoothing(input(), maps, async (x) => {
        const extra = explainable.capture(x, layer, { logits, targets: captured.targets });
        try {
          return await imageMaps(plan, extra, () => x);
        } finally {
          extra.dispose();
        }
      });
      maps.dispose();
      maps = smoothed;
    }
    const mapData = captured.mapValues?.data ?? ((await (maps as tf.Tensor3D).data()) as Float32Array);
    const [height, width] = captured.mapValues ? [captured.mapValues.height, captured.mapValues.width] : (maps as tf.Tensor3D).shape.slice(1);
    const { targets } = captured;
    const classifier = scores.shape.length === 2;
    // A classifier's scores are one row, read once: class ids are looked up in it; target functions
    // score it as tensors. Without logits they are the model's output, already read (`outputs`).
    const row = classifier ? (!logits && scores.shape[1] === outputs.length ? outputs : ((await scores.tensor().data()) as Float32Array)) : undefined;
    let scoreValues: ArrayLike<number>;
    if (row && targets.every((t) => typeof t === 'number')) scoreValues = (targets as readonly number[]).map((t) => row[t]);
    else {
      const rowScores = scoreEachTarget(scores.tensor(), targets);
      scoreValues = await rowScores.data();
      rowScores.dispose();
    }
    const probabilities = logits && row ? softmaxRow(row) : undefined;
    const explained: TargetExplanation[] = targets.map((target, i) => {
      // A target function without a class is known by its position in the targets list.
      const id = typeof target === 'number' ? target : (target.classId ?? i);
      const hasClass = typeof target === 'number' || target.classId !== undefined;
      return {
        target: id,
        ...(typeof target === 'function' ? { name: targetName(target) } : {}),
        ...(hasClass && options.labels?.[id] !== undefined ? { label: options.labels[id] } : {}),
        score: scoreValues[i],
        ...(probabilities && typeof target === 'number' ? { proba: probabilities[target] } : {}),
        heatmap: { width, height, data: mapData.slice(i * width * height, (i + 1) * width * height) },
      };
    });
    const where = method.resolution === 'input' ? 'the input' : `'${layer.name}'`;
    const warnings = explained
      .filter((t) => !t.heatmap.data.some((v) => v !== 0))
      .map(
        (t) =>
          `Target ${t.name ?? t.target}${t.label ? ` (${t.label})` : ''}: the ${method.displayName} map at ${where} is all zeros — nothing there raises the score ` +
          '(its weighted activations are negative everywhere). Try another layer or logits: true.',
      );
    return {
      estimator: explainable.name,
      description: describeMethod(method.displayName),
      method: method.displayName,
      layer: method.resolution === 'input' ? 'input' : layer.name,
      backend: tf.getBackend(),
      ...(image ? { image } : {}),
      outputs: Array.from(outputs),
      ...(classifier ? {} : { outputShape: scores.shape.slice(1) }),
      targets: explained,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  } finally {
    maps?.dispose();
  }
}

/** explainBatch's default `chunkSize`: at most this many image × target rows per batched pass… */
export const EXPLAIN_BATCH_CHUNK = 8;
/** …and, by default, at most this many values of the explained layer's output in them. */
export const EXPLAIN_BATCH_VALUES = 2 ** 21;

/** Options of explainBatch: explain()'s, with one image per doc. */
export interface ExplainBatchOptions extends Omit<ExplainOptions, 'image'> {
  /** The input images, in the order of the docs, kept in each Explanation. */
  readonly images?: readonly RgbaImage[];
  /**
   * Most image × target rows per forward + backward pass: a pass takes max(1, ⌊chunkSize /
   * targets⌋) images, larger batches go chunk by chunk. The backward pass keeps the layers after
   * the explained one for every row, so memory grows with it (about 170 MB per row at
   * MobileNetV2's block_2_expand on wasm). Default: EXPLAIN_BATCH_CHUNK (8) rows, fewer at layers
   * with large outputs — at most EXPLAIN_BATCH_VALUES (2²¹) output values per pass: 8 rows at
   * MobileNetV2's out_relu, 4 at block_2_expand, 1 at block_1_expand.
   */
  readonly chunkSize?: number;
}

/** The default rows per pass at `layer`: EXPLAIN_BATCH_CHUNK, fewer where one row's output is large. */
function defaultChunkSize(layer: LayerInfo): number {
  const values = layer.outputShape.slice(1).reduce<number>((product, d) => product * (d ?? 1), 1);
  return Math.max(1, Math.min(EXPLAIN_BATCH_CHUNK, Math.floor(EXPLAIN_BATCH_VALUES / values)));
}

/**
 * Explains N images, each with its own default target (or `{ top: k }` of its own prediction,
 * or the same explicit targets): one forward and one backward pass per chunk of images (up to
 * `chunkSize` image × target rows) when the model's adapter has `captureBatch` (both built-in
 * adapters do), else one explain() per image. Results equal explain()'s on each image. `docs` is a
 * [N, h, w, c] tensor or a list of single-image tensors. Leaves `tf.memory().numTensors` as it
 * found it.
 */
export async function explainBatch(model: unknown, docs: tf.Tensor | readonly tf.Tensor[], options: ExplainBatchOptions = {}): Promise<Explanation[]> {
  const layers = layerList(options);
  if (layers === undefined) return explainBatchAtLayer(model, docs, options);
  const perLayer: Explanation[][] = [];
  for (const layer of layers) perLayer.push(await explainBatchAtLayer(model, docs, { ...options, layer }));
  return perLayer[0].map((_, i) =>
    combineLayerExplanations(
      perLayer.map((each) => each[i]),
      options,
    ),
  );
}

/** The layers of a several-layer explanation, or undefined for one layer. */
function layerList(options: Pick<ExplainOptions, 'layer' | 'method'>): LayerRef[] | undefined {
  if (!Array.isArray(options.layer)) return undefined;
  const layers = options.layer as readonly LayerRef[];
  if (layers.length === 0) throw new InvalidInputError('layer is an empty list; give one layer, several, or omit it for the default layer.');
  const method = getCamMethod(options.method ?? 'gradcam');
  if (layers.length > 1 && method.resolution === 'input') {
    throw new InvalidInputError(`${method.displayName} attributes the input, not a layer: give at most one layer.`);
  }
  return [...layers];
}

async function explainBatchAtLayer(model: unknown, docs: tf.Tensor | readonly tf.Tensor[], options: ExplainBatchOptions): Promise<Explanation[]> {
  const { images, chunkSize: rows, ...rest } = options;
  const list = Array.isArray(docs) ? docs : undefined;
  const batch = list === undefined ? (docs as tf.Tensor) : undefined;
  if (batch !== undefined && !(batch instanceof tf.Tensor && batch.rank === 4)) {
    throw new InvalidInputError(
      `explainBatch expects docs of shape [N, height, width, channels] or a list of images; got ${batch instanceof tf.Tensor ? `[${batch.shape.join(', ')}]` : typeof batch}.`,
    );
  }
  if (list?.some((d) => d === null || d === undefined)) throw new InvalidInputError('explainBatch got a list of docs with null or undefined in it.');
  if (batch !== undefined) checkAlive(batch, 'docs');
  const count = list?.length ?? (batch as tf.Tensor).shape[0];
  if (images !== undefined && images.length !== count) throw new InvalidInputError(`explainBatch got ${count} docs but ${images.length} images.`);
  if (rows !== undefined && !(Number.isInteger(rows) && rows >= 1)) throw new InvalidInputError(`chunkSize must be an integer ≥ 1; got ${rows}.`);
  if (count === 0) return [];
  const plan = makePlan(model, rest);
  const { explainable } = plan;
  if (explainable.captureBatch === undefined) {
    // A plugin without captureBatch: one explain() per image.
    const results: Explanation[] = [];
    for (let i = 0; i < count; i++) {
      const doc = list ? list[i] : tf.slice(batch as tf.Tensor, i, 1);
      try {
        results.push(await explain(explainable, doc, { ...rest, ...(images ? { image: images[i] } : {}) }));
      } finally {
        if (!list) doc.dispose();
      }
    }
    return results;
  }
  if (batch !== undefined) checkImageShape('docs', batch.shape, explainable.inputShape, 'N');
  const all = list ? stackDocs(list, explainable.inputShape) : (batch as tf.Tensor4D);
  const targetCount = Array.isArray(plan.targets) ? plan.targets.length : (plan.targets as { top: number }).top;
  const perChunk = Math.max(1, Math.floor((rows ?? defaultChunkSize(plan.layer)) / targetCount));
  try {
    await checkFinite(all, 'docs');
    const results: Explanation[] = [];
    for (let start = 0; start < count; start += perChunk) {
      const n = Math.min(perChunk, count - start);
      const chunk = n === count ? all : (tf.slice(all, start, n) as tf.Tensor4D);
      try {
        results.push(...(await explainChunk(plan, chunk, images?.slice(start, start + n))));
      } finally {
        if (chunk !== all) chunk.dispose();
      }
      await yieldToEventLoop();
    }
    return results;
  } finally {
    if (all !== batch) all.dispose();
  }
}

/** A list of single-image docs as one [N, h, w, c] batch, each checked as explain() checks it. */
function stackDocs(list: readonly tf.Tensor[], inputShape: readonly (number | null)[]): tf.Tensor4D {
  return tf.tidy(() => {
    const checked = list.map((doc, i) => {
      try {
        return checkDoc(doc, inputShape);
      } catch (error) {
        throw InvalidInputError.isInstance(error) ? new InvalidInputError(`docs[${i}]: ${error.message}`, { cause: error }) : error;
      }
    });
    return checked.length === 1 ? checked[0].clone() : (tf.concat(checked) as tf.Tensor4D);
  });
}

/** One captureBatch over `docs` [n, h, w, c], then each image's maps and Explanation. */
async function explainChunk(plan: Plan, docs: tf.Tensor4D, images: readonly RgbaImage[] | undefined): Promise<Explanation[]> {
  const { explainable, layer, logits, targets } = plan;
  const captured = (explainable.captureBatch as NonNullable<ExplainableModel['captureBatch']>)(docs, layer, { logits, targets, maps: plan.captureMaps });
  try {
    const n = docs.shape[0];
    // Read asynchronously first (an adapter may read its target ids lazily, cheaply once the pass
    // is done), and together: on webgl reads started at once wait for the GPU once.
    const [outputs, precomputed] = await Promise.all([captured.outputs.data() as Promise<Float32Array>, capturedMapValues(plan, captured)]);
    if (captured.targets.length !== n || captured.gradients.shape[0] !== captured.targets.reduce((sum, ids) => sum + ids.length, 0)) {
      throw new GradcamError(
        `${explainable.name}: captureBatch of ${n} images returned targets for ${captured.targets.length} and ${captured.gradients.shape[0]} gradient rows; ` +
          'it must return one list of targets per image and one gradient row per target, image-major.',
      );
    }
    const classes = captured.outputs.size / n;
    const results: Explanation[] = [];
    let row = 0;
    // Maps the capture computed (`precomputed`) were read once for all images; each image's
    // activations and gradients are then not needed.
    for (let i = 0; i < n; i++) {
      const ids = captured.targets[i];
      const activations = precomputed ? captured.activations : (tf.slice(captured.activations, i, 1) as tf.Tensor4D);
      const gradients = precomputed ? captured.gradients : (tf.slice(captured.gradients, row, ids.length) as tf.Tensor4D);
      const cells = precomputed ? precomputed.height * precomputed.width : 0;
      const mapValues = precomputed && { ...precomputed, data: precomputed.data.subarray(row * cells, (row + ids.length) * cells) };
      row += ids.length;
      let input: tf.Tensor4D | undefined;
      // The row as a tensor only if asked for (logits, target functions): one op less per image.
      let scoresRow: tf.Tensor | undefined;
      const scores: ScoresRow = {
        shape: [1, ...captured.scores.shape.slice(1)],
        tensor: () => {
          scoresRow ??= tf.slice(captured.scores, i, 1);
          return scoresRow;
        },
      };
      try {
        const own = { activations, gradients, targets: ids, mapValues };
        const range = [i * classes, (i + 1) * classes];
        const inputOf = () => {
          // kept: a method may first read it inside its own tf.tidy
          input ??= tf.keep(tf.slice(docs, i, 1) as tf.Tensor4D);
          return input;
        };
        results.push(await explainCaptured(plan, own, inputOf, scores, outputs.subarray(range[0], range[1]), images?.[i]));
      } finally {
        // tf.dispose skips undefined: scoresRow exists only if it was asked for.
        tf.dispose(precomputed ? scoresRow : [activations, gradients, scoresRow]);
        input?.dispose();
      }
    }
    return results;
  } finally {
    captured.dispose();
  }
}

/**
 * Explains one image with Grad-CAM (or another registered CAM method, `method`), ELI5-style,
 * for one or several targets: one forward pass and one batched backward pass (Score-CAM adds
 * one model call per channel, in chunks). `model` is anything a registered adapter knows
 * (a tfjs LayersModel or GraphModel once '@gradcam/models' is loaded) or an ExplainableModel.
 * Leaves `tf.memory().numTensors` as it found it.
 */
export async function explain(model: unknown, doc: tf.Tensor, options: ExplainOptions = {}): Promise<Explanation> {
  const layers = layerList(options);
  if (layers === undefined) return explainAtLayer(model, doc, options);
  const each: Explanation[] = [];
  for (const layer of layers) each.push(await explainAtLayer(model, doc, { ...options, layer }));
  return combineLayerExplanations(each, options);
}

async function explainAtLayer(model: unknown, doc: tf.Tensor, options: ExplainOptions): Promise<Explanation> {
  const { image, ...rest } = options;
  const plan = makePlan(model, rest);
  const input = checkDoc(doc, plan.explainable.inputShape);
  let captured: Capture | undefined;
  const probe = finiteProbe(input);
  try {
    try {
      captured = plan.explainable.capture(input, plan.layer, { logits: plan.logits, targets: plan.targets, maps: plan.captureMaps });
    } catch (error) {
      // Non-finite input is the error to report, whatever the model made of it.
      if (probe) await throwUnlessFinite(input, (await probe.data())[0], 'doc');
      throw error;
    }
    // Read together: on webgl each read waits for the GPU, and reads started at once wait once.
    // The input is checked before any of it is used.
    const [finite, outputs, mapValues] = await Promise.all([
      probe?.data(),
      captured.outputs.data() as Promise<Float32Array>,
      capturedMapValues(plan, captured),
    ]);
    if (finite) await throwUnlessFinite(input, finite[0], 'doc');
    const own = { activations: captured.activations, gradients: captured.gradients, targets: captured.targets, mapValues };
    const scores = captured.scores;
    return await explainCaptured(plan, own, () => input, { shape: scores.shape, tensor: () => scores }, outputs, image);
  } finally {
    probe?.dispose();
    captured?.dispose();
    if (input !== doc) input.dispose();
  }
}
