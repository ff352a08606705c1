import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { replaceWasmKernel } from './replace-kernel.js';

/**
 * Replaces wasm's Slice kernel for contiguous slices (whole rows of the outer axes, e.g. one
 * image of a batch): tfjs-backend-wasm 4.22 first copies its *whole* input out of the wasm heap
 * (readSync) and then the slice into the output, so taking each of N images out of a batch
 * copied the batch N times. This copies the slice alone, heap to heap. Other slices (strided
 * inner axes, strings) go to the original kernel. Idempotent; a no-op before wasm's kernels
 * are registered.
 */
export function registerWasmSliceKernel(): void {
  replaceWasmKernel(tf.Slice, (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const { begin, size } = args.attrs as unknown as tf.SliceAttrs;
    const [start, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    if (x.dtype === 'string' || !tf.slice_util.isSliceContinous(x.shape, start, extent)) return original(args);
    const wasm = args.backend as BackendWasm;
    const out = wasm.makeOutput(extent, x.dtype);
    // Views taken after makeOutput, which may grow (and so replace) the heap.
    const offset = tf.slice_util.computeFlatOffset(start, tf.util.computeStrides(x.shape));
    wasm.typedArrayFromHeap(out).set(wasm.typedArrayFromHeap(x).subarray(offset, offset + tf.util.sizeFromShape(extent)));
    return out;
  });
}
