import { ModelLoadError } from '@gradcam/core';
import { importNodeBuiltin } from '@gradcam/core/internals';
import { boundedFetch, DEFAULT_MAX_MODEL_BYTES, deadlineIn, type FetchLimits, readRegularFile } from '@gradcam/io';
import type * as tf from '@tensorflow/tfjs-core';
import { sha256Hex } from './sha256.js';
import { WeightsIntegrityError } from './weights-cache.js';

/** One file of a weights package: its name in the manifest, where it is, its size and SHA-256. */
export interface WeightsPackageFile {
  /** The file name, as model.json's weights manifest names it ('group1-shard1of1.bin'). */
  readonly path: string;
  /** Where the file is: a file: URL in Node, the asset URL a bundler made of it in a browser. */
  readonly url: URL | string;
  /** Its exact size in bytes. */
  readonly bytes: number;
  /** Its SHA-256, 64 hex digits. */
  readonly sha256: string;
}

/**
 * What a weights package (`@gradcam/weights-*`) exports: the model's files, with their sizes and
 * SHA-256, for a model of the catalog. Pass the imported module as `weightsPackage` where the
 * package cannot be imported by name (an optional model in a browser bundle).
 */
export interface WeightsPackage {
  /** The catalog id the weights belong to ('nsfw_mobilenet_v2'). */
  readonly modelId: string;
  /** The npm package name. */
  readonly packageName: string;
  /** The tfjs format of model.json. */
  readonly format: 'layers-model' | 'graph-model';
  /** model.json: the topology and the weights manifest. */
  readonly modelJson: WeightsPackageFile;
  /** The weight shards, in the order of the manifest. */
  readonly weightFiles: readonly WeightsPackageFile[];
}

/** How a weights package's files are read: bounds for fetching them (browsers) and an injectable fetch. */
export interface WeightsReadOptions extends Pick<FetchLimits, 'timeoutMs' | 'maxRedirects' | 'fetch'> {
  /** Most bytes all the files together may have; default 1 GiB. */
  readonly maxBytes?: number;
  /** Milliseconds all the files may take to fetch; default 10 min. */
  readonly deadlineMs?: number;
}

/** A model.json as tfjs writes it. */
export interface ModelJsonContent {
  readonly format: 'layers-model' | 'graph-model';
  readonly modelTopology: object;
  readonly weightsManifest: tf.io.WeightsManifestConfig;
  readonly [key: string]: unknown;
}

/** A weights package's verified contents. */
export interface WeightsPackageContents {
  readonly modelJson: ModelJsonContent;
  /** The bytes of each shard, in the manifest's order. */
  readonly shards: readonly Uint8Array[];
}

const SHA256 = /^[0-9a-f]{64}$/;

/** The install advice for a weights package, with the browser-bundle alternative. */
export function installAdvice(id: string, packageName: string): string {
  return (
    `Install it: npm install ${packageName}. In a browser bundle, import it yourself and pass it: ` +
    `loadModel('${id}', { weightsPackage: await import('${packageName}') }).`
  );
}

/** Checks the shape of what claims to be a weights package for `id` (it may come from anywhere). */
function checkPackage(id: string, packageName: string, value: unknown): WeightsPackage {
  const pkg = value as Partial<WeightsPackage> | undefined;
  const bad = (why: string) => new ModelLoadError(`The weights package given for '${id}' is not usable: ${why}. ${installAdvice(id, packageName)}`);
  if (typeof pkg !== 'object' || pkg === null) throw bad('it is not a module object');
  if (pkg.modelId !== id) throw bad(`it holds the weights of '${String(pkg.modelId)}' (${String(pkg.packageName)}), not of '${id}'`);
  if (pkg.format !== 'layers-model' && pkg.format !== 'graph-model')
    throw bad(`its format is ${JSON.stringify(pkg.format)}, not 'layers-model' or 'graph-model'`);
  const files = [pkg.modelJson, ...(Array.isArray(pkg.weightFiles) ? pkg.weightFiles : [undefined])];
  for (const file of files) {
    const f = file as Partial<WeightsPackageFile> | undefined;
    const ok =
      typeof f === 'object' &&
      f !== null &&
      typeof f.path === 'string' &&
      (typeof f.url === 'string' || f.url instanceof URL) &&
      Number.isSafeInteger(f.bytes) &&
      (f.bytes as number) >= 0 &&
      typeof f.sha256 === 'string' &&
      SHA256.test(f.sha256);
    if (!ok) throw bad('each of modelJson and weightFiles must be { path, url, bytes, sha256 }');
  }
  return pkg as WeightsPackage;
}

/** Reads one file of the package, bounded by its declared size, and checks its size and SHA-256. */
async function readFile(id: string, pkg: WeightsPackage, file: WeightsPackageFile, options: WeightsReadOptions, deadline: number): Promise<Uint8Array> {
  const where = `${file.path} of ${pkg.packageName}`;
  const damaged = `The package is damaged or incomplete: reinstall it (npm install ${pkg.packageName}).`;
  let url: URL;
  try {
    url = new URL(String(file.url));
  } catch (error) {
    throw new ModelLoadError(`Cannot read ${where}: '${String(file.url)}' is not an absolute URL.`, { cause: error });
  }
  const subject = { error: ModelLoadError, what: `${where} (for '${id}')`, maxBytes: file.bytes, limitNote: `the ${file.bytes} bytes the package declares` };
  let bytes: Uint8Array;
  if (url.protocol === 'file:') {
    const { fileURLToPath } = await importNodeBuiltin<typeof import('node:url')>('node:url');
    try {
      bytes = await readRegularFile(fileURLToPath(url), subject);
    } catch (error) {
      throw new ModelLoadError(`${(error as Error).message} ${damaged}`, { cause: error });
    }
  } else {
    ({ bytes } = await boundedFetch(url.href, {
      ...subject,
      expectedBytes: file.bytes,
      timeoutMs: options.timeoutMs,
      maxRedirects: options.maxRedirects,
      fetch: options.fetch,
      deadline,
    }));
  }
  if (bytes.byteLength !== file.bytes) {
    throw new WeightsIntegrityError(`${where} has ${bytes.byteLength} bytes; the package declares ${file.bytes}. ${damaged}`, url.href);
  }
  const sha256 = await sha256Hex(bytes);
  if (sha256 !== file.sha256) {
    throw new WeightsIntegrityError(`${where} has the SHA-256 ${sha256}; the package declares ${file.sha256}. ${damaged}`, url.href);
  }
  return bytes;
}

/**
 * Reads a weights package's model.json and shards — in Node from disk (regular files only), in a
 * browser by fetching the asset URLs — each bounded by the size the package declares and checked
 * against its size and SHA-256; then checks that model.json's manifest names the package's shards.
 * @throws ModelLoadError (WeightsIntegrityError for a wrong size or hash) naming the file and the package.
 */
export async function readWeightsPackage(id: string, packageName: string, value: unknown, options: WeightsReadOptions = {}): Promise<WeightsPackageContents> {
  const pkg = checkPackage(id, packageName, value);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MODEL_BYTES;
  const total = [pkg.modelJson, ...pkg.weightFiles].reduce((n, f) => n + f.bytes, 0);
  if (total > maxBytes) throw new ModelLoadError(`The files of ${pkg.packageName} have ${total} bytes, more than maxBytes (${maxBytes}).`);
  const deadline = deadlineIn(options.deadlineMs);
  const [jsonBytes, ...shards] = await Promise.all([pkg.modelJson, ...pkg.weightFiles].map((file) => readFile(id, pkg, file, options, deadline)));
  let modelJson: ModelJsonContent;
  try {
    modelJson = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(jsonBytes));
  } catch (error) {
    throw new ModelLoadError(`${pkg.modelJson.path} of ${pkg.packageName} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const paths = Array.isArray(modelJson?.weightsManifest) ? modelJson.weightsManifest.flatMap((group) => group?.paths ?? []) : undefined;
  const expected = pkg.weightFiles.map((f) => f.path);
  if (typeof modelJson?.modelTopology !== 'object' || !paths || paths.join('\n') !== expected.join('\n')) {
    throw new ModelLoadError(
      `${pkg.modelJson.path} of ${pkg.packageName} does not describe its shards: its manifest names [${paths?.join(', ') ?? 'nothing'}], the package has [${expected.join(', ')}].`,
    );
  }
  return { modelJson: { ...modelJson, format: pkg.format }, shards };
}
