import { InvalidInputError } from '@gradcam/core';
import { listChoices } from '@gradcam/core/internals';
import type { RandomizationStep } from '@gradcam/core/metrics';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** The weight fields of a tfjs-layers Layer used here. */
interface WeightedLayer {
  name: string;
  weights: { name: string; shape: number[] }[];
  getWeights(): tf.Tensor[];
  setWeights(values: tf.Tensor[]): void;
}

/** A group of layers re-initialised together in the randomization check. */
export interface WeightBlock {
  /** Block name: Keras' `block_N` prefix, or the layer name without a `_bn`/`_BN`/`_relu` suffix. */
  readonly name: string;
  readonly layers: readonly string[];
}

/**
 * Seeded standard normal values (mulberry32 + Box–Muller), made in JS: tfjs backends differ in
 * whether tf.randomNormal honours its seed (tfjs-node's does not), and the check must reproduce.
 */
function gaussian(count: number, seed: number, std: number): Float32Array {
  let state = (seed >>> 0) ^ 0x9e3779b9;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform()));
    const angle = 2 * Math.PI * uniform();
    out[i] = std * r * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = std * r * Math.sin(angle);
  }
  return out;
}

const isKernel = (name: string) => /kernel(:\d+)?$/.test(name);
const isBias = (name: string) => /bias(:\d+)?$/.test(name);

function blockName(layer: string): string {
  return /^block_\d+/.exec(layer)?.[0] ?? layer.replace(/_(bn|BN|relu)$/, '');
}

/**
 * The model's layers that own a kernel, grouped into blocks (`block_16_expand`, `_depthwise`,
 * `_project` → 'block_16'; 'Conv_1'; 'dense_3'), from the output back to the input: the order in
 * which the cascading randomization check re-initialises them.
 */
export function weightBlocks(model: LayersModel): WeightBlock[] {
  const blocks: { name: string; layers: string[] }[] = [];
  for (const layer of [...(model.layers as unknown as WeightedLayer[])].reverse()) {
    if (!layer.weights.some((w) => isKernel(w.name))) continue;
    const name = blockName(layer.name);
    const last = blocks.at(-1);
    if (last?.name === name) last.layers.push(layer.name);
    else blocks.push({ name, layers: [layer.name] });
  }
  return blocks;
}

/**
 * Re-initialises layers of a LayersModel in place, as the randomization check needs: every
 * kernel is redrawn from a normal distribution with the kernel's own standard deviation (seeded),
 * every bias set to zero (Keras' default initializer); batch-normalisation statistics stay.
 * Returns the undo, which restores the trained weights exactly.
 */
export function reinitializeLayers(model: LayersModel, layerNames: readonly string[], options: { readonly seed?: number } = {}): () => void {
  const byName = new Map((model.layers as unknown as WeightedLayer[]).map((l) => [l.name, l]));
  const layers = layerNames.map((name) => {
    const layer = byName.get(name);
    if (layer === undefined) throw new InvalidInputError(`No layer '${name}' in ${model.name}. Layers: ${listChoices([...byName.keys()])}.`);
    return layer;
  });
  let seed = options.seed ?? 0;
  const saved = layers.map((layer) => layer.getWeights().map((t) => t.clone()));
  layers.forEach((layer) => {
    const fresh = tf.tidy(() =>
      layer.getWeights().map((value, i) => {
        const name = layer.weights[i].name;
        if (isKernel(name)) {
          const { variance } = tf.moments(value);
          return tf.tensor(gaussian(value.size, seed++, Math.sqrt(variance.dataSync()[0]) || 0.01), value.shape);
        }
        return isBias(name) ? tf.zerosLike(value) : value.clone();
      }),
    );
    layer.setWeights(fresh);
    tf.dispose(fresh);
  });
  return () => {
    layers.forEach((layer, i) => {
      layer.setWeights(saved[i]);
    });
    tf.dispose(saved.flat());
  };
}

/**
 * The cascading steps of the model-randomization check for a LayersModel: one step per weight
 * block from the top (`weightBlocks`), the first `count` of them (default all).
 */
export function randomizationSteps(model: LayersModel, options: { readonly count?: number; readonly seed?: number } = {}): RandomizationStep[] {
  const blocks = weightBlocks(model).slice(0, options.count);
  return blocks.map((block, i) => ({
    name: block.name,
    randomize: () => reinitializeLayers(model, block.layers, { seed: (options.seed ?? 0) * 1000 + i * 100 }),
  }));
}
