export { tensorflowJpegDecoder, tensorflowPngDecoder } from './native-image.js';
export { OFFLINE_INSTALL_HINT, tensorflowBackendStatus, useTensorflowBackend } from './node-backend.js';
