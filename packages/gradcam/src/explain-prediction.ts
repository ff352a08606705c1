import { type ExplainBatchOptions, type ExplainOptions, type Explanation, explain, explainBatch as explainEach, type RgbaImage } from '@gradcam/core';
import { deferredImages } from '@gradcam/core/internals';
import { type FormatAsImageOptions, formatAsImage } from '@gradcam/format';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ensureBackend } from './backend.js';
import { isLoadedModel, type LoadedModel } from './load-model.js';

/** Options of explainPrediction: ELI5's, with several targets allowed. */
export type ExplainPredictionOptions = Omit<ExplainOptions, 'labels'>;

/** What core's explain needs from a model argument: the model itself and, for a LoadedModel, its labels. */
function unwrap(model: LoadedModel | LayersModel | GraphModel): { explainable: unknown; labels?: readonly string[] } {
  return isLoadedModel(model) ? { explainable: model.explainable, labels: model.labels } : { explainable: model };
}

/** A tensor that can be read; anything else is left for core's explain to name (null, a disposed tensor, …). */
const isLive = (x: unknown): x is tf.Tensor => x instanceof tf.Tensor && !x.isDisposed;

/**
 * ELI5 rebuilds the image from the doc (array_to_img: min..max stretched to 0..255). The values
 * are read now; the pixels are converted when the Explanation's image is first read (most
 * callers format their own image, or none).
 */
function imageOf(doc: tf.Tensor): RgbaImage | undefined {
  return isLive(doc) && (doc.rank === 3 || (doc.rank === 4 && doc.shape[0] === 1)) ? deferredImages([doc])[0] : undefined;
}

/**
 * ELI5's `explain_prediction` for an image classifier: Grad-CAM for one preprocessed image
 * (`doc` of rank 3, or rank 4 with batch 1). Without `image`, the image is rebuilt from `doc`
 * as ELI5 does (array_to_img, min..max stretched to 0..255).
 */
export async function explainPrediction(
  model: LoadedModel | LayersModel | GraphModel,
  doc: tf.Tensor,
  options: ExplainPredictionOptions = {},
): Promise<Explanation> {
  await ensureBackend();
  const { explainable, labels } = unwrap(model);
  return explain(explainable, doc, { ...options, image: options.image ?? imageOf(doc), labels });
}

/**
 * Explains N preprocessed images (`docs` of shape [N, h, w, c], or a list), each with its own
 * default target unless `targets` is given, in one batched forward and backward pass (per
 * chunk of `chunkSize` images; see core's explainBatch). Without `images`, each image is
 * rebuilt from its doc as explainPrediction does.
 */
export async function explainBatch(
  model: LoadedModel | LayersModel | GraphModel,
  docs: tf.Tensor | readonly tf.Tensor[],
  options: Omit<ExplainBatchOptions, 'labels'> = {},
): Promise<Explanation[]> {
  await ensureBackend();
  const { explainable, labels } = unwrap(model);
  let images = options.images;
  if (images === undefined && (Array.isArray(docs) || (isLive(docs) && docs.rank === 4))) {
    // One read of a [N, h, w, c] batch (slicing it per image would copy it N times on wasm).
    const channels = (docs as tf.Tensor).shape?.[3];
    const rebuilt = Array.isArray(docs) ? docs.map(imageOf) : channels === 3 || channels === 1 ? deferredImages(docs as tf.Tensor) : [undefined];
    // A doc of the wrong shape has no image; core's explainBatch then reports the shape itself.
    images = rebuilt.every((image): image is RgbaImage => image !== undefined) ? rebuilt : undefined;
  }
  return explainEach(explainable, docs, { ...options, ...(images ? { images } : {}), labels });
}

/**
 * ELI5's `show_prediction`: explains and formats in one call, returning the overlay image
 * (the first target's, unless `target` picks another).
 */
export async function showPrediction(
  model: LoadedModel | LayersModel | GraphModel,
  doc: tf.Tensor,
  options: ExplainPredictionOptions & FormatAsImageOptions = {},
): Promise<RgbaImage> {
  const { alphaLimit, colormap, resamplingFilter, target, ...explainOptions } = options;
  const expl = await explainPrediction(model, doc, explainOptions);
  const formatOptions = Object.fromEntries(Object.entries({ alphaLimit, colormap, resamplingFilter, target }).filter(([, v]) => v !== undefined));
  return formatAsImage(expl, formatOptions as FormatAsImageOptions);
}
