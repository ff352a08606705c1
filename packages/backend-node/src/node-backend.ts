import { activateBackend, BackendUnavailableError } from '@gradcam/core';
import { graphExecutorFor, registerGraphExecutor } from '@gradcam/core/internals';
import { registerTensorflowClip } from './clip-kernel.js';
import { TensorflowGraphExecutor } from './tensorflow-executor.js';
import { recordTfjsNodeVersion } from './tfjs-node-internals.js';

/** How to get a working tfjs-node where libtensorflow cannot be downloaded. */
export const OFFLINE_INSTALL_HINT =
  '@tensorflow/tfjs-node downloads libtensorflow when it installs. Online: `npm rebuild @tensorflow/tfjs-node`. ' +
  'Without internet: serve a libtensorflow-cpu-linux-x86_64-2.9.1.tar.gz (lib/ and include/ of a TensorFlow 2.x CPU build) ' +
  'over HTTP and run `TFJS_NODE_CDN_STORAGE=<its base URL> npm rebuild @tensorflow/tfjs-node` (the gradcam repository has ' +
  'scripts/offline-tfjs-node, which packs one from a TensorFlow wheel). Or use the wasm backend, which needs no native code.';

let loading: Promise<unknown> | undefined;

async function importTfjsNode(): Promise<void> {
  // libtensorflow logs CPU-feature and oneDNN banners to stderr on load; keep them out of CLI
  // output unless the user asked for them. oneDNN off also makes results reproducible.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  process.env.TF_ENABLE_ONEDNN_OPTS ??= '0';
  // A failed import is not cached by Node for native addons, but retrying costs a second or more.
  loading ??= import('@tensorflow/tfjs-node');
  try {
    recordTfjsNodeVersion(await loading);
    registerTensorflowClip();
    // Explain and predict of layers models run as TensorFlow graphs (unless another executor
    // was registered for this backend, or it was unregistered on purpose after loading).
    if (!graphExecutorFor('tensorflow')) registerGraphExecutor(new TensorflowGraphExecutor());
  } catch (error) {
    loading = undefined;
    throw error;
  }
}

/** Whether tfjs-node can load here, and why not when it cannot. */
export async function tensorflowBackendStatus(): Promise<{ available: true } | { available: false; reason: string }> {
  try {
    await importTfjsNode();
    return { available: true };
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return { available: false, reason: message };
  }
}

/**
 * Loads @tensorflow/tfjs-node and makes 'tensorflow' the active backend. pnpm and npm keep an
 * optional tfjs-node whose install script failed as a folder without its native binding;
 * importing it then throws, which becomes a BackendUnavailableError with install advice.
 */
export async function useTensorflowBackend(): Promise<'tensorflow'> {
  const status = await tensorflowBackendStatus();
  if (!status.available) {
    throw new BackendUnavailableError(`The 'tensorflow' backend (tfjs-node) cannot load: ${status.reason}. ${OFFLINE_INSTALL_HINT}`);
  }
  return activateBackend('tensorflow', OFFLINE_INSTALL_HINT);
}
