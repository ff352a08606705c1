import type { WebglRendererInfo } from '@gradcam/backend-webgl';
import { PAGE_BACKENDS, type PageBackend } from './worker-protocol';

/** A backend that is not 'auto'. */
export type ConcreteBackend = Exclude<PageBackend, 'auto'>;

/** The order to try backends in, and the sentence that explains the first choice. */
export interface BackendPlan {
  readonly order: readonly ConcreteBackend[];
  readonly reason: string;
}

/** The short name of a renderer string, for a sentence ("SwiftShader", else the string itself). */
function rendererName(renderer: string): string {
  return /swiftshader/i.test(renderer) ? 'SwiftShader' : renderer;
}

/**
 * Which backends to try, in order. 'auto' takes webgl when WebGL 2 runs on a GPU; on a
 * software rasteriser (SwiftShader, llvmpipe…) webgl emulates the GPU on the CPU and is several
 * times slower than wasm, so wasm comes first. An explicit choice is tried first, then the rest.
 */
export function backendPlan(requested: PageBackend, webgl: WebglRendererInfo | undefined): BackendPlan {
  let order: ConcreteBackend[];
  let reason: string;
  if (!webgl) {
    order = ['wasm', 'cpu'];
    reason = 'auto chose wasm: this browser has no WebGL 2 in a Worker.';
  } else if (webgl.software) {
    order = ['wasm', 'webgl', 'cpu'];
    reason = `auto chose wasm: WebGL here is software-rendered (${rendererName(webgl.renderer)}), on which wasm runs the model faster.`;
  } else {
    order = ['webgl', 'wasm', 'cpu'];
    reason = `auto chose webgl: WebGL 2 runs on the GPU (${webgl.renderer}).`;
  }
  if (requested === 'auto') return { order, reason };
  return { order: [requested, ...order.filter((name) => name !== requested)], reason: `${requested}, as asked in the address (?backend=${requested}).` };
}

/** The `?backend=` of a query string; an unknown value is named in `notice` and 'auto' is used. */
export function backendFromQuery(search: string): { backend: PageBackend; notice?: string } {
  const value = new URLSearchParams(search).get('backend');
  if (value === null || value === '') return { backend: 'auto' };
  if ((PAGE_BACKENDS as readonly string[]).includes(value)) return { backend: value as PageBackend };
  return { backend: 'auto', notice: `?backend=${value} is not a backend (valid: ${PAGE_BACKENDS.join(', ')}); using auto.` };
}
