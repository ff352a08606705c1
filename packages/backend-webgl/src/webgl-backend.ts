import '@tensorflow/tfjs-backend-webgl';
import { BackendUnavailableError } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';

/** Makes 'webgl' the active tfjs backend; throws BackendUnavailableError without WebGL. */
export async function useWebglBackend(): Promise<'webgl'> {
  let ok = false;
  try {
    ok = await tf.setBackend('webgl');
  } catch (error) {
    throw new BackendUnavailableError(`The webgl backend failed to start: ${(error as Error).message}`, { cause: error });
  }
  if (!ok) throw new BackendUnavailableError('The webgl backend is not available here (no WebGL context); use wasm or cpu.');
  return 'webgl';
}
