/** What the browser says about its WebGL implementation. */
export interface WebglRendererInfo {
  /** The unmasked renderer string where the browser gives it, else the masked one. */
  readonly renderer: string;
  /** True when the renderer draws on the CPU (SwiftShader, llvmpipe, …): webgl is then slow. */
  readonly software: boolean;
}

// Renderer strings of the CPU rasterisers browsers fall back to without a usable GPU: Chromium's
// SwiftShader ("ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device …))"), Mesa's llvmpipe and
// softpipe, and Windows' WARP ("Microsoft Basic Render Driver").
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|software rasterizer|basic render driver/i;

/** True for a WebGL renderer string that names a software (CPU) rasteriser. */
export function isSoftwareRenderer(renderer: string): boolean {
  return SOFTWARE_RENDERERS.test(renderer);
}

/**
 * Probes WebGL 2 the way tfjs' webgl backend gets its context (an OffscreenCanvas where there is
 * one, so it also works in a Worker, else a canvas element) and reports the renderer. Returns
 * undefined when there is no WebGL 2 here. The probe's context is released at once.
 */
export function webglRendererInfo(): WebglRendererInfo | undefined {
  let canvas: OffscreenCanvas | HTMLCanvasElement | undefined;
  if (typeof OffscreenCanvas !== 'undefined') canvas = new OffscreenCanvas(1, 1);
  else if (typeof document !== 'undefined') canvas = document.createElement('canvas');
  const gl = canvas?.getContext('webgl2') as WebGL2RenderingContext | null | undefined;
  if (!gl) return undefined;
  try {
    const debug = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = String(gl.getParameter(debug ? debug.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    return { renderer, software: isSoftwareRenderer(renderer) };
  } finally {
    gl.getExtension('WEBGL_lose_context')?.loseContext();
  }
}
