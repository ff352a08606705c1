import { ModelLoadError } from '@gradcam/core';
import { DEFAULT_MAX_MODEL_BYTES } from '@gradcam/io';
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, models } from '@tensorflow/tfjs-layers';
import { unzipSync } from 'fflate';
import { kerasSnakeCase, kerasToTfjsTopology } from './keras-config.js';
import { type H5Node, hasHdf5Signature, type KerasH5Weight, readKerasH5, readWeightDataset, setKerasWeights, withH5File } from './keras-h5.js';

/** Options of loadKerasModel. */
export interface KerasModelFileOptions {
  /**
   * Most bytes the model may take: the archive's declared uncompressed entries, and the weights
   * once read (float32). Default 1 GiB (DEFAULT_MAX_MODEL_BYTES).
   */
  readonly maxBytes?: number;
}

/** A .keras archive holds a handful of entries; more than this is not one. */
const MAX_ARCHIVE_ENTRIES = 10_000;
/** config.json and metadata.json are kilobytes; this bounds them below maxBytes. */
const MAX_CONFIG_BYTES = 64 * 2 ** 20;

const ZIP_SIGNATURE = [0x50, 0x4b, 0x03, 0x04];

/** True when the bytes start like a zip archive (a Keras 3 `.keras` file). */
export function isZipArchive(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && ZIP_SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * The entries of a .keras archive that gradcam reads, each bounded before it is inflated: at most
 * MAX_ARCHIVE_ENTRIES entries, config.json and metadata.json at most 64 MiB, everything read at
 * most `maxBytes` as declared (fflate never writes past an entry's declared size).
 */
function unzipKeras(bytes: Uint8Array, source: string, maxBytes: number): Record<string, Uint8Array> {
  let entries = 0;
  let declared = 0;
  const wanted = new Set(['config.json', 'metadata.json', 'model.weights.h5']);
  try {
    return unzipSync(bytes, {
      filter(file) {
        entries++;
        if (entries > MAX_ARCHIVE_ENTRIES) throw new ModelLoadError(`'${source}' has more than ${MAX_ARCHIVE_ENTRIES} entries; a .keras archive has a few.`);
        if (!wanted.has(file.name)) return false;
        const limit = file.name.endsWith('.json') ? Math.min(MAX_CONFIG_BYTES, maxBytes) : maxBytes;
        declared += file.originalSize;
        if (file.originalSize > limit || declared > maxBytes) {
          throw new ModelLoadError(
            `'${source}': its entry '${file.name}' declares ${file.originalSize} bytes, more than the limit of ${Math.min(limit, maxBytes)} (maxBytes ${maxBytes}); raise maxBytes if the file is trusted.`,
          );
        }
        return true;
      },
    });
  } catch (error) {
    if (ModelLoadError.isInstance(error)) throw error;
    throw new ModelLoadError(`'${source}' is not a readable .keras (zip) archive: ${(error as Error).message}`, { cause: error });
  }
}

function parseJson(bytes: Uint8Array, what: string, source: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new ModelLoadError(`'${source}': ${what} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

interface ConfigLayer {
  class_name: string;
  config: { name: string; layers?: ConfigLayer[] };
}
interface LayerLike {
  name: string;
  weights: { shape: number[]; originalName: string }[];
  setWeights(values: tf.Tensor[]): void;
  getLayer?(name: string): LayerLike;
}

/**
 * The weights of a Keras 3 `model.weights.h5` for a model built from `config`: each layer's
 * variables at `layers/<snake_case class>[_n]/vars/<i>` (nested models: `…/layers/…`), named as
 * Keras' saving_lib names them, in the order of the model's layers (a Sequential's InputLayer is
 * not one). Checks every count and shape before setting anything.
 */
function kerasArchiveWeights(file: H5Node, config: ConfigLayer, model: LayerLike, source: string, maxBytes: number): [LayerLike, KerasH5Weight[]][] {
  const plan: [LayerLike, KerasH5Weight[]][] = [];
  const budget = { left: maxBytes, max: maxBytes };
  const walk = (layers: ConfigLayer[], owner: LayerLike, path: string, sequential: boolean) => {
    const used = new Map<string, number>();
    for (const layer of layers) {
      if (sequential && layer.class_name === 'InputLayer') continue;
      const base = kerasSnakeCase(layer.class_name);
      const n = used.get(base);
      used.set(base, n === undefined ? 0 : n + 1);
      const key = `${path}/${n === undefined ? base : `${base}_${n + 1}`}`;
      const ours = (owner.getLayer as (name: string) => LayerLike)(layer.config.name);
      if (layer.config.layers) {
        walk(layer.config.layers, ours, `${key}/layers`, layer.class_name === 'Sequential');
        continue;
      }
      if (ours.weights.length === 0) continue;
      const vars = file.get(`${key}/vars`);
      const count = vars ? vars.keys().length : 0;
      if (count !== ours.weights.length) {
        throw new ModelLoadError(`'${source}': layer '${layer.config.name}' has ${count} weights at '${key}/vars', the model expects ${ours.weights.length}.`);
      }
      const values = ours.weights.map((w, i) => {
        const read = readWeightDataset(vars as H5Node, String(i), `'${key}/vars'`, source, budget);
        if (read.shape.length !== w.shape.length || read.shape.some((d, j) => d !== w.shape[j])) {
          throw new ModelLoadError(
            `'${source}': weight ${i} of layer '${layer.config.name}' has shape [${read.shape.join(', ')}]; the model expects [${w.shape.join(', ')}] (${w.originalName}).`,
          );
        }
        return read;
      });
      plan.push([ours, values]);
    }
  };
  walk(config.config.layers ?? [], model, 'layers', config.class_name === 'Sequential');
  return plan;
}

/** Builds the tfjs-layers model of a Keras config (unsupported layers refused by name). */
async function buildModel(config: unknown, source: string): Promise<LayersModel> {
  const topology = kerasToTfjsTopology(config, source);
  try {
    return await models.modelFromJSON({ modelTopology: topology } as unknown as Parameters<typeof models.modelFromJSON>[0]);
  } catch (error) {
    throw new ModelLoadError(`'${source}': TensorFlow.js cannot build its model: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Loads a Keras model file from memory: a Keras 3 `.keras` archive (config.json +
 * model.weights.h5) or a legacy whole-model `.h5` (the `model_config` attribute + its weights),
 * Sequential or Functional, nested models included, built of the layers tfjs-layers runs (see
 * kerasToTfjsTopology). Everything the file declares is bounded by `maxBytes` before it is read.
 * @throws ModelLoadError naming the file and what is wrong (unsupported layers by name, a missing
 * entry, a weight of the wrong shape, a limit).
 */
export async function loadKerasModel(bytes: Uint8Array, source: string, options: KerasModelFileOptions = {}): Promise<LayersModel> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MODEL_BYTES;
  if (isZipArchive(bytes)) {
    const entries = unzipKeras(bytes, source, maxBytes);
    for (const name of ['config.json', 'model.weights.h5']) {
      if (!entries[name]) throw new ModelLoadError(`'${source}' has no ${name}; a Keras 3 .keras archive holds config.json and model.weights.h5.`);
    }
    const config = parseJson(entries['config.json'], 'config.json', source) as ConfigLayer;
    const model = await buildModel(config, source);
    try {
      const plan = await withH5File(entries['model.weights.h5'], `${source}:model.weights.h5`, (file) =>
        kerasArchiveWeights(file, config, model as unknown as LayerLike, source, maxBytes),
      );
      tf.tidy(() => {
        for (const [layer, values] of plan) layer.setWeights(values.map((w) => tf.tensor(w.values, [...w.shape], 'float32')));
      });
      return model;
    } catch (error) {
      model.dispose();
      throw error;
    }
  }
  if (!hasHdf5Signature(bytes)) throw new ModelLoadError(`'${source}' is neither a .keras (zip) archive nor an HDF5 .h5 file.`);
  const file = await readKerasH5(bytes, source, { maxBytes });
  if (file.modelConfig === undefined) {
    throw new ModelLoadError(`'${source}' holds weights only (no model_config attribute): save the whole model (model.save('model.h5') or 'model.keras').`);
  }
  const model = await buildModel(parseJson(new TextEncoder().encode(file.modelConfig), 'model_config', source), source);
  try {
    setKerasWeights(model, file, source);
    return model;
  } catch (error) {
    model.dispose();
    throw error;
  }
}
