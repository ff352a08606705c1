export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export { useWasmBackend, wasmFilesDirectory } from './wasm-backend.js';
