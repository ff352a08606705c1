import { activateBackend } from '@gradcam/core';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

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
