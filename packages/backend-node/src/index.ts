export { tensorflowJpegDecoder } from './native-image.js';
export { OFFLINE_INSTALL_HINT, tensorflowBackendStatus, useTensorflowBackend } from './node-backend.js';
export { defaultGraphCacheDir, type TensorflowExecutorOptions, TensorflowGraphExecutor } from './tensorflow-executor.js';
export { TFJS_NODE_INTERNALS_VERSION } from './tfjs-node-internals.js';
