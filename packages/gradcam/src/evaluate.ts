import { type ExplainOptions, type Explanation, explain } from '@gradcam/core';
import {
  type Baseline,
  type ConfidenceChange,
  confidenceChange,
  deletionCurve,
  insertionCurve,
  modelRandomization,
  randomHeatmap,
} from '@gradcam/core/metrics';
import { isLayersModel, randomizationSteps } from '@gradcam/models';
import * as tf from '@tensorflow/tfjs-core';
import { ensureBackend } from './backend.js';
import type { LoadedModel } from './load-model.js';

/** Options of evaluateExplanation. */
export interface EvaluateOptions
  extends Pick<ExplainOptions, 'targets' | 'layer' | 'method' | 'logits' | 'counterfactual' | 'eigenSmooth' | 'augSmooth' | 'onProgress'> {
  /** Deletion/insertion steps (default 20). */
  readonly steps?: number;
  /** Deletion/insertion baseline (default 'blur'). */
  readonly baseline?: Baseline;
  /** Images per model call (default 16). */
  readonly batchSize?: number;
  /** Random maps the deletion/insertion AUCs are compared with (their mean; default 3). */
  readonly randomMaps?: number;
  /** Seed of the random maps and of the re-initialised weights (default 0). */
  readonly seed?: number;
  /** Weight blocks re-initialised from the top for the randomization check (default 3; 0 = skip). */
  readonly randomizeBlocks?: number;
}

/** The metrics of one explained target. */
export interface TargetEvaluation {
  readonly target: number;
  readonly label?: string;
  readonly score: number;
  /** Deletion AUC of the map (lower is better) and the mean over the random maps. */
  readonly deletion: { readonly auc: number; readonly randomAuc: number };
  /** Insertion AUC of the map (higher is better) and the mean over the random maps. */
  readonly insertion: { readonly auc: number; readonly randomAuc: number };
  /** The image multiplied by the map. */
  readonly confidence: ConfidenceChange;
  /**
   * Spearman rank correlation between the map and the map after re-initialising the top
   * `blocks` (cumulative: one value per block); undefined for models that cannot be randomized
   * (graph models) or with randomizeBlocks 0.
   */
  readonly randomization?: { readonly blocks: string[]; readonly correlations: number[]; readonly absCorrelations: number[] };
}

/** What evaluateExplanation returns. */
export interface Evaluation {
  readonly explanation: Explanation;
  readonly targets: TargetEvaluation[];
}

/**
 * Explains `doc` and measures the maps: deletion and insertion AUC against seeded random maps
 * (RISE), confidence drop/increase when the image is multiplied by the map, and the cascading
 * model-randomization check (for LayersModels; the weights are restored afterwards).
 */
export async function evaluateExplanation(model: LoadedModel, doc: tf.Tensor, options: EvaluateOptions = {}): Promise<Evaluation> {
  await ensureBackend();
  const { steps, baseline, batchSize, randomMaps = 3, seed = 0, randomizeBlocks = 3, ...explainOptions } = options;
  const explanation = await explain(model.explainable, doc, { ...explainOptions, labels: model.labels });
  const curve = { steps, baseline, batchSize, logits: options.logits };
  const doc4 = (doc.rank === 3 ? tf.expandDims(doc, 0) : doc) as tf.Tensor4D;
  try {
    const cascade = randomizeBlocks > 0 && isLayersModel(model.model) ? randomizationSteps(model.model, { count: randomizeBlocks, seed }) : [];
    const randomization =
      cascade.length > 0
        ? await modelRandomization(model.explainable, doc4, { ...explainOptions, targets: explanation.targets.map((t) => t.target), steps: cascade })
        : undefined;
    const targets: TargetEvaluation[] = [];
    for (const [i, t] of explanation.targets.entries()) {
      const options_ = { ...curve, target: t.target };
      const deletion = await deletionCurve(model.explainable, doc4, t.heatmap, options_);
      const insertion = await insertionCurve(model.explainable, doc4, t.heatmap, options_);
      let randomDeletion = 0;
      let randomInsertion = 0;
      for (let r = 0; r < randomMaps; r++) {
        const random = randomHeatmap(t.heatmap.width, t.heatmap.height, seed * 7919 + t.target * 104729 + r);
        randomDeletion += (await deletionCurve(model.explainable, doc4, random, options_)).auc / randomMaps;
        randomInsertion += (await insertionCurve(model.explainable, doc4, random, options_)).auc / randomMaps;
      }
      const inRange = t.heatmap.data.every((v) => v >= 0 && v <= 1);
      const confidence = inRange
        ? await confidenceChange(model.explainable, doc4, t.heatmap, { target: t.target, logits: options.logits })
        : { original: Number.NaN, masked: Number.NaN, drop: Number.NaN, increase: false };
      targets.push({
        target: t.target,
        ...(t.label !== undefined ? { label: t.label } : {}),
        score: t.score,
        deletion: { auc: deletion.auc, randomAuc: randomMaps > 0 ? randomDeletion : Number.NaN },
        insertion: { auc: insertion.auc, randomAuc: randomMaps > 0 ? randomInsertion : Number.NaN },
        confidence,
        ...(randomization
          ? {
              randomization: {
                blocks: cascade.map((s) => s.name),
                correlations: randomization.steps.map((s) => s.correlations[i]),
                absCorrelations: randomization.steps.map((s) => s.absCorrelations[i]),
              },
            }
          : {}),
      });
    }
    return { explanation, targets };
  } finally {
    if (doc4 !== doc) doc4.dispose();
  }
}
