import { registerBackend } from '@gradcam/core';
import { tensorflowDecodeOptions } from './native-image.js';
import { useTensorflowBackend } from './node-backend.js';

// The gradcam plug-in: importing this package makes 'tensorflow' the first choice of 'auto' in Node.js.
registerBackend({
  name: 'tensorflow',
  environments: ['node'],
  priority: 30,
  activate: useTensorflowBackend,
  decodeOptions: tensorflowDecodeOptions,
});

export type { RgbaImage } from '@gradcam/core';
export { tensorflowDecodeOptions, tensorflowJpegDecoder, tensorflowPngDecoder } from './native-image.js';
export { OFFLINE_INSTALL_HINT, tensorflowBackendStatus, useTensorflowBackend } from './node-backend.js';
export { defaultGraphCacheDir, type TensorflowExecutorOptions, TensorflowGraphExecutor } from './tensorflow-executor.js';
export { TFJS_NODE_INTERNALS_VERSION } from './tfjs-node-internals.js';
