export { drawExplanation, drawRgba, imageDataFromRgba, rgbaFromImageData } from './canvas.js';
export { isSoftwareRenderer, type WebglRendererInfo, webglRendererInfo } from './renderer.js';
export { useWebglBackend } from './webgl-backend.js';
