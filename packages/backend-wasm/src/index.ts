import { registerBackend } from '@gradcam/core';
import { registerWasmBatchNorm } from './batch-norm-kernel.js';
import { registerWasmGradientKernels } from './gradient-kernels.js';
import { registerWasmIdentityKernel } from './identity-kernel.js';
import { registerWasmSliceKernel } from './slice-kernel.js';
import { useWasmBackend } from './wasm-backend.js';

registerWasmGradientKernels();
registerWasmBatchNorm();
registerWasmSliceKernel();
registerWasmIdentityKernel();
// The gradcam plug-in: 'auto' tries it after tensorflow (Node) or webgl (browsers).
registerBackend({ name: 'wasm', environments: ['node', 'browser', 'worker'], priority: 10, activate: useWasmBackend });

export { registerWasmBatchNorm } from './batch-norm-kernel.js';
export { registerWasmGradientKernels, WASM_GRADIENT_KERNELS, WASM_REPLACED_KERNELS } from './gradient-kernels.js';
export { registerWasmIdentityKernel } from './identity-kernel.js';
export { registerWasmSliceKernel } from './slice-kernel.js';
export { setWasmPaths, useWasmBackend, type WasmFeatures, wasmFeatures, wasmFilesDirectory } from './wasm-backend.js';
export { packagedWasmFiles, type WasmFileName } from './wasm-files.js';
