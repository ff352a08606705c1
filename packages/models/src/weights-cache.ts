import { ModelLoadError } from '@gradcam/core';
import { hasHdf5Signature } from './keras-h5.js';

/** A weight file to download once and keep: where it is, and how to check it. */
export interface WeightFileSpec {
  /** File name in the cache folder. */
  readonly fileName: string;
  /** Where to download it from. */
  readonly url: string;
  /** The MD5 Keras publishes (keras.applications' `file_hash`), when it publishes one. */
  readonly md5?: string;
  /** A SHA-256 to check, when known. */
  readonly sha256?: string;
}

/** Options of the weight downloader: where to cache, and how to fetch (tests point it at 127.0.0.1). */
export interface WeightCacheOptions {
  /** Cache folder (Node); default `GRADCAM_CACHE`, else the platform cache folder + `/gradcam`. */
  readonly cacheDir?: string;
  /** Replaces the folder part of every official URL (a mirror, or a local server in tests). */
  readonly baseUrl?: string;
  /** The fetch to use; default globalThis.fetch. */
  readonly fetch?: typeof fetch;
}

/** The downloaded or cached bytes of a weight file. */
export interface WeightFile {
  readonly bytes: Uint8Array;
  /** Where it is cached (a path in Node, the URL in a browser's Cache API). */
  readonly location: string;
  readonly fromCache: boolean;
}

/** A downloaded weight file failed its check (hash, or not an HDF5 file); it was not cached. */
export class WeightsIntegrityError extends ModelLoadError {
  /** The URL the bytes came from. */
  readonly url: string;
  constructor(message: string, url: string) {
    super(message);
    this.url = url;
  }
}

const isNode = () => typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * The cache folder: `GRADCAM_CACHE`, else `$XDG_CACHE_HOME/gradcam` or `~/.cache/gradcam` (Linux),
 * `~/Library/Caches/gradcam` (macOS), `%LOCALAPPDATA%\gradcam` (Windows).
 */
export function defaultCacheDir(env: Record<string, string | undefined>, platform: string, home: string): string {
  if (env.GRADCAM_CACHE) return env.GRADCAM_CACHE;
  if (platform === 'win32') return `${env.LOCALAPPDATA ?? `${home}\\AppData\\Local`}\\gradcam`;
  if (platform === 'darwin') return `${home}/Library/Caches/gradcam`;
  return `${env.XDG_CACHE_HOME || `${home}/.cache`}/gradcam`;
}

/**
 * Imports a Node built-in through a computed specifier, so that bundlers building for browsers
 * (esbuild, Vite) do not try to resolve it; browsers never reach these calls.
 */
export function importNodeBuiltin<T>(name: string): Promise<T> {
  return import(/* @vite-ignore */ name) as Promise<T>;
}

async function nodeCacheDir(options: WeightCacheOptions): Promise<string> {
  if (options.cacheDir) return options.cacheDir;
  const os = await importNodeBuiltin<typeof import('node:os')>('node:os');
  return defaultCacheDir(process.env, process.platform, os.homedir());
}

/** The URL a spec is fetched from under the options (baseUrl replaces the folder part). */
export function weightFileUrl(spec: WeightFileSpec, options: WeightCacheOptions = {}): string {
  if (!options.baseUrl) return spec.url;
  return `${options.baseUrl.replace(/\/+$/, '')}/${spec.url.split('/').pop()}`;
}

async function digest(algorithm: 'md5' | 'sha256', bytes: Uint8Array): Promise<string | undefined> {
  if (isNode()) {
    const { createHash } = await importNodeBuiltin<typeof import('node:crypto')>('node:crypto');
    return createHash(algorithm).update(bytes).digest('hex');
  }
  // Browsers' SubtleCrypto has SHA-256 but no MD5: an MD5 is then not checked (the HDF5
  // signature and the layer check when the weights are set still are).
  if (algorithm === 'md5' || !globalThis.crypto?.subtle) return undefined;
  const hash = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes.slice()));
  return Array.from(hash, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Checks downloaded or cached bytes; returns a reason when they fail, else undefined. */
async function verify(spec: WeightFileSpec, bytes: Uint8Array): Promise<string | undefined> {
  if (!hasHdf5Signature(bytes)) return `it is not an HDF5 file (${bytes.length} bytes without the HDF5 signature)`;
  for (const algorithm of ['md5', 'sha256'] as const) {
    const expected = spec[algorithm];
    if (!expected) continue;
    const actual = await digest(algorithm, bytes);
    if (actual !== undefined && actual !== expected.toLowerCase()) return `its ${algorithm} is ${actual}, Keras publishes ${expected}`;
  }
  return undefined;
}

async function download(spec: WeightFileSpec, url: string, options: WeightCacheOptions, cachedAt: string): Promise<Uint8Array> {
  const doFetch = options.fetch ?? globalThis.fetch;
  const offlineHint =
    `Without network access, download it on another machine and pass the local file, e.g. ` +
    `loadModel(id, { weights: '/path/to/${spec.fileName}' }), or copy it to ${cachedAt}.`;
  let response: Response;
  try {
    response = await doFetch(url);
  } catch (error) {
    throw new ModelLoadError(`Could not download the weight file ${url}: ${(error as Error).message}. ${offlineHint}`, { cause: error });
  }
  if (!response.ok) throw new ModelLoadError(`Downloading the weight file ${url} failed with HTTP ${response.status}. ${offlineHint}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const problem = await verify(spec, bytes);
  if (problem) throw new WeightsIntegrityError(`The weight file downloaded from ${url} was refused and not cached: ${problem}.`, url);
  return bytes;
}

/** The size of the cached weight file, or undefined when it is not cached (its content is checked when it is used). */
export async function cachedWeightFileSize(spec: WeightFileSpec, options: WeightCacheOptions = {}): Promise<number | undefined> {
  if (isNode()) {
    const { stat } = await importNodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises');
    const { join } = await importNodeBuiltin<typeof import('node:path')>('node:path');
    return stat(join(await nodeCacheDir(options), spec.fileName)).then(
      (s) => (s.isFile() && s.size > 0 ? s.size : undefined),
      () => undefined,
    );
  }
  if (typeof caches === 'undefined') return undefined;
  const hit = await (await caches.open('gradcam-weights')).match(weightFileUrl(spec, options));
  return hit ? (await hit.blob()).size : undefined;
}

/** True when the weight file is already in the cache (its content is checked when it is used). */
export async function isWeightFileCached(spec: WeightFileSpec, options: WeightCacheOptions = {}): Promise<boolean> {
  return (await cachedWeightFileSize(spec, options)) !== undefined;
}

/**
 * Returns a weight file's bytes: from the cache when there and intact, else downloaded once,
 * checked (HDF5 signature; Keras' published hash when there is one) and written to the cache under
 * a temporary name, then renamed, so no half file is ever cached. A download that fails the check
 * throws WeightsIntegrityError and leaves nothing behind; a cached file that fails it is replaced.
 * Node caches in a folder (see defaultCacheDir); browsers in the Cache API ('gradcam-weights').
 */
export async function fetchWeightFile(spec: WeightFileSpec, options: WeightCacheOptions = {}): Promise<WeightFile> {
  const url = weightFileUrl(spec, options);
  if (!isNode()) return fetchWithCacheApi(spec, url, options);
  const fs = await importNodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises');
  const { join } = await importNodeBuiltin<typeof import('node:path')>('node:path');
  const dir = await nodeCacheDir(options);
  const path = join(dir, spec.fileName);
  const cached = await fs.readFile(path).then(
    (b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength),
    () => undefined,
  );
  if (cached && (await verify(spec, cached)) === undefined) return { bytes: cached, location: path, fromCache: true };
  if (cached) await fs.rm(path, { force: true });
  const bytes = await download(spec, url, options, path);
  await fs.mkdir(dir, { recursive: true });
  const temporary = `${path}.${process.pid}.${Date.now()}.part`;
  try {
    await fs.writeFile(temporary, bytes);
    await fs.rename(temporary, path);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw new ModelLoadError(`Could not write the weight file to the cache ${path}: ${(error as Error).message}. Set GRADCAM_CACHE to a writable folder.`, {
      cause: error,
    });
  }
  return { bytes, location: path, fromCache: false };
}

/** Browser path (not tested here: it needs a browser): the Cache API keyed by URL. */
async function fetchWithCacheApi(spec: WeightFileSpec, url: string, options: WeightCacheOptions): Promise<WeightFile> {
  const cache = typeof caches === 'undefined' ? undefined : await caches.open('gradcam-weights');
  const hit = await cache?.match(url);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    if ((await verify(spec, bytes)) === undefined) return { bytes, location: url, fromCache: true };
    await cache?.delete(url);
  }
  const bytes = await download(spec, url, options, `the browser cache 'gradcam-weights'`);
  await cache?.put(url, new Response(bytes.slice().buffer));
  return { bytes, location: url, fromCache: false };
}
