import { registerWasmBatchNorm } from './batch-norm-kernel.js';
import { registerWasmGradientKernels } from './gradient-kernels.js';

registerWasmGradientKernels();
registerWasmBatchNorm();

export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export { registerWasmBatchNorm } from './batch-norm-kernel.js';
export { registerWasmGradientKernels, WASM_GRADIENT_KERNELS, WASM_REPLACED_KERNELS } from './gradient-kernels.js';
export { useWasmBackend, wasmFeatures, wasmFilesDirectory } from './wasm-backend.js';
