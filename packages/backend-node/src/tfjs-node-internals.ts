// Every use of tfjs-node's internals (its kernel backend's binding and SavedModel session calls)
// goes through this module, checked against the version it was written for.
import * as tf from '@tensorflow/tfjs-core';

/** The tfjs-node version whose internals this module was written against. */
export const TFJS_NODE_INTERNALS_VERSION = '4.22.0';

/** An input of a session run: the tensor name in the graph ('x:0') and TensorFlow's dtype name. */
export interface SessionInput {
  readonly name: string;
  readonly tfDtype: 'DT_FLOAT' | 'DT_INT32';
}

/** The parts of tfjs-node's NodeJSKernelBackend used here. */
export interface NodeBackendInternals {
  binding: { TF_ATTR_TYPE: number; TF_FLOAT: number; TF_INT32: number };
  executeSingleOutput(name: string, attrs: { name: string; type: number; value: unknown }[], inputs: tf.TensorInfo[]): tf.Tensor;
  loadSavedModelMetaGraph(path: string, tags: string): number;
  runSavedModel(id: number, inputs: tf.Tensor[], inputInfos: SessionInput[], outputNames: string[]): tf.Tensor[];
  deleteSavedModel(id: number): void;
}

let recordedVersion: string | undefined;

/** Records the version of the tfjs-node module that was imported (its `version['tfjs-node']`). */
export function recordTfjsNodeVersion(module: unknown): void {
  const v = (module as { version?: Record<string, string> }).version?.['tfjs-node'];
  if (typeof v === 'string') recordedVersion = v;
}

/**
 * The tfjs-node backend's internals, or why they cannot be used: the backend is not registered,
 * its version is not the one this module was written for, or a method is missing.
 */
export function nodeBackendInternals(): { backend: NodeBackendInternals } | { reason: string } {
  const version = recordedVersion;
  if (version !== TFJS_NODE_INTERNALS_VERSION) {
    return {
      reason: `tfjs-node ${version ?? '(unknown version)'} is not ${TFJS_NODE_INTERNALS_VERSION}, the version gradcam's TensorFlow graph runner was written for`,
    };
  }
  const backend = tf.findBackend('tensorflow') as unknown as Partial<NodeBackendInternals> | null;
  if (!backend) return { reason: "the 'tensorflow' backend is not registered" };
  const methods = ['executeSingleOutput', 'loadSavedModelMetaGraph', 'runSavedModel', 'deleteSavedModel'] as const;
  const missing = methods.filter((m) => typeof backend[m] !== 'function');
  if (missing.length > 0 || !backend.binding) return { reason: `tfjs-node's backend lacks ${missing.join(', ') || 'its binding'}` };
  return { backend: backend as NodeBackendInternals };
}
