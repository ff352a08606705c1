// Every use of tfjs internals by the model adapters goes through this module: the engine's
// gradient tape (tfjs-core) and a GraphModel's artifacts and weight map (tfjs-converter), read
// the way tfjs 4.22 keeps them. Each accessor checks that the field has the expected shape, and
// TFJS_INTERNALS_VERSION records the version the module was written for (checked by its test).
import { InvalidInputError } from '@gradcam/core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';

/** The tfjs version whose internals this module reads (tfjs-core and tfjs-converter). */
export const TFJS_INTERNALS_VERSION = '4.22.0';

/** True when the loaded tfjs-core is the version this module was written for. */
export function isTfjsInternalsVersion(version: string = tf.version_core): boolean {
  return version === TFJS_INTERNALS_VERSION;
}

/** A GraphModel's model.json artifacts: tfjs-converter keeps them in a private field. */
export interface GraphArtifacts extends tf.io.ModelArtifacts {
  modelTopology?: { node?: unknown[] };
}

/** The artifacts a GraphModel was loaded from, or a typed error when this version keeps none. */
export function graphArtifacts(model: GraphModel): GraphArtifacts {
  const artifacts = (model as unknown as { artifacts?: GraphArtifacts }).artifacts;
  if (!artifacts?.modelTopology?.node) throw new InvalidInputError('This GraphModel exposes no graph topology; load it with tf.loadGraphModel or loadModel().');
  return artifacts;
}

type WithExecutor = { executor?: { weightMap?: Record<string, tf.Tensor[]> } };

/**
 * Makes `twin` use `source`'s weight tensors (the same Const nodes) and frees its own: a twin
 * loaded from the same artifacts then costs no memory. Returns false (and changes nothing) when
 * either model keeps its weights elsewhere than tfjs-converter 4.22's executor.weightMap.
 */
export function shareGraphWeights(source: GraphModel, twin: GraphModel): boolean {
  const from = (source as unknown as WithExecutor).executor;
  const to = (twin as unknown as WithExecutor).executor;
  if (!from?.weightMap || !to?.weightMap) return false;
  const own = to.weightMap;
  to.weightMap = from.weightMap;
  tf.dispose(Object.values(own).flat());
  return true;
}

/**
 * Frees what tf.grad's tape saved for the backward pass when the pass failed: tfjs-core 4.22
 * frees those tensors only after a backward pass completes, so a forward pass that throws (a
 * gradient that does not reach the layer, the first attempt before a retry) would leak them. A
 * no-op inside an outer gradient, whose tape it is not ours to clear, and where the engine
 * keeps its tape differently.
 */
export function releaseFailedTape(): void {
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number; activeTape?: { saved?: tf.Tensor[] }[] | null } }).state;
  if (!state || state.gradientDepth !== 0 || !Array.isArray(state.activeTape)) return;
  for (const node of state.activeTape) for (const t of node.saved ?? []) t.dispose();
  state.activeTape = null;
}

/**
 * Whether a gradient is being recorded (inside tf.grad / tf.customGrad's forward pass): the
 * engine's gradient depth, which tfjs-core 4.22 keeps in its state.
 */
export function isRecordingGradients(): boolean {
  const state = (tf.engine() as unknown as { state?: { gradientDepth?: number } }).state;
  return (state?.gradientDepth ?? 0) > 0;
}

/**
 * Runs a fused kernel (FusedConv2D, FusedDepthwiseConv2D, _FusedMatMul) as the one kernel it is,
 * also under a gradient tape. tf.fused.* fall back to separate ops whenever a tape is active
 * (gradientDepth > 0) and the activation is not linear — inside a custom gradient's forward
 * pass too, where no tape records them; the kernels themselves are the same.
 */
export function runFusedKernel(kernel: string, inputs: tf.NamedTensorMap, attrs: Record<string, unknown>): tf.Tensor {
  return tf.engine().runKernel(kernel, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
}
