/** The file names tfjs-backend-wasm asks for, one per build (plain, SIMD, threaded SIMD). */
export type WasmFileName = 'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

/**
 * URLs of the .wasm binaries shipped in this package's dist/ folder (copied there from
 * @tensorflow/tfjs-backend-wasm at build time). Written as `new URL('./…', import.meta.url)`,
 * which Vite, webpack 5, Rollup and Parcel turn into emitted assets: a bundled app serves the
 * files itself, with no configuration and no CDN.
 */
export function packagedWasmFiles(): Record<WasmFileName, string> {
  return {
    'tfjs-backend-wasm.wasm': new URL('./tfjs-backend-wasm.wasm', import.meta.url).href,
    'tfjs-backend-wasm-simd.wasm': new URL('./tfjs-backend-wasm-simd.wasm', import.meta.url).href,
    'tfjs-backend-wasm-threaded-simd.wasm': new URL('./tfjs-backend-wasm-threaded-simd.wasm', import.meta.url).href,
  };
}
