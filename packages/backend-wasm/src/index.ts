import { registerWasmBatchNorm } from './batch-norm-kernel.js';
import { registerWasmGradientKernels } from './gradient-kernels.js';
import { registerWasmIdentityKernel } from './identity-kernel.js';
import { registerWasmSliceKernel } from './slice-kernel.js';

registerWasmGradientKernels();
registerWasmBatchNorm();
registerWasmSliceKernel();
registerWasmIdentityKernel();

export { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
export { registerWasmBatchNorm } from './batch-norm-kernel.js';
export { registerWasmGradientKernels, WASM_GRADIENT_KERNELS, WASM_REPLACED_KERNELS } from './gradient-kernels.js';
export { registerWasmIdentityKernel } from './identity-kernel.js';
export { registerWasmSliceKernel } from './slice-kernel.js';
export { useWasmBackend, wasmFeatures, wasmFilesDirectory } from './wasm-backend.js';
