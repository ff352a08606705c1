import { type LayerInfo, resolveLayer } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import {
  type Colormap,
  type Explanation,
  explainBatch,
  explainGuided,
  type Heatmap,
  imgToArray,
  type LoadedModel,
  OVERLAY_DEFAULTS,
  type ResamplingFilter,
} from 'gradcam';
import type { Decoded } from './decode-stage.js';
import type { OverlaySpec } from './draw-stage.js';
import type { ExplainCommandOptions } from './explain-command.js';
import type { InputFile } from './inputs.js';
import { alphaLimitValue } from './options.js';
import type { OutputPlan } from './output-plan.js';
import type { ImageReport } from './report.js';

/** Layers from `--layer` values (names, or integers counting from 0; negative from the end); none = the default layer. */
export function resolveLayers(loaded: LoadedModel, refs: readonly string[]): LayerInfo[] {
  if (refs.length === 0) return [loaded.explainable.defaultLayer()];
  const layers: LayerInfo[] = [];
  for (const ref of refs) {
    const layer = resolveLayer(loaded.explainable, /^-?\d+$/.test(ref) ? Number(ref) : ref);
    if (!layers.some((l) => l.name === layer.name)) layers.push(layer);
  }
  return layers;
}

/** What the explain stage needs once per run. */
export interface ExplainSettings {
  readonly loaded: LoadedModel;
  readonly layers: readonly LayerInfo[];
  readonly options: ExplainCommandOptions;
  readonly plan: OutputPlan;
}

/** One input explained: its report entries (one per layer) and the overlays to draw, by output path. */
export interface Explained {
  readonly reports: ImageReport[];
  readonly overlays: { readonly path: string; readonly spec: OverlaySpec }[];
}

function heatmapRows({ width, height, data }: Heatmap): number[][] {
  return Array.from({ length: height }, (_, y) => Array.from(data.subarray(y * width, (y + 1) * width)));
}

/** The q-quantile of |values| (a positive number; 1 when every value is 0). */
function percentileAbs(values: Float32Array, q: number): number {
  const sorted = Float32Array.from(values, Math.abs).sort();
  const v = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return v > 0 ? v : 1;
}

/**
 * Explains a batch of decoded inputs (the explain stage, on the model's thread): one batched
 * forward and backward pass per layer and chunk (`explainBatch`; `--batch-size` images at a
 * time), or one explainGuided per image with `--guided`. Returns, per input, its report entries
 * and the overlays to draw.
 */
export async function explainInputs(settings: ExplainSettings, batch: readonly { item: InputFile; decoded: Decoded }[]): Promise<Explained[]> {
  const { loaded, layers, options, plan } = settings;
  const docs = batch.map(({ decoded }) => tf.tidy(() => loaded.preprocessInput(tf.expandDims(imgToArray(decoded.small), 0))));
  const targets = options.top !== undefined ? { top: options.top } : (options.target?.length ?? 0) > 0 ? options.target : undefined;
  const common = {
    targets,
    logits: options.logits,
    method: options.method,
    relu: options.relu,
    counterfactual: options.counterfactual,
    normalize: options.normalize,
    eigenSmooth: options.eigenSmooth,
    augSmooth: options.augSmooth,
    batchSize: options.batchSize,
  };
  // Per layer, per input: the explanation, and with --guided the Guided Grad-CAM maps by target.
  const byLayer: { expl: Explanation; guided?: Map<number, Heatmap> }[][] = [];
  try {
    // --merge-layers: one explanation whose maps average every layer's (explainBatch takes the list).
    const passes: (string | string[])[] = options.mergeLayers && layers.length > 1 ? [layers.map((l) => l.name)] : layers.map((l) => l.name);
    for (const layer of passes) {
      if (options.guided) {
        const perImage = [];
        for (const [i, doc] of docs.entries()) {
          const g = await explainGuided(loaded, doc, { ...common, layer, image: batch[i].decoded.small });
          perImage.push({ expl: g.explanation, guided: new Map(g.targets.map((t) => [t.target, t.heatmap])) });
        }
        byLayer.push(perImage);
      } else {
        const expls = await explainBatch(loaded, docs, {
          ...common,
          layer,
          images: batch.map((b) => b.decoded.small),
          ...(options.batchSize === undefined ? {} : { chunkSize: options.batchSize }),
        });
        byLayer.push(expls.map((expl) => ({ expl })));
      }
    }
  } finally {
    tf.dispose(docs);
  }
  const drawing = {
    colormap: (options.colormap ?? (options.relu ? OVERLAY_DEFAULTS.colormap : OVERLAY_DEFAULTS.signedColormap)) as Colormap,
    alphaLimit: alphaLimitValue(options.alphaLimit),
    filter: options.resample as ResamplingFilter,
  };
  // A signed map (--no-relu with max normalisation) spans [-1, 1]: a diverging overlay.
  const kind = options.relu || options.normalize === 'minmax' ? 'unsigned' : 'signed';
  return batch.map(({ item }, i) => {
    const overlays: Explained['overlays'] = [];
    const reports = byLayer.map((perImage) => {
      const { expl, guided } = perImage[i];
      const targetsReport = expl.targets.map((t) => {
        const output = plan.outputPath(item, expl.layer, t.target);
        overlays.push({ path: output, spec: { heatmap: t.heatmap, kind, ...drawing } });
        const guidedMap = guided?.get(t.target);
        const guidedOutput = guidedMap ? plan.outputPath(item, expl.layer, t.target, true) : undefined;
        if (guidedMap && guidedOutput) {
          // Guided maps are spiky: scale by the 99th percentile of |v| (clipping the peaks) so the structure shows.
          const spec: OverlaySpec = {
            heatmap: guidedMap,
            kind: 'signed',
            ...drawing,
            colormap: (options.colormap ?? OVERLAY_DEFAULTS.signedColormap) as Colormap,
            scale: percentileAbs(guidedMap.data, 0.99),
          };
          overlays.push({ path: guidedOutput, spec });
        }
        return {
          target: t.target,
          label: t.label ?? null,
          score: t.score,
          proba: t.proba ?? null,
          heatmap: heatmapRows(t.heatmap),
          output,
          ...(guidedOutput ? { guidedOutput } : {}),
        };
      });
      return {
        image: item.display,
        model: loaded.id,
        layer: expl.layer,
        method: expl.method,
        backend: expl.backend,
        predictions: loaded.decodePredictions(expl.outputs, 5)[0].map((p) => ({ target: p.index, label: p.label, score: p.score })),
        targets: targetsReport,
        warnings: [...(expl.warnings ?? [])],
      };
    });
    return { reports, overlays };
  });
}
