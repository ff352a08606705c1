import { activateBackend } from '@gradcam/core';
import { importNodeBuiltin } from '@gradcam/core/internals';
import { getThreadsCount, setWasmPaths as setTfjsWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { packagedWasmFiles, type WasmFileName } from './wasm-files.js';

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * In Node, the directory of the installed @tensorflow/tfjs-backend-wasm's .wasm files (so they
 * never come from a CDN); undefined in browsers, where the bundler serves them.
 */
export async function wasmFilesDirectory(): Promise<string | undefined> {
  if (!isNode) return undefined;
  // Through importNodeBuiltin: bundlers for browsers see no Node built-in here.
  const { createRequire } = await importNodeBuiltin<typeof import('node:module')>('node:module');
  const { dirname } = await importNodeBuiltin<typeof import('node:path')>('node:path');
  const require = createRequire(import.meta.url);
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

/** Where the application said the .wasm files are (setWasmPaths), if it did. */
let chosenPaths: string | Partial<Record<WasmFileName, string>> | undefined;

/**
 * Serves the .wasm files from elsewhere (a CDN, another folder): a URL prefix ending in '/', or
 * one URL per file name. Call it before the wasm backend first starts, instead of tfjs' own
 * setWasmPaths (which useWasmBackend would override with the packaged files).
 */
export function setWasmPaths(paths: string | Partial<Record<WasmFileName, string>>): void {
  chosenPaths = paths;
  setTfjsWasmPaths(paths);
}

/**
 * Makes 'wasm' the active tfjs backend and returns its name. The .wasm files come from, in this
 * order: setWasmPaths; in Node, the installed @tensorflow/tfjs-backend-wasm; in browsers, this
 * package's own copies (packagedWasmFiles: bundlers emit them). Throws BackendUnavailableError
 * when the WebAssembly module cannot start.
 */
export async function useWasmBackend(): Promise<'wasm'> {
  if (chosenPaths === undefined) setTfjsWasmPaths((await wasmFilesDirectory()) ?? packagedWasmFiles());
  return activateBackend('wasm', 'Is WebAssembly available here?');
}

/** What the wasm backend can use here. */
export interface WasmFeatures {
  /** WebAssembly SIMD (the -simd binary): Node 16+ and current browsers. */
  readonly simd: boolean;
  /**
   * Multithreading (the -threaded-simd binary): browsers with cross-origin isolation
   * (COOP/COEP headers) only; tfjs-backend-wasm 4.22 never uses threads in Node.
   */
  readonly threads: boolean;
  /** Threads the active wasm backend runs with (1 without multithreading). */
  readonly threadsCount: number;
}

/** Reports SIMD and threads support; tfjs picks the best binary on its own from these flags. */
export async function wasmFeatures(): Promise<WasmFeatures> {
  const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
  const threads = Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  return { simd, threads, threadsCount: tf.getBackend() === 'wasm' ? getThreadsCount() : 1 };
}
