import '@tensorflow/tfjs-backend-webgl';
import { activateBackend } from '@gradcam/core';

/** Makes 'webgl' the active tfjs backend; throws BackendUnavailableError without WebGL. */
export function useWebglBackend(): Promise<'webgl'> {
  return activateBackend('webgl', 'No WebGL context here: use wasm or cpu.');
}
