import '@gradcam/backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { type BackendName, setBackend } from 'gradcam';

/** The backends the page accepts in its `?backend=` query parameter. */
export const PAGE_BACKENDS: readonly BackendName[] = ['auto', 'webgl', 'wasm', 'cpu'];

/**
 * Starts a tfjs backend: 'auto' is webgl, else wasm, else cpu. The .wasm binaries are the
 * app's own assets (Vite emits them next to the bundle), so nothing is fetched from a CDN.
 * Returns the active backend's name; `onNotice` receives the line explaining a fallback.
 */
export async function startBackend(requested: BackendName = 'auto', onNotice?: (message: string) => void): Promise<string> {
  setWasmPaths({
    'tfjs-backend-wasm.wasm': wasmUrl,
    'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
  });
  return setBackend(requested, onNotice ? { onNotice } : {});
}

/** Reads `?backend=` from a query string; unknown values fall back to 'auto'. */
export function requestedBackend(search: string): BackendName {
  const value = new URLSearchParams(search).get('backend') ?? 'auto';
  return (PAGE_BACKENDS as readonly string[]).includes(value) ? (value as BackendName) : 'auto';
}
