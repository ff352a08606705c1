import { defineConfig, type Plugin } from 'vite';

const NODE_BACKEND = '@gradcam/backend-node';
const STUB_ID = '\0gradcam-backend-node-browser-stub';

/**
 * The umbrella imports @gradcam/backend-node (tfjs-node, a native addon) lazily and only in
 * Node.js. A browser bundle must not try to resolve it: this stands in a module that says so.
 */
function nodeBackendStub(): Plugin {
  return {
    name: 'gradcam-node-backend-stub',
    enforce: 'pre',
    resolveId: (id) => (id === NODE_BACKEND ? STUB_ID : null),
    load: (id) =>
      id === STUB_ID ? 'export function useTensorflowBackend() { throw new Error("The \'tensorflow\' backend (tfjs-node) only runs in Node.js."); }' : null,
  };
}

export default defineConfig({
  // Relative asset URLs: the built app works from any folder of any static server.
  base: './',
  plugins: [nodeBackendStub()],
  optimizeDeps: { exclude: [NODE_BACKEND] },
  build: {
    target: 'es2022',
    // The bundled models' weights are JavaScript modules (base64): large chunks are expected.
    chunkSizeWarningLimit: 45_000,
    reportCompressedSize: false,
  },
});
