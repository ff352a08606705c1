import { ModelLoadError } from '@gradcam/core';
import { importNodeBuiltin } from '@gradcam/core/internals';
import { boundedFetch, DEFAULT_MAX_MODEL_BYTES, deadlineIn, readRegularFile } from '@gradcam/io';
import { hasHdf5Signature } from './keras-h5.js';
import { sha256Hex } from './sha256.js';

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
  /** Most bytes a weight file may have (cached or downloaded). Default 1 GiB. */
  readonly maxBytes?: number;
  /** Download: milliseconds without progress before giving up. Default 30 s. */
  readonly timeoutMs?: number;
  /** Download: milliseconds the whole download may take. Default 10 min. */
  readonly deadlineMs?: number;
  /** Download: most redirects followed. Default 5. */
  readonly maxRedirects?: number;
  /**
   * Told what happened when a cached file was refused and set aside (`<file>.rejected`) before
   * a new download; default console.warn.
   */
  readonly onNotice?: (message: string) => void;
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

async function nodeCacheDir(options: WeightCacheOptions): Promise<string> {
  if (options.cacheDir) return options.cacheDir;
  const os = await importNodeBuiltin<typeof import('node:os')>('node:os');
  return defaultCacheDir(process.env, process.platform, os.homedir());
}

/**
 * A cache file name derived from a URL's last path segment: percent-decoded, with every character
 * but `A-Z a-z 0-9 . _ -` made `_`, so a URL like `…/..%2F..%2Fetc%2Fx` cannot name a file outside
 * the cache folder.
 */
export function cacheFileNameOf(url: string): string {
  const last = new URL(url).pathname.split('/').pop() ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    decoded = last;
  }
  const safe = decoded.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '' || /^\.+$/.test(safe) ? 'weights.h5' : safe;
}

/** Throws unless `fileName` names a file directly in the cache folder (no separator, not '.' or '..'). */
function checkFileName(fileName: string): void {
  if (typeof fileName !== 'string' || fileName === '' || /[/\\\0]/.test(fileName) || /^\.+$/.test(fileName)) {
    throw new ModelLoadError(`The weight file name '${fileName}' is not a plain file name; it must not contain '/', '\\' or be '.'/'..'.`);
  }
}

/** The URL a spec is fetched from under the options (baseUrl replaces the folder part). */
export function weightFileUrl(spec: WeightFileSpec, options: WeightCacheOptions = {}): string {
  if (!options.baseUrl) return spec.url;
  return `${options.baseUrl.replace(/\/+$/, '')}/${spec.url.split('/').pop()}`;
}

async function digest(algorithm: 'md5' | 'sha256', bytes: Uint8Array): Promise<string | undefined> {
  if (algorithm === 'sha256') return sha256Hex(bytes);
  // Browsers' SubtleCrypto has no MD5: an MD5 is then not checked (the HDF5 signature and the
  // layer check when the weights are set still are).
  if (!isNode()) return undefined;
  const { createHash } = await importNodeBuiltin<typeof import('node:crypto')>('node:crypto');
  return createHash('md5').update(bytes).digest('hex');
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
  const offlineHint =
    `Without network access, download it on another machine and pass the local file, e.g. ` +
    `loadModel(id, { weights: '/path/to/${spec.fileName}' }), or copy it to ${cachedAt}.`;
  try {
    const { bytes } = await boundedFetch(url, {
      error: ModelLoadError,
      what: 'the weight file',
      maxBytes: options.maxBytes ?? DEFAULT_MAX_MODEL_BYTES,
      timeoutMs: options.timeoutMs,
      deadline: deadlineIn(options.deadlineMs),
      maxRedirects: options.maxRedirects,
      fetch: options.fetch,
    });
    return bytes;
  } catch (error) {
    throw new ModelLoadError(`Could not download ${(error as Error).message.replace(/^Cannot read /, '')} ${offlineHint}`, { cause: error });
  }
}

/** Checks bytes (verify, then `parse`); returns the parsed value, or the reason they were refused. */
async function check<T>(spec: WeightFileSpec, bytes: Uint8Array, parse: (bytes: Uint8Array) => Promise<T>): Promise<{ value: T } | { problem: string }> {
  const problem = await verify(spec, bytes);
  if (problem) return { problem };
  try {
    return { value: await parse(bytes) };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}

/** The size of the cached weight file, or undefined when it is not cached (its content is checked when it is used). */
export async function cachedWeightFileSize(spec: WeightFileSpec, options: WeightCacheOptions = {}): Promise<number | undefined> {
  if (isNode()) {
    const { stat } = await importNodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises');
    const { join } = await importNodeBuiltin<typeof import('node:path')>('node:path');
    checkFileName(spec.fileName);
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
 * throws WeightsIntegrityError and leaves nothing behind. A cached file that fails it is moved aside
 * to `<file>.rejected` (with a notice that says why) and downloaded again. Files are read only when
 * regular and within `maxBytes`; downloads have an idle timeout and a deadline.
 * Node caches in a folder (see defaultCacheDir); browsers in the Cache API ('gradcam-weights').
 */
export async function fetchWeightFile(spec: WeightFileSpec, options: WeightCacheOptions = {}): Promise<WeightFile> {
  return (await fetchParsedWeightFile(spec, options, async () => undefined)).file;
}

/**
 * fetchWeightFile with one more check: `parse` (e.g. reading the HDF5 structure) must succeed on
 * the bytes, or a cached file is set aside and downloaded again, and a download is refused.
 * Returns the file and what `parse` gave.
 */
export async function fetchParsedWeightFile<T>(
  spec: WeightFileSpec,
  options: WeightCacheOptions,
  parse: (bytes: Uint8Array, location: string) => Promise<T>,
): Promise<{ file: WeightFile; value: T }> {
  checkFileName(spec.fileName);
  const url = weightFileUrl(spec, options);
  if (!isNode()) return fetchWithCacheApi(spec, url, options, parse);
  const fs = await importNodeBuiltin<typeof import('node:fs/promises')>('node:fs/promises');
  const { join } = await importNodeBuiltin<typeof import('node:path')>('node:path');
  const dir = await nodeCacheDir(options);
  const path = join(dir, spec.fileName);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MODEL_BYTES;
  let setAside: string | undefined;
  const exists = await fs.lstat(path).then(
    () => true,
    () => false,
  );
  if (exists) {
    let cached: Uint8Array | undefined;
    let problem: string;
    try {
      cached = await readRegularFile(path, { error: ModelLoadError, what: 'the cached weight file', maxBytes });
      const checked = await check(spec, cached, (b) => parse(b, path));
      if ('value' in checked) return { file: { bytes: cached, location: path, fromCache: true }, value: checked.value };
      problem = `${checked.problem} (${cached.length} bytes)`;
    } catch (error) {
      problem = (error as Error).message.replace(/^Cannot read the cached weight file '[^']*': /, '').replace(/\.$/, '');
    }
    const rejected = `${path}.rejected`;
    await fs.rm(rejected, { recursive: true, force: true });
    await fs.rename(path, rejected);
    setAside = `The cached weight file ${path} was refused — ${problem} — and moved to ${rejected}`;
    (options.onNotice ?? console.warn)(`${setAside}; downloading ${url} again. Delete ${rejected} once the new file works (or restore it if it was intended).`);
  }
  const bytes = await download(spec, url, options, path).catch((error: unknown) => {
    throw setAside ? new ModelLoadError(`${(error as Error).message} (${setAside}.)`, { cause: error }) : error;
  });
  const checked = await check(spec, bytes, (b) => parse(b, url));
  if ('problem' in checked) throw new WeightsIntegrityError(`The weight file downloaded from ${url} was refused and not cached: ${checked.problem}.`, url);
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
  return { file: { bytes, location: path, fromCache: false }, value: checked.value };
}

/** Browser path (not tested here: it needs a browser): the Cache API keyed by URL. */
async function fetchWithCacheApi<T>(
  spec: WeightFileSpec,
  url: string,
  options: WeightCacheOptions,
  parse: (bytes: Uint8Array, location: string) => Promise<T>,
): Promise<{ file: WeightFile; value: T }> {
  const cache = typeof caches === 'undefined' ? undefined : await caches.open('gradcam-weights');
  const hit = await cache?.match(url);
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    const checked = await check(spec, bytes, (b) => parse(b, url));
    if ('value' in checked) return { file: { bytes, location: url, fromCache: true }, value: checked.value };
    (options.onNotice ?? console.warn)(
      `The cached weight file for ${url} was refused — ${checked.problem} — and deleted from the browser cache; downloading it again.`,
    );
    await cache?.delete(url);
  }
  const bytes = await download(spec, url, options, `the browser cache 'gradcam-weights'`);
  const checked = await check(spec, bytes, (b) => parse(b, url));
  if ('problem' in checked) throw new WeightsIntegrityError(`The weight file downloaded from ${url} was refused and not cached: ${checked.problem}.`, url);
  await cache?.put(url, new Response(bytes.slice().buffer));
  return { file: { bytes, location: url, fromCache: false }, value: checked.value };
}
