import { type ChannelMap, channelSum, type Explanation, guidedGradCam, type Heatmap, InvalidInputError } from '@gradcam/core';
import { guidedBackprop, isLayersModel } from '@gradcam/models';
import * as tf from '@tensorflow/tfjs-core';
import { type ExplainPredictionOptions, explainPrediction } from './explain-prediction.js';
import type { LoadedModel } from './load-model.js';

/** One target's guided maps, at the image's (model input's) resolution. */
export interface GuidedTarget {
  readonly target: number;
  /** d score / d input with guided ReLU gradients, [H, W, C] (signed). */
  readonly guidedBackprop: ChannelMap;
  /** guidedBackprop × the CAM upsampled to the input (signed). */
  readonly guidedGradCam: ChannelMap;
  /** guidedGradCam summed over channels, / max|·|: a signed map in [−1, 1] for formatSignedHeatmap. */
  readonly heatmap: Heatmap;
}

/** What explainGuided returns: the CAM explanation and the guided maps of each target. */
export interface GuidedExplanation {
  readonly explanation: Explanation;
  readonly targets: GuidedTarget[];
}

/**
 * Guided backpropagation (Springenberg et al., arXiv 1412.6806) and Guided Grad-CAM (Selvaraju
 * et al., arXiv 1610.02391) for a LayersModel: explains `doc` with the chosen CAM method, then
 * differentiates each target's score w.r.t. the input with guided ReLU gradients and multiplies
 * the result by the upsampled CAM. Full-resolution, signed maps.
 */
export async function explainGuided(model: LoadedModel, doc: tf.Tensor, options: ExplainPredictionOptions = {}): Promise<GuidedExplanation> {
  if (!isLayersModel(model.model)) {
    throw new InvalidInputError(`Guided backpropagation patches the ReLUs of a LayersModel; ${model.id} is a graph model. Use a layers model.`);
  }
  const explanation = await explainPrediction(model, doc, options);
  const input = (doc.rank === 3 ? tf.expandDims(doc, 0) : doc) as tf.Tensor4D;
  try {
    const gradients = guidedBackprop(model.model, input, { targets: explanation.targets.map((t) => t.target), logits: options.logits });
    const [, height, width, channels] = gradients.shape;
    const data = (await gradients.data()) as Float32Array;
    gradients.dispose();
    const size = height * width * channels;
    const targets = explanation.targets.map((t, i) => {
      const gb: ChannelMap = { width, height, channels, data: data.slice(i * size, (i + 1) * size) };
      const ggc = guidedGradCam(gb, t.heatmap);
      return { target: t.target, guidedBackprop: gb, guidedGradCam: ggc, heatmap: channelSum(ggc) };
    });
    return { explanation, targets };
  } finally {
    if (input !== doc) input.dispose();
  }
}
