import { registerBackend } from '@gradcam/core';
import { useWebglBackend } from './webgl-backend.js';

// The gradcam plug-in: importing this package makes 'webgl' the first choice of 'auto' in browsers and workers.
registerBackend({ name: 'webgl', environments: ['browser', 'worker'], priority: 20, activate: useWebglBackend });

export type { Explanation, RgbaImage } from '@gradcam/core';
export type { FormatAsImageOptions } from '@gradcam/format';
export { type CanvasLike, drawExplanation, drawRgba, imageDataFromRgba, rgbaFromImageData } from './canvas.js';
export { isSoftwareRenderer, type WebglRendererInfo, webglRendererInfo } from './renderer.js';
export { useWebglBackend } from './webgl-backend.js';
