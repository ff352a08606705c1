import { registerWasmGradientKernels } from './gradient-kernels.js';
import { registerWasmSliceKernel } from './slice-kernel.js';

registerWasmGradientKernels();
registerWasmSliceKernel();

export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export { registerWasmGradientKernels, WASM_GRADIENT_KERNELS, WASM_REPLACED_KERNELS } from './gradient-kernels.js';
export { registerWasmSliceKernel } from './slice-kernel.js';
export { useWasmBackend, wasmFeatures, wasmFilesDirectory } from './wasm-backend.js';
