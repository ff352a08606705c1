import { type ExplainOptions, explain } from '../explain.js';
import type { Heatmap } from '../types.js';
import { spearman } from './spearman.js';

/** One step of the cascading randomization: re-initialises some weights and returns the undo. */
export interface RandomizationStep {
  /** What is re-initialised, e.g. 'dense_3' or 'block_16'. */
  readonly name: string;
  randomize(): () => void;
}

/** Options of modelRandomization: explain()'s (method, layer, targets…) and the steps. */
export interface RandomizationOptions extends Omit<ExplainOptions, 'image' | 'labels'> {
  /** Cascading steps, from the top of the model down; each adds to the previous ones. */
  readonly steps: readonly RandomizationStep[];
}

/** The maps after one cascading step, compared with the trained model's. */
export interface RandomizationResult {
  /** Names of the steps applied so far (cumulative). */
  readonly randomized: string[];
  /** Spearman rank correlation of each target's map with the trained model's map. */
  readonly correlations: number[];
  /** The same, of the absolute values (the paper reports both). */
  readonly absCorrelations: number[];
  readonly heatmaps: Heatmap[];
}

/** What modelRandomization returns. */
export interface RandomizationReport {
  readonly targets: number[];
  /** The trained model's maps. */
  readonly original: Heatmap[];
  /** One entry per cascading step, in order. */
  readonly steps: RandomizationResult[];
}

/**
 * The model-parameter randomization sanity check (Adebayo et al., "Sanity Checks for Saliency
 * Maps", arXiv 1810.03292 / 1711.06104 workshop version): re-initialise the layers from the top,
 * cumulatively, explain again with the same method, layer and targets, and rank-correlate each
 * map with the trained model's. A method that explains the model (not just the image) gives low
 * correlations once the top layers are random. Every step is undone before returning, also on error.
 */
export async function modelRandomization(
  model: unknown,
  doc: import('@tensorflow/tfjs-core').Tensor,
  options: RandomizationOptions,
): Promise<RandomizationReport> {
  const { steps, ...explainOptions } = options;
  const original = await explain(model, doc, explainOptions);
  const targets = original.targets.map((t) => t.target);
  const undos: (() => void)[] = [];
  const results: RandomizationResult[] = [];
  try {
    for (const step of steps) {
      undos.push(step.randomize());
      const randomized = await explain(model, doc, { ...explainOptions, targets });
      const heatmaps = randomized.targets.map((t) => t.heatmap);
      results.push({
        randomized: steps.slice(0, results.length + 1).map((s) => s.name),
        correlations: heatmaps.map((h, i) => spearman(h.data, original.targets[i].heatmap.data)),
        absCorrelations: heatmaps.map((h, i) => spearman(h.data.map(Math.abs), original.targets[i].heatmap.data.map(Math.abs))),
        heatmaps,
      });
    }
  } finally {
    for (const undo of undos.reverse()) undo();
  }
  return { targets, original: original.targets.map((t) => t.heatmap), steps: results };
}
