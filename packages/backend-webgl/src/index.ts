export { drawExplanation, drawRgba, imageDataFromRgba, rgbaFromImageData } from './canvas.js';
export { useWebglBackend } from './webgl-backend.js';
