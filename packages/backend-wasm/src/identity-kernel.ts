import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { replaceWasmKernel } from './replace-kernel.js';

/**
 * Replaces wasm's Identity kernel (tf.clone, and every tensor a gradient tape saves) with one
 * that shares the input's memory, as the cpu and webgl backends' Identity and wasm's own Reshape
 * do: tfjs-backend-wasm 4.22 copies the whole tensor, heap to heap — at an inner layer, every
 * activation a backward pass keeps was copied once more. Strings go to the original kernel.
 * Idempotent; a no-op before wasm's kernels are registered.
 */
export function registerWasmIdentityKernel(): void {
  replaceWasmKernel(tf.Identity, (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original(args);
    (args.backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
}
