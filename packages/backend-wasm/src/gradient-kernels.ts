import '@tensorflow/tfjs-backend-cpu';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';

/**
 * The gradient kernels tfjs-backend-wasm 4.22 does not have. Without them the backward pass
 * through a (depthwise) convolution or a gather throws "Kernel … not registered for backend
 * 'wasm'", so only layers after the last convolution could be explained on wasm.
 */
export const WASM_GRADIENT_KERNELS = [
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'DepthwiseConv2dNativeBackpropFilter',
  'UnsortedSegmentSum',
] as const;

/**
 * Gradient kernels tfjs-backend-wasm 4.22 has but gets wrong, replaced the same way.
 * MaxPoolGrad drops the gradient of a window whose values are all 0 — common after a ReLU — where
 * TensorFlow and the cpu backend give it to the window's first cell: on InceptionV3 that moved
 * the maps at mixed2 and mixed7 (the layers before its stride-2 max-pooling blocks) by up to 0.45.
 */
export const WASM_REPLACED_KERNELS = ['MaxPoolGrad'] as const;

/** Marks the kernel functions registered here, so registering twice changes nothing. */
const DELEGATED = Symbol('gradcam cpu delegate');

type CpuBackend = tf.KernelBackend & { disposeData(dataId: object): boolean };

/**
 * A wasm kernel that runs the cpu backend's kernel of the same name: inputs are read from the
 * wasm heap, computed by tfjs-backend-cpu, and the result is written to a new wasm tensor. These
 * kernels cost about as much as the forward op they differentiate (one pass over the input), so
 * the copies are cheap next to the convolutions wasm runs natively.
 */
function delegateToCpu(kernelName: string): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = ({ inputs, attrs, backend }) => {
    const wasm = backend as BackendWasm;
    const cpu = tf.engine().findBackend('cpu') as CpuBackend | null;
    const cpuKernel = tf.getKernel(kernelName, 'cpu');
    if (!cpu || !cpuKernel) throw new Error(`The cpu backend (with kernel ${kernelName}) is needed by the wasm fallback and is not registered.`);
    // The cpu backend greets its first use in Node with advice to install tfjs-node; here it
    // only serves wasm, so that banner would be noise in a CLI's output.
    (cpu as { firstUse?: boolean }).firstUse = false;
    const cpuInputs: Record<string, tf.TensorInfo> = {};
    for (const [name, info] of Object.entries(inputs)) {
      if (!info) continue;
      cpuInputs[name] = { dataId: cpu.write(wasm.readSync(info.dataId), info.shape, info.dtype), shape: info.shape, dtype: info.dtype };
    }
    let result: tf.TensorInfo | tf.TensorInfo[] | undefined;
    try {
      result = cpuKernel.kernelFunc({ inputs: cpuInputs, attrs, backend: cpu }) as tf.TensorInfo | tf.TensorInfo[];
      const outputs = Array.isArray(result) ? result : [result];
      const copies = outputs.map((out) => {
        const copy = wasm.makeOutput(out.shape, out.dtype);
        wasm.typedArrayFromHeap(copy).set(cpu.readSync(out.dataId) as tf.TypedArray);
        return copy;
      });
      return Array.isArray(result) ? copies : copies[0];
    } finally {
      for (const info of Object.values(cpuInputs)) cpu.disposeData(info.dataId);
      for (const out of result === undefined ? [] : Array.isArray(result) ? result : [result]) cpu.disposeData(out.dataId);
    }
  };
  return { kernelName, backendName: 'wasm', kernelFunc: Object.assign(kernelFunc, { [DELEGATED]: true }) };
}

/**
 * Registers the missing gradient kernels for 'wasm' and replaces the wrong ones (idempotent).
 * Called when this package is imported, so every layer of a model can be explained on wasm.
 */
export function registerWasmGradientKernels(): void {
  for (const name of [...WASM_GRADIENT_KERNELS, ...WASM_REPLACED_KERNELS]) {
    const current = tf.getKernel(name, 'wasm');
    if ((current?.kernelFunc as { [DELEGATED]?: boolean } | undefined)?.[DELEGATED]) continue;
    if (current) tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(delegateToCpu(name));
  }
}
