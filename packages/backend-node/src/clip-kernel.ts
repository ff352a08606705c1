import * as tf from '@tensorflow/tfjs-core';
import { type NodeBackendInternals, nodeBackendInternals } from './tfjs-node-internals.js';

/** Marks the kernel function registered here, so registering twice changes nothing. */
const NATIVE = Symbol('gradcam native clip');

/**
 * tfjs-node 4.22 runs tf.clipByValue as Minimum then Maximum, two passes over the tensor plus
 * two scalar uploads; tfjs-layers' ReLU6 is relu followed by that clip, so MobileNetV2 spends a
 * quarter of a predict in it. TensorFlow's own ClipByValue op does it in one pass, with the
 * same result: min(max(x, lo), hi) for lo ≤ hi, which tfjs checks before the kernel runs.
 * Other dtypes than float32 and int32 go to the original kernel.
 */
function nativeClip(original: tf.KernelFunc): tf.KernelFunc {
  const kernelFunc: tf.KernelFunc = ({ inputs, attrs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const { clipValueMin, clipValueMax } = attrs as { clipValueMin: number; clipValueMax: number };
    const node = backend as unknown as NodeBackendInternals;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return original({ inputs, attrs, backend });
    const type = { name: 'T', type: node.binding.TF_ATTR_TYPE, value: x.dtype === 'float32' ? node.binding.TF_FLOAT : node.binding.TF_INT32 };
    const bounds = [tf.scalar(clipValueMin, x.dtype), tf.scalar(clipValueMax, x.dtype)];
    try {
      return node.executeSingleOutput('ClipByValue', [type], [x, ...bounds]);
    } finally {
      tf.dispose(bounds);
    }
  };
  return Object.assign(kernelFunc, { [NATIVE]: true });
}

/**
 * Replaces the 'tensorflow' backend's ClipByValue with TensorFlow's native op (idempotent; a
 * no-op until tfjs-node is loaded). Called when the backend loads.
 */
export function registerTensorflowClip(): void {
  const current = tf.getKernel(tf.ClipByValue, 'tensorflow');
  // Written for tfjs-node 4.22's backend internals; another version keeps its own kernel.
  if ('reason' in nodeBackendInternals()) return;
  if (!current || (current.kernelFunc as { [NATIVE]?: boolean })[NATIVE]) return;
  tf.unregisterKernel(tf.ClipByValue, 'tensorflow');
  tf.registerKernel({ ...current, kernelFunc: nativeClip(current.kernelFunc) });
}
