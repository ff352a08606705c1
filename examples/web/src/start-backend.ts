import { type WebglRendererInfo, webglRendererInfo } from '@gradcam/backend-webgl';
import { BackendUnavailableError } from '@gradcam/core/errors';
import { setBackend } from 'gradcam';
import { backendPlan } from './backend-plan';
import type { BackendReport, PageBackend } from './worker-protocol';

// The .wasm binaries are the app's own assets: @gradcam/backend-wasm points tfjs at its packaged
// copies with new URL(…, import.meta.url), which Vite emits beside the bundle; nothing is fetched
// from a CDN and nothing is configured here.

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
