import { activateBackend } from '@gradcam/core';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

/**
 * In Node, the directory of the installed @tensorflow/tfjs-backend-wasm's .wasm files (so they
 * never come from a CDN); undefined in browsers, where the bundler serves them.
 */
export async function wasmFilesDirectory(): Promise<string | undefined> {
  if (!isNode) return undefined;
  const { createRequire } = await import('node:module');
  const { dirname } = await import('node:path');
  const require = createRequire(import.meta.url);
  return `${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`;
}

/**
 * Makes 'wasm' the active tfjs backend, with the .wasm files resolved from the installed
 * package in Node. Returns the backend name; throws BackendUnavailableError when the
 * WebAssembly module cannot start.
 */
export async function useWasmBackend(): Promise<'wasm'> {
  const directory = await wasmFilesDirectory();
  if (directory !== undefined) setWasmPaths(directory);
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
