import { defineConfig, type Plugin } from 'vite';

/**
 * Modules the page never runs, replaced by stubs that say why: @gradcam/models imports h5wasm
 * lazily to read the ImageNet models' Keras .h5 files, which the page does not offer (it lists
 * the bundled models only), and would add a 4.8 MB chunk.
 */
const BROWSER_STUBS: Record<string, string> = {
  h5wasm: `export default { get ready() { return Promise.reject(new Error('Keras .h5 weight files (the ImageNet models) are not part of the web demo.')); } };`,
};
const STUB_PREFIX = '\0gradcam-browser-stub:';

function browserStubs(): Plugin {
  return {
    name: 'gradcam-browser-stubs',
    enforce: 'pre',
    resolveId: (id) => (Object.hasOwn(BROWSER_STUBS, id) ? STUB_PREFIX + id : null),
    load: (id) => (id.startsWith(STUB_PREFIX) ? BROWSER_STUBS[id.slice(STUB_PREFIX.length)] : null),
  };
}

export default defineConfig({
  // Relative asset URLs: the built app works from any folder of any static server.
  base: './',
  plugins: [browserStubs()],
  // The explain worker (src/explain-worker.ts) imports the models lazily: ES-module workers can
  // split code; classic ones cannot. Its imports need the same stubs as the page.
  worker: { format: 'es', plugins: () => [browserStubs()] },
  // The dev server's dependency pre-bundling would also move the weights packages' entries away
  // from the model files they name with new URL(…, import.meta.url): they are plain ES modules
  // without dependencies and need none (the recipe in @gradcam/models' README).
  optimizeDeps: {
    exclude: [
      ...Object.keys(BROWSER_STUBS),
      '@gradcam/weights-nsfw-mobilenet-v2',
      '@gradcam/weights-nsfw-mobilenet-v2-mid',
      '@gradcam/weights-nsfw-inception-v3',
    ],
  },
  build: {
    target: 'es2022',
    // The worker's chunk carries tfjs (about 1.7 MB). The models' weights are not JavaScript: the
    // weights packages' files (model.json, .bin shards) are emitted as assets, fetched on first use.
    chunkSizeWarningLimit: 2_000,
    reportCompressedSize: false,
    // The page's main thread uses @gradcam/format's colormaps only; its PNG/JPEG codecs (CommonJS
    // pngjs and jpeg-js, side-effect free but not marked so) would otherwise stay in the bundle.
    rollupOptions: { treeshake: { moduleSideEffects: (id) => !/[\\/]node_modules[\\/].*(pngjs|jpeg-js)[\\/]/.test(id) } },
  },
});
