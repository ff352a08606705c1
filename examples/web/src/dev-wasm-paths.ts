/// <reference types="vite/client" />
// Development server only (imported behind import.meta.env.DEV, so `vite build` leaves it out):
// Vite's dev server pre-bundles dependencies into node_modules/.vite/deps/, where the .wasm files
// that @gradcam/backend-wasm names relative to itself are absent. Name them through Vite's ?url
// imports instead, before the backend first starts (the recipe in @gradcam/backend-wasm's README).
import { setWasmPaths } from '@gradcam/backend-wasm';
import plain from '@gradcam/backend-wasm/tfjs-backend-wasm.wasm?url';
import simd from '@gradcam/backend-wasm/tfjs-backend-wasm-simd.wasm?url';
import threadedSimd from '@gradcam/backend-wasm/tfjs-backend-wasm-threaded-simd.wasm?url';

/** Points the wasm backend at the dev server's URLs of its three binaries. */
export function useDevWasmPaths(): void {
  setWasmPaths({ 'tfjs-backend-wasm.wasm': plain, 'tfjs-backend-wasm-simd.wasm': simd, 'tfjs-backend-wasm-threaded-simd.wasm': threadedSimd });
}
