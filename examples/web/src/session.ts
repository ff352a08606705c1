import * as tf from '@tensorflow/tfjs-core';
import {
  type Explanation,
  explainPrediction,
  imgToArray,
  type LayerInfo,
  type LoadedModel,
  loadImg,
  loadModel,
  type Prediction,
  type RgbaImage,
} from 'gradcam';

/** What to explain: an image (identified by `imageKey`), a bundled model, a layer and a class. */
export interface ExplainRequest {
  readonly image: RgbaImage;
  /** Changes whenever the image does; explanations are cached per image key. */
  readonly imageKey: string;
  readonly modelId: string;
  /** Layer name; default the model's default Grad-CAM layer. */
  readonly layer?: string;
  /** Class id; default the predicted class. */
  readonly target?: number;
}

/** An explanation with what the page shows next to it. */
export interface ExplainResult {
  readonly explanation: Explanation;
  readonly model: LoadedModel;
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

/** The model's input [height, width]. */
export function inputSize(model: LoadedModel): [number, number] {
  const [, height, width] = model.inputShape;
  if (typeof height !== 'number' || typeof width !== 'number')
    throw new Error(`Model '${model.id}' has no fixed input size: ${JSON.stringify(model.inputShape)}.`);
  return [height, width];
}

/**
 * Loads models once and explains images with them, caching the explanations of the current
 * image so that switching back to a class, or changing only the colours, costs nothing.
 * Explanations hold plain arrays, never tensors: nothing here needs disposing by the caller.
 */
export class ExplainSession {
  private readonly models = new Map<string, Promise<LoadedModel>>();
  private readonly explanations = new Map<string, Explanation>();
  private imageKey: string | undefined;

  /** The bundled model `id`, loaded on first use. */
  model(id: string): Promise<LoadedModel> {
    let pending = this.models.get(id);
    if (!pending) {
      pending = loadModel(id);
      // A failed load must not stay cached: the next request tries again.
      pending.catch(() => this.models.delete(id));
      this.models.set(id, pending);
    }
    return pending;
  }

  /** Explains one class of one image at one layer (the default class and layer when not given). */
  async explain(request: ExplainRequest): Promise<ExplainResult> {
    if (request.imageKey !== this.imageKey) {
      this.explanations.clear();
      this.imageKey = request.imageKey;
    }
    const model = await this.model(request.modelId);
    const layer = request.layer ?? model.explainable.defaultLayer().name;
    const key = (target: number | 'top') => `${request.modelId}\n${layer}\n${target}`;
    const hit = this.explanations.get(key(request.target ?? 'top'));
    if (hit) return this.result(hit, model, layer, 0, true);

    const started = performance.now();
    const resized = await loadImg(request.image, { targetSize: inputSize(model) }); // nearest, as Keras' load_img
    const doc = tf.tidy(() => model.preprocessInput(tf.expandDims(imgToArray(resized), 0)));
    let explanation: Explanation;
    try {
      explanation = await explainPrediction(model, doc, {
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

  private result(explanation: Explanation, model: LoadedModel, layer: string, ms: number, cached: boolean): ExplainResult {
    const top = model.decodePredictions(explanation.outputs, 5)[0];
    return { explanation, model, top, layer, target: explanation.targets[0].target, ms, cached };
  }
}
