import { registerModelAdapter } from '@gradcam/core';
import { graphModelAdapter } from './graph-model-adapter.js';
import { layersModelAdapter } from './layers-model-adapter.js';

// Importing this package makes explain() accept tfjs LayersModel and GraphModel objects.
registerModelAdapter(graphModelAdapter);
registerModelAdapter(layersModelAdapter);

export { BUNDLED_MODEL_IDS, type BundledModelInfo, bundledModelInfo, loadBundledModel, NSFW_CLASSES } from './bundled-models.js';
export { GraphModelAdapter, graphModelAdapter, isGraphModel } from './graph-model-adapter.js';
export { isLayersModel, LayersModelAdapter, layersModelAdapter } from './layers-model-adapter.js';
export { stripSoftmax } from './strip-softmax.js';
export { type DeltaForward, runTargetGradients } from './target-gradients.js';
