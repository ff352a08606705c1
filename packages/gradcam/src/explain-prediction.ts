import {
  arrayToImg,
  type ExplainBatchOptions,
  type ExplainOptions,
  type Explanation,
  explain,
  explainBatch as explainEach,
  type RgbaImage,
} from '@gradcam/core';
import { type FormatAsImageOptions, formatAsImage } from '@gradcam/format';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { ensureBackend } from './backend.js';
import { isLoadedModel, type LoadedModel } from './load-model.js';

/** Options of explainPrediction: ELI5's, with several targets allowed. */
export type ExplainPredictionOptions = Omit<ExplainOptions, 'labels'>;

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
  const image: RgbaImage | undefined = options.image ?? (doc.rank === 3 || doc.rank === 4 ? arrayToImg(doc) : undefined);
  if (isLoadedModel(model)) {
    return explain(model.explainable, doc, { ...options, image, labels: model.labels });
  }
  return explain(model, doc, { ...options, image });
}

/**
 * Explains N preprocessed images (`docs` of shape [N, h, w, c], or a list), each with its own
 * default target unless `targets` is given. Images default to each doc via arrayToImg.
 */
export async function explainBatch(
  model: LoadedModel | LayersModel | GraphModel,
  docs: tf.Tensor | readonly tf.Tensor[],
  options: Omit<ExplainBatchOptions, 'labels'> = {},
): Promise<Explanation[]> {
  await ensureBackend();
  const target = isLoadedModel(model) ? model.explainable : model;
  const labels = isLoadedModel(model) ? { labels: model.labels } : {};
  return explainEach(target, docs, { ...options, ...labels });
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
