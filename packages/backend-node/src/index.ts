export { OFFLINE_INSTALL_HINT, tensorflowBackendStatus, useTensorflowBackend } from './node-backend.js';
