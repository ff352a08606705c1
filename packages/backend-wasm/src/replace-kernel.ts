import * as tf from '@tensorflow/tfjs-core';

/** Marks kernel functions registered by replaceWasmKernel, so replacing twice changes nothing. */
const REPLACED = Symbol.for('@gradcam/backend-wasm/replaced-kernel');

/**
 * Replaces wasm's kernel `kernelName` with `make(original)` (idempotent; a no-op before wasm's
 * kernels are registered). The replacement keeps the original for the cases it leaves to it.
 */
export function replaceWasmKernel(kernelName: string, make: (original: tf.KernelFunc) => tf.KernelFunc): void {
  const current = tf.getKernel(kernelName, 'wasm');
  if (current === undefined || (current.kernelFunc as { [REPLACED]?: boolean })[REPLACED]) return;
  const kernelFunc = make(current.kernelFunc);
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...current, kernelFunc: Object.assign(kernelFunc, { [REPLACED]: true }) });
}
