import { activateBackend, BackendUnavailableError, listChoices } from '@gradcam/core';
import type { DecodeOptions } from '@gradcam/format';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';

/** Backends gradcam can select; 'auto' tries the fastest available one first. */
export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'webgl' | 'cpu';

const BACKENDS: readonly BackendName[] = ['auto', 'tensorflow', 'wasm', 'webgl', 'cpu'];

/** Options of setBackend. */
export interface SetBackendOptions {
  /** Receives the one-line notice printed when 'auto' has to fall back; default console.warn. */
  readonly onNotice?: (message: string) => void;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

async function select(name: Exclude<BackendName, 'auto'>): Promise<string> {
  switch (name) {
    case 'tensorflow': {
      if (!isNode) throw new BackendUnavailableError("The 'tensorflow' backend (tfjs-node) only runs in Node.js.");
      const { useTensorflowBackend } = await import('@gradcam/backend-node').catch((error: unknown) => {
        throw new BackendUnavailableError(`@gradcam/backend-node is not installed: ${(error as Error).message}`, { cause: error });
      });
      return useTensorflowBackend();
    }
    case 'wasm': {
      const { useWasmBackend } = await import('@gradcam/backend-wasm');
      return useWasmBackend();
    }
    case 'webgl':
      if (tf.findBackendFactory('webgl') === null) {
        throw new BackendUnavailableError("The webgl backend is not registered: import '@gradcam/backend-webgl' (browsers only) before setBackend('webgl').");
      }
      return activateBackend('webgl', 'No WebGL context here: use wasm or cpu.');
    case 'cpu':
      return activateBackend('cpu', 'The pure-JavaScript backend should always start; is @tensorflow/tfjs-backend-cpu installed?');
  }
}

/**
 * Selects the tfjs backend and returns its name. 'auto' tries, in Node, tensorflow → wasm →
 * cpu, and in browsers webgl → wasm → cpu, with a one-line notice when the first choice fails.
 */
export async function setBackend(name: BackendName = 'auto', options: SetBackendOptions = {}): Promise<string> {
  if (!BACKENDS.includes(name)) {
    throw new BackendUnavailableError(`Unknown backend '${name}'. Valid backends: ${listChoices(BACKENDS)}.`);
  }
  if (name !== 'auto') return select(name);
  const order: Exclude<BackendName, 'auto'>[] = isNode ? ['tensorflow', 'wasm', 'cpu'] : ['webgl', 'wasm', 'cpu'];
  const failures: string[] = [];
  for (const candidate of order) {
    try {
      const chosen = await select(candidate);
      if (failures.length > 0) (options.onNotice ?? console.warn)(`gradcam: ${failures.join('; ')}; using '${chosen}'.`);
      return chosen;
    } catch (error) {
      failures.push(`'${candidate}' unavailable (${((error as Error).message ?? String(error)).split(/[.:]\s/)[0]})`);
    }
  }
  throw new BackendUnavailableError(`No tfjs backend could start: ${failures.join('; ')}.`);
}

/** Selects a backend automatically unless one is already active; returns the active name. */
export async function ensureBackend(options: SetBackendOptions = {}): Promise<string> {
  const engine = tf.engine() as unknown as { backendName: string | null };
  if (engine.backendName) return engine.backendName;
  return setBackend('auto', options);
}

/**
 * Decode options that use the active backend's native helpers: with 'tensorflow' active, JPEG
 * files decode through tfjs-node's libjpeg-turbo (faster, and Pillow's exact pixels) and PNG files
 * through its libpng (faster, the same pixels); otherwise none. Pass them to decodeImage / loadImg.
 */
export async function nativeDecodeOptions(): Promise<DecodeOptions> {
  if (!isNode || tf.getBackend() !== 'tensorflow') return {};
  const { tensorflowJpegDecoder, tensorflowPngDecoder } = await import('@gradcam/backend-node');
  const [jpegDecoder, pngDecoder] = await Promise.all([tensorflowJpegDecoder(), tensorflowPngDecoder()]);
  return { ...(jpegDecoder ? { jpegDecoder } : {}), ...(pngDecoder ? { pngDecoder } : {}) };
}
