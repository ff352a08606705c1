import { ModelLoadError } from '@gradcam/core';
import { importNodeBuiltin } from '@gradcam/core/internals';
import { boundedFetch, DEFAULT_MAX_MODEL_BYTES, deadlineIn, type FetchLimits, readRegularFile, resolveInside, resolveUrl, type SizeLimit } from '@gradcam/io';
import type * as tf from '@tensorflow/tfjs-core';

/** How much a model may read, how long it may wait, and where its weight files may come from. */
export interface ModelReadLimits extends Omit<FetchLimits, 'deadline'> {
  /** Most bytes the model may read in all: model.json plus its weight files. Default 1 GiB (DEFAULT_MAX_MODEL_BYTES). */
  readonly maxBytes?: number;
  /** HTTP(S): milliseconds the whole load may take, however steadily bytes arrive. Default 10 min. */
  readonly deadlineMs?: number;
  /**
   * HTTP(S): origins besides the model.json's own that its weight files may come from (e.g.
   * ['https://cdn.example.com']), or '*' for any. Default none: same origin only.
   */
  readonly allowedOrigins?: readonly string[] | '*';
}

/** model.json itself is held to this, below maxBytes: topologies are kilobytes to a few megabytes. */
const MAX_MODEL_JSON_BYTES = 64 * 2 ** 20;
/** More weight entries or files than this is not a model anyone ships. */
const MAX_MANIFEST_ENTRIES = 100_000;

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

type Manifest = { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];

/** Bytes of one manifest entry in the weight files (quantized entries store their own dtype). */
function weightBytes(entry: tf.io.WeightsManifestEntry): number {
  const dtype = entry.quantization?.dtype ?? entry.dtype;
  return entry.shape.reduce((n, d) => n * d, 1) * DTYPE_BYTES[dtype];
}

/** A weightsManifest is a bounded list of groups of shard paths and weight entries of known dtypes; say so when it is not. */
function checkManifest(source: string, manifest: unknown): asserts manifest is Manifest {
  const validEntry = (w: unknown) => {
    const e = w as tf.io.WeightsManifestEntry;
    return typeof e?.name === 'string' && typeof e.dtype === 'string' && Array.isArray(e.shape) && e.shape.every((d) => Number.isInteger(d) && d >= 0);
  };
  const valid =
    Array.isArray(manifest) &&
    manifest.every(
      (g) => Array.isArray(g?.paths) && g.paths.every((p: unknown) => typeof p === 'string') && Array.isArray(g.weights) && g.weights.every(validEntry),
    );
  if (!valid) {
    throw new ModelLoadError(
      `The model file '${source}' has a malformed weightsManifest: expected a list of { paths: string[], weights: { name, shape, dtype }[] }.`,
    );
  }
  const entries = manifest.reduce((n, g) => n + g.paths.length + g.weights.length, 0);
  if (entries > MAX_MANIFEST_ENTRIES) {
    throw new ModelLoadError(`The model file '${source}' lists ${entries} weight files and entries, more than the limit of ${MAX_MANIFEST_ENTRIES}.`);
  }
  for (const w of manifest.flatMap((g) => g.weights)) {
    const dtype = w.quantization?.dtype ?? w.dtype;
    if (DTYPE_BYTES[dtype] === undefined) {
      throw new ModelLoadError(
        `The model file '${source}' stores the weight '${w.name}' as '${dtype}', which gradcam does not read; valid: ${Object.keys(DTYPE_BYTES).join(', ')}.`,
      );
    }
  }
}

const isUrl = (source: string) => /^https?:\/\//i.test(source);

/**
 * The checked `maxBytes` of `limits` and a reader for files of the model at `source`: a bounded
 * fetch for an http(s) URL (all reads share one deadline), else a bounded read of a regular file.
 */
function modelReader(source: string, limits: ModelReadLimits) {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_MODEL_BYTES;
  if (!(maxBytes > 0)) throw new ModelLoadError(`maxBytes must be a positive number; got ${String(limits.maxBytes)}.`);
  const remote = isUrl(source);
  const fetchLimits = { ...limits, deadline: deadlineIn(limits.deadlineMs) };
  const read = async (location: string, what: string, limit: SizeLimit): Promise<Uint8Array> =>
    remote
      ? (await boundedFetch(location, { ...fetchLimits, ...limit, error: ModelLoadError, what })).bytes
      : readRegularFile(location, { ...limit, error: ModelLoadError, what });
  return { maxBytes, remote, read };
}

/**
 * Reads one model file (a Keras .keras or .h5) from a path (a regular file) or an http(s) URL,
 * at most `maxBytes` (default 1 GiB), with the same HTTP limits as readModelArtifacts.
 * @throws ModelLoadError naming the file and the rule it broke.
 */
export async function readModelFile(source: string, limits: ModelReadLimits = {}): Promise<Uint8Array> {
  const { maxBytes, read } = modelReader(source, limits);
  return read(source, 'the model file', { maxBytes });
}

/**
 * Reads a tfjs model — its model.json and the weight files its manifest names — from a path
 * (Node) or an http(s) URL, as ModelArtifacts for tf.io.fromMemory, under these rules:
 * - each weight path resolves inside the model's own folder (no absolute path, no `..` out of it,
 *   no symbolic link whose real path leaves it) or, for a URL, on the model.json's origin unless
 *   `allowedOrigins` says otherwise;
 * - only regular files are read (no FIFO, no device), each at most the bytes its group of the
 *   manifest declares, and the group's files must hold exactly that many;
 * - the manifest's declared total, plus model.json, is at most `maxBytes`, checked before any
 *   weight file is read;
 * - HTTP(S): every file fetched once, with an idle timeout, a redirect limit and one deadline for
 *   the whole load.
 * @throws ModelLoadError naming the file and the rule it broke.
 */
export async function readModelArtifacts(source: string, limits: ModelReadLimits = {}): Promise<tf.io.ModelArtifacts> {
  const { maxBytes, remote, read } = modelReader(source, limits);
  const jsonBytes = await read(source, 'the model file', { maxBytes: Math.min(maxBytes, MAX_MODEL_JSON_BYTES) });
  let json: Partial<tf.io.ModelJSON>;
  try {
    json = JSON.parse(new TextDecoder().decode(jsonBytes));
  } catch (error) {
    throw new ModelLoadError(`Cannot read the model file '${source}': ${(error as Error).message}`, { cause: error });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ModelLoadError(`The model file '${source}' is not a tfjs model.json: expected an object with modelTopology and weightsManifest.`);
  }
  const manifest = json.weightsManifest ?? [];
  checkManifest(source, manifest);
  const groupBytes = manifest.map((g) => g.weights.reduce((n, w) => n + weightBytes(w), 0));
  const declared = groupBytes.reduce((a, b) => a + b, 0);
  if (declared + jsonBytes.length > maxBytes) {
    throw new ModelLoadError(
      `The model '${source}' declares ${declared} bytes of weights, more than the limit of ${maxBytes - jsonBytes.length} bytes left by maxBytes (${maxBytes}); ` +
        'raise maxBytes if the model is trusted.',
    );
  }

  const modelFolder = remote ? '' : (await importNodeBuiltin<typeof import('node:path')>('node:path')).dirname(source);
  const folder = `the folder of '${source}'`;
  const weightData = new Uint8Array(declared);
  let offset = 0;
  for (const [i, group] of manifest.entries()) {
    const start = offset;
    for (const path of group.paths) {
      const location = remote
        ? resolveUrl(path, source, { error: ModelLoadError, what: 'the weight file', allowedOrigins: limits.allowedOrigins })
        : await resolveInside(modelFolder, path, { error: ModelLoadError, what: 'the weight file', folder });
      const left = groupBytes[i] - (offset - start);
      const bytes = await read(location, 'the weight file', {
        maxBytes: left,
        limitNote: `the ${groupBytes[i]} bytes its manifest declares for ${manifest.length > 1 ? `group ${i + 1}` : 'the weights'}`,
      }).catch((error: unknown) => {
        // Name the model too: a weight file's message alone does not say which model.json named it.
        throw ModelLoadError.isInstance(error) ? new ModelLoadError(`${error.message.replace(/\.$/, '')} (named by '${source}').`, { cause: error }) : error;
      });
      weightData.set(bytes, offset);
      offset += bytes.length;
    }
    if (offset - start !== groupBytes[i]) {
      throw new ModelLoadError(
        `The weight files of '${source}'${manifest.length > 1 ? ` (group ${i + 1}: ${group.paths.join(', ')})` : ''} hold ${offset - start} bytes, ` +
          `but its manifest describes ${groupBytes[i]} bytes of weights (a weight file is truncated, or belongs to another model).`,
      );
    }
  }
  const { modelTopology, format, generatedBy, convertedBy, signature, userDefinedMetadata, modelInitializer, initializerSignature, trainingConfig } = json;
  return {
    modelTopology,
    weightSpecs: manifest.flatMap((g) => g.weights),
    weightData: weightData.buffer,
    format,
    generatedBy,
    convertedBy,
    signature,
    userDefinedMetadata,
    modelInitializer,
    initializerSignature,
    trainingConfig,
  } as tf.io.ModelArtifacts;
}
