import { registerWasmGradientKernels } from './gradient-kernels.js';

registerWasmGradientKernels();

export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export { registerWasmGradientKernels, WASM_GRADIENT_KERNELS, WASM_REPLACED_KERNELS } from './gradient-kernels.js';
export { useWasmBackend, wasmFeatures, wasmFilesDirectory } from './wasm-backend.js';
