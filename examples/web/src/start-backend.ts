import { type WebglRendererInfo, webglRendererInfo } from '@gradcam/backend-webgl';
import { BackendUnavailableError } from '@gradcam/core/errors';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { setBackend } from 'gradcam';
import { backendPlan } from './backend-plan';
import type { BackendReport, PageBackend } from './worker-protocol';

// The .wasm binaries are the app's own assets (Vite emits them beside the bundle), so nothing is
// fetched from a CDN. tfjs takes the paths once, before the wasm backend first starts.
setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
});

/** The first sentence of an error message, for a one-line reason. */
function firstSentence(error: unknown): string {
  return String((error as Error)?.message ?? error).split(/(?<=[.:])\s/)[0];
}

/** Starts a tfjs backend in this context (the worker) after `backendPlan`, and says which and why. */
export async function startBackend(requested: PageBackend, probe: () => WebglRendererInfo | undefined = webglRendererInfo): Promise<BackendReport> {
  const webgl = probe();
  const plan = backendPlan(requested, webgl);
  const failures: string[] = [];
  for (const candidate of plan.order) {
    try {
      const name = await setBackend(candidate);
      const fellBack = failures.length > 0;
      const reason = fellBack ? `${failures.join('; ')}; fell back to ${name}.` : plan.reason;
      return { name, requested, reason, fellBack, ...(webgl ? { renderer: webgl.renderer } : {}) };
    } catch (error) {
      failures.push(`${candidate} could not start (${firstSentence(error)})`);
    }
  }
  throw new BackendUnavailableError(`No tfjs backend could start: ${failures.join('; ')}.`);
}
