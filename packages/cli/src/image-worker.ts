// The worker threads' side of the image pool (piscina runs `decode` and `draw` by name).
export { decodeInput as decode, prepareNative as prepare } from './decode-stage.js';
export { drawOverlays as draw } from './draw-stage.js';
