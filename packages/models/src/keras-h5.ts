import { ModelLoadError } from '@gradcam/core';
import { listChoices } from '@gradcam/core/internals';
import { DEFAULT_MAX_MODEL_BYTES } from '@gradcam/io';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** One weight array of a legacy Keras HDF5 file. */
export interface KerasH5Weight {
  /** As stored in `weight_names`, e.g. 'Conv1/kernel:0'. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** The weights of a legacy Keras HDF5 weight file (the layout of the keras-applications files). */
export interface KerasH5File {
  /** The root attribute `layer_names`, in the file's order. */
  readonly layerNames: readonly string[];
  /** Per layer name, its weights in `weight_names` order; layers without weights are left out. */
  readonly weights: ReadonlyMap<string, readonly KerasH5Weight[]>;
  /** A whole-model file's root attribute `model_config` (the architecture, JSON), when present. */
  readonly modelConfig?: string;
}

const HDF5_SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];

/** True when the bytes start with the HDF5 format signature. */
export function hasHdf5Signature(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && HDF5_SIGNATURE.every((b, i) => bytes[i] === b);
}

interface H5Attr {
  value: unknown;
}
/** The parts of an h5wasm group or file gradcam reads. */
export interface H5Node {
  attrs: Record<string, H5Attr>;
  get(path: string): (H5Node & { shape?: number[] | null; value?: unknown }) | null;
  keys(): string[];
}

/** Keras splits long string attributes into `name0`, `name1`, … (legacy_h5_format). */
function stringsAttr(node: H5Node, name: string): string[] {
  // An empty list is stored as an empty float array (np.asarray([])), which h5wasm returns typed.
  const asList = (v: unknown): string[] => {
    if (v === undefined || v === null) return [];
    if (Array.isArray(v)) return v.map(String);
    if (ArrayBuffer.isView(v)) return [];
    return [String(v)].filter((s) => s !== '');
  };
  if (node.attrs[name]) return asList(node.attrs[name].value);
  const out: string[] = [];
  for (let i = 0; node.attrs[`${name}${i}`]; i++) out.push(...asList(node.attrs[`${name}${i}`].value));
  return out;
}

let uniqueId = 0;

/** Options of readKerasH5. */
export interface ReadKerasH5Options {
  /**
   * Most bytes the weights may take once read (float32), checked from the datasets' declared
   * shapes before any is read: a small compressed file can declare gigabytes. Default 1 GiB.
   */
  readonly maxBytes?: number;
}

/**
 * Opens HDF5 bytes with h5wasm from memory, runs `read` on the file and closes it. Errors other
 * than ModelLoadError become a ModelLoadError naming `source`.
 */
export async function withH5File<T>(bytes: Uint8Array, source: string, read: (file: H5Node) => T): Promise<T> {
  if (!hasHdf5Signature(bytes)) {
    throw new ModelLoadError(`'${source}' is not an HDF5 file (no HDF5 signature in its first 8 bytes); expected a Keras .h5 weight file.`);
  }
  const h5wasm = (await import('h5wasm')).default;
  const { FS } = await h5wasm.ready;
  const path = `/gradcam-weights-${++uniqueId}.h5`;
  FS.writeFile(path, bytes);
  let file: (H5Node & { close(): void }) | undefined;
  try {
    file = new h5wasm.File(path, 'r') as unknown as H5Node & { close(): void };
    return read(file);
  } catch (error) {
    if (ModelLoadError.isInstance(error)) throw error;
    throw new ModelLoadError(`Cannot read the HDF5 file '${source}': ${(error as Error).message}`, { cause: error });
  } finally {
    file?.close();
    FS.unlink(path);
  }
}

/**
 * Reads one weight dataset as float32, counting its declared size against `budget.left` bytes
 * before reading it (a small compressed file can declare gigabytes) and refusing non-finite values.
 */
export function readWeightDataset(group: H5Node, name: string, where: string, source: string, budget: { left: number; readonly max: number }): KerasH5Weight {
  const dataset = group.get(name);
  if (!dataset || !dataset.shape) throw new ModelLoadError(`'${source}': ${where} names the weight '${name}', which is not in the file.`);
  const count = dataset.shape.reduce((n, d) => n * d, 1);
  budget.left -= 4 * count;
  if (budget.left < 0) {
    throw new ModelLoadError(
      `'${source}': its weights declare more than the limit of ${budget.max} bytes (at ${where}/${name}, shape [${dataset.shape.join(', ')}]); raise maxBytes if the file is trusted.`,
    );
  }
  const value = dataset.value;
  const values = value instanceof Float32Array ? value : Float32Array.from(value as ArrayLike<number>);
  if (values.length !== count || !values.every(Number.isFinite)) {
    throw new ModelLoadError(`'${source}': the weight ${where}/${name} does not hold ${count} finite numbers.`);
  }
  return { name, shape: dataset.shape, values };
}

/**
 * Reads a legacy Keras HDF5 weight file (root attribute `layer_names`, one group per layer with
 * the attribute `weight_names`, datasets at `<layer>/<weight name>`; also the `model_weights`
 * group of a whole-model file) with h5wasm, from memory.
 */
export async function readKerasH5(bytes: Uint8Array, source: string, options: ReadKerasH5Options = {}): Promise<KerasH5File> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MODEL_BYTES;
  return withH5File(bytes, source, (file) => {
    const root = file.attrs.layer_names || file.attrs.layer_names0 ? file : file.get('model_weights');
    const layerNames = root ? stringsAttr(root, 'layer_names') : [];
    if (!root || layerNames.length === 0) {
      throw new ModelLoadError(`'${source}' is an HDF5 file but not a Keras weight file: it has no 'layer_names' attribute.`);
    }
    const weights = new Map<string, KerasH5Weight[]>();
    const budget = { left: maxBytes, max: maxBytes };
    for (const layer of layerNames) {
      const group = root.get(layer);
      if (!group) continue;
      const names = stringsAttr(group, 'weight_names');
      if (names.length === 0) continue;
      weights.set(
        layer,
        names.map((name) => readWeightDataset(group, name, `layer '${layer}'`, source, budget)),
      );
    }
    const config = file.attrs.model_config?.value;
    return { layerNames, weights, ...(typeof config === 'string' ? { modelConfig: config } : {}) };
  });
}

/** The last part of a weight name without Keras' ':0' ('block_1/bn/gamma:0' → 'gamma'). */
const shortName = (name: string) => name.replace(/:\d+$/, '').split('/').pop() as string;

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Sets a model's weights from a Keras HDF5 file by layer name: the file's weights of a layer go to
 * the model layer of the same name, matched by weight name (kernel, bias, gamma, beta,
 * moving_mean, moving_variance, depthwise_kernel, pointwise_kernel) or else in Keras' order.
 * Model layers with weights that have no group of their name in the file are paired, in order, with
 * the file's unused weighted layers when their counts and shapes agree (the official MobileNetV2
 * files were written by older Keras versions, whose classifier may carry another name); otherwise
 * they are listed in a ModelLoadError. A shape mismatch names the layer and both shapes.
 */
export function setKerasWeights(model: LayersModel, file: KerasH5File, source: string): void {
  const weighted = model.layers.filter((l) => l.weights.length > 0);
  const missing = weighted.filter((l) => !file.weights.has(l.name));
  const pairs = new Map<string, readonly KerasH5Weight[]>();
  for (const layer of weighted) {
    const w = file.weights.get(layer.name);
    if (w) pairs.set(layer.name, w);
  }
  if (missing.length > 0) {
    const modelNames = new Set(weighted.map((l) => l.name));
    const unused = file.layerNames.filter((n) => file.weights.has(n) && !modelNames.has(n));
    const fits =
      unused.length === missing.length &&
      missing.every((layer, i) => {
        const theirs = file.weights.get(unused[i]) as readonly KerasH5Weight[];
        return theirs.length === layer.weights.length && layer.weights.every((w, j) => sameShape(w.shape as number[], theirs[j].shape));
      });
    if (!fits) {
      throw new ModelLoadError(
        `'${source}' has no weights for ${missing.length} layer(s) of ${model.name}: ${listChoices(missing.map((l) => l.name))}. ` +
          `Is it the weight file of this architecture (same alpha, input size, include_top)?`,
      );
    }
    missing.forEach((layer, i) => {
      pairs.set(layer.name, file.weights.get(unused[i]) as readonly KerasH5Weight[]);
    });
  }
  // Everything is checked before anything is set, so a bad file leaves the model as it was.
  const plan = weighted.map((layer) => {
    const theirs = pairs.get(layer.name) as readonly KerasH5Weight[];
    const ours = layer.weights;
    if (theirs.length !== ours.length) {
      throw new ModelLoadError(
        `'${source}': layer '${layer.name}' has ${theirs.length} weights in the file (${theirs.map((w) => w.name).join(', ')}), the model expects ${ours.length} (${ours.map((w) => w.originalName).join(', ')}).`,
      );
    }
    const byName = new Map(theirs.map((w) => [shortName(w.name), w]));
    const ordered = ours.every((w) => byName.has(shortName(w.originalName))) ? ours.map((w) => byName.get(shortName(w.originalName)) as KerasH5Weight) : theirs;
    ordered.forEach((w, i) => {
      if (!sameShape(w.shape, ours[i].shape as number[])) {
        throw new ModelLoadError(
          `'${source}': weight '${w.name}' of layer '${layer.name}' has shape [${w.shape.join(', ')}]; the model expects [${ours[i].shape.join(', ')}] (${ours[i].originalName}).`,
        );
      }
    });
    return { layer, ordered };
  });
  tf.tidy(() => {
    for (const { layer, ordered } of plan) layer.setWeights(ordered.map((w) => tf.tensor(w.values, [...w.shape], 'float32')));
  });
}

/**
 * Writes a model's weights as a legacy Keras HDF5 weight file — the layout of the official
 * keras-applications files (`layer_names`; per weighted layer a group with `weight_names` and the
 * datasets at `<layer>/<layer>/<weight>:0`), which Keras' `model.load_weights` and readKerasH5 read.
 */
export async function writeKerasH5(model: LayersModel): Promise<Uint8Array> {
  const h5wasm = (await import('h5wasm')).default;
  const { FS } = await h5wasm.ready;
  const path = `/gradcam-write-${++uniqueId}.h5`;
  const file = new h5wasm.File(path, 'w');
  try {
    file.create_attribute(
      'layer_names',
      model.layers.map((l) => l.name),
    );
    file.create_attribute('backend', 'tensorflow');
    for (const layer of model.layers) {
      if (layer.weights.length === 0) continue;
      const group = file.create_group(layer.name);
      const names = layer.weights.map((w) => `${w.originalName}:0`);
      group.create_attribute('weight_names', names);
      const inner = group.create_group(layer.name);
      for (const [i, value] of layer.getWeights().entries()) {
        inner.create_dataset({ name: `${shortName(names[i])}:0`, data: value.dataSync() as Float32Array, shape: value.shape, dtype: '<f' });
      }
    }
  } finally {
    file.close();
  }
  const bytes = FS.readFile(path) as Uint8Array;
  FS.unlink(path);
  return bytes;
}
