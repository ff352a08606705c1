import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

/** Marks the Identity kernel registered here, so registering twice changes nothing. */
const SHARED = Symbol('gradcam shared identity');

/**
 * Replaces wasm's Identity kernel (tf.clone, and every tensor a gradient tape saves) with one
 * that shares the input's memory, as the cpu and webgl backends' Identity and wasm's own Reshape
 * do: tfjs-backend-wasm 4.22 copies the whole tensor, heap to heap — at an inner layer, every
 * activation a backward pass keeps was copied once more. Strings go to the original kernel.
 * Idempotent; a no-op before wasm's kernels are registered.
 */
export function registerWasmIdentityKernel(): void {
  const current = tf.getKernel(tf.Identity, 'wasm');
  if (current === undefined || (current.kernelFunc as { [SHARED]?: boolean })[SHARED]) return;
  const original = current.kernelFunc;
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === 'string') return original(args);
    (args.backend as BackendWasm).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  tf.unregisterKernel(tf.Identity, 'wasm');
  tf.registerKernel({ kernelName: tf.Identity, backendName: 'wasm', kernelFunc: Object.assign(kernelFunc, { [SHARED]: true }) });
}
