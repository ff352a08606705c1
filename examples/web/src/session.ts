import * as tf from '@tensorflow/tfjs-core';
import {
  bundledModelInfo,
  type Explanation,
  explainPrediction,
  imgToArray,
  type LayerInfo,
  type LoadedModel,
  loadImg,
  loadModel,
  ModelLoadError,
  type Prediction,
  type RgbaImage,
  type WeightsPackage,
} from 'gradcam';
import type { LayerOption, ModelSummary } from './worker-protocol';

/** A model the page can explain with: a bundled one, or one the user loaded. */
export interface SessionModel {
  /** A bundled id, or 'custom:N'. */
  readonly key: string;
  readonly title: string;
  readonly loaded: LoadedModel;
  /** Input [height, width]. */
  readonly inputSize: readonly [number, number];
}

/** What to explain: an image (identified by `imageKey`), a model, a layer and a class. */
export interface ExplainRequest {
  readonly image: RgbaImage;
  /** Changes whenever the image does; explanations are cached per image key. */
  readonly imageKey: string;
  /** A bundled id, or the key of a model added with addModel. */
  readonly model: string;
  /** Layer name; default the model's default Grad-CAM layer. */
  readonly layer?: string;
  /** Class id; default the predicted class. */
  readonly target?: number;
}

/** An explanation with what the page shows next to it. */
export interface ExplainResult {
  readonly explanation: Explanation;
  readonly model: SessionModel;
  /** The five best classes for the image. */
  readonly top: readonly Prediction[];
  readonly layer: string;
  readonly target: number;
  /** Time spent explaining (0 when the result came from the cache). */
  readonly ms: number;
  readonly cached: boolean;
}

/** The layers a Grad-CAM can be drawn at: those with a 4-D (batch, height, width, channels) output. */
export function spatialLayers(model: LoadedModel): LayerInfo[] {
  return model.explainable.layers().filter((layer) => layer.outputShape.length === 4);
}

/** The model's input [height, width], or a typed error naming the shape when it is not fixed. */
export function inputSize(model: LoadedModel): [number, number] {
  const [, height, width] = model.inputShape;
  if (typeof height !== 'number' || typeof width !== 'number' || height < 1 || width < 1) {
    throw new ModelLoadError(
      `Model '${model.id}' has no fixed input size (its input shape is ${JSON.stringify(model.inputShape)}): ` +
        'the page needs to know what size to give it; add a metadata.json with "imageSize".',
    );
  }
  return [height, width];
}

/** The page's view of a model: title, input, classes and the layers it can be explained at. */
export function summarize(model: SessionModel): ModelSummary {
  const layers: LayerOption[] = spatialLayers(model.loaded).map((layer) => {
    const [, h, w, c] = layer.outputShape;
    return { name: layer.name, className: layer.className, shape: [h ?? 0, w ?? 0, c ?? 0] };
  });
  return {
    key: model.key,
    title: model.title,
    inputSize: model.inputSize,
    classes: model.loaded.labels.length,
    layers,
    defaultLayer: model.loaded.explainable.defaultLayer().name,
  };
}

/**
 * The optional models' weights packages, imported here by name so that Vite bundles them (their
 * files become assets of lazily loaded chunks); the default model's package comes with gradcam.
 */
const WEIGHTS_PACKAGES: Record<string, () => Promise<WeightsPackage>> = {
  nsfw_mobilenet_v2_mid: () => import('@gradcam/weights-nsfw-mobilenet-v2-mid'),
  nsfw_inception_v3: () => import('@gradcam/weights-nsfw-inception-v3'),
};

async function loadBundled(id: string): Promise<SessionModel> {
  const weightsPackage = Object.hasOwn(WEIGHTS_PACKAGES, id) ? await WEIGHTS_PACKAGES[id]() : undefined;
  const loaded = await loadModel(id, { weightsPackage });
  return { key: id, title: bundledModelInfo(id)?.title ?? id, loaded, inputSize: inputSize(loaded) };
}

/**
 * Loads models once and explains images with them, caching the explanations of the current
 * image so that switching back to a class, or changing only the colours, costs nothing.
 * Explanations hold plain arrays, never tensors: nothing here needs disposing by the caller.
 */
export class ExplainSession {
  private readonly models = new Map<string, Promise<SessionModel>>();
  private readonly ready = new Set<string>();
  private readonly explanations = new Map<string, Explanation>();
  private imageKey: string | undefined;

  /** True when `key` is loaded (asking for it costs nothing). */
  isLoaded(key: string): boolean {
    return this.ready.has(key);
  }

  /** Makes a model the user loaded available under its key. */
  addModel(model: SessionModel): void {
    this.models.set(model.key, Promise.resolve(model));
    this.ready.add(model.key);
  }

  /** The model `key`: a bundled one is loaded on first use. */
  model(key: string): Promise<SessionModel> {
    let pending = this.models.get(key);
    if (!pending) {
      pending = loadBundled(key);
      this.models.set(key, pending);
      // A failed load must not stay cached: the next request tries again.
      pending.then(
        () => this.ready.add(key),
        () => this.models.delete(key),
      );
    }
    return pending;
  }

  /** Explains one class of one image at one layer (the default class and layer when not given). */
  async explain(request: ExplainRequest): Promise<ExplainResult> {
    if (request.imageKey !== this.imageKey) {
      this.explanations.clear();
      this.imageKey = request.imageKey;
    }
    const model = await this.model(request.model);
    const { loaded } = model;
    const layer = request.layer ?? loaded.explainable.defaultLayer().name;
    const key = (target: number | 'top') => `${request.model}\n${layer}\n${target}`;
    const hit = this.explanations.get(key(request.target ?? 'top'));
    if (hit) return this.result(hit, model, layer, 0, true);

    const started = performance.now();
    const resized = await loadImg(request.image, { targetSize: [...model.inputSize] }); // nearest, as Keras' load_img
    const doc = tf.tidy(() => loaded.preprocessInput(tf.expandDims(imgToArray(resized), 0)));
    let explanation: Explanation;
    try {
      explanation = await explainPrediction(loaded, doc, {
        layer,
        image: request.image,
        ...(request.target === undefined ? {} : { targets: [request.target] }),
      });
    } finally {
      doc.dispose();
    }
    const ms = performance.now() - started;
    this.explanations.set(key(explanation.targets[0].target), explanation);
    if (request.target === undefined) this.explanations.set(key('top'), explanation);
    return this.result(explanation, model, layer, ms, false);
  }

  private result(explanation: Explanation, model: SessionModel, layer: string, ms: number, cached: boolean): ExplainResult {
    const top = model.loaded.decodePredictions(explanation.outputs, 5)[0];
    return { explanation, model, top, layer, target: explanation.targets[0].target, ms, cached };
  }
}
