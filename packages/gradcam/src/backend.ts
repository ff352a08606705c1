import { activateBackend, BackendUnavailableError, findBackend, listBackends, registerBackend } from '@gradcam/core';
import { listChoices } from '@gradcam/core/internals';
import type { DecodeOptions } from '@gradcam/format';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// The backends gradcam itself depends on register as plug-ins: wasm here, cpu below. Others
// register when their package is imported: '@gradcam/backend-node' (tensorflow, Node.js) and
// '@gradcam/backend-webgl' (browsers); importing them is up to the application.
import '@gradcam/backend-wasm';

registerBackend({
  name: 'cpu',
  environments: ['node', 'browser', 'worker'],
  priority: 0,
  activate: () => activateBackend('cpu', 'The pure-JavaScript backend should always start; is @tensorflow/tfjs-backend-cpu installed?'),
});

/**
 * A backend to select: 'auto' (the registered one with the highest priority that starts), or a
 * registered backend's name — 'tensorflow' (with @gradcam/backend-node), 'wasm', 'webgl' (with
 * @gradcam/backend-webgl), 'cpu', or a plug-in's own.
 */
export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'webgl' | 'cpu' | (string & {});

/** Options of setBackend. */
export interface SetBackendOptions {
  /** Receives the one-line notice printed when 'auto' has to fall back; default console.warn. */
  readonly onNotice?: (message: string) => void;
}

/**
 * Selects the tfjs backend and returns its name. 'auto' tries the backends registered for this
 * environment by priority — tensorflow (30) → webgl (20) → wasm (10) → cpu (0) among those
 * imported — with a one-line notice when the first choice fails.
 * @throws BackendUnavailableError naming the package that brings a backend that is not registered.
 */
export async function setBackend(name: BackendName = 'auto', options: SetBackendOptions = {}): Promise<string> {
  if (typeof name !== 'string' || name === '') {
    throw new BackendUnavailableError(`Unknown backend '${String(name)}'. Valid backends: ${listChoices(['auto', ...listBackends().map((b) => b.name)])}.`);
  }
  if (name !== 'auto') return findBackend(name).activate();
  const failures: string[] = [];
  for (const candidate of listBackends()) {
    try {
      const chosen = await candidate.activate();
      if (failures.length > 0) (options.onNotice ?? console.warn)(`gradcam: ${failures.join('; ')}; using '${chosen}'.`);
      return chosen;
    } catch (error) {
      failures.push(`'${candidate.name}' unavailable (${((error as Error).message ?? String(error)).split(/[.:]\s/)[0]})`);
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
 * Decode options that use the active backend's native helpers, from its plug-in: with
 * 'tensorflow' active, JPEG files decode through tfjs-node's libjpeg-turbo (faster, and Pillow's
 * exact pixels) and PNG files through its libpng (faster, the same pixels); otherwise none.
 * Pass them to decodeImage / loadImg.
 */
export async function nativeDecodeOptions(): Promise<DecodeOptions> {
  const active = listBackends().find((b) => b.name === tf.getBackend());
  return ((await active?.decodeOptions?.()) ?? {}) as DecodeOptions;
}
