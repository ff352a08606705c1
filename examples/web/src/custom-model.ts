import { type GraphModel, loadGraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';
import { type LoadModelOptions, loadModel, ModelLoadError } from 'gradcam';
import { inputSize, type SessionModel } from './session';
import type { CustomModelSource, PreprocessChoice } from './worker-protocol';

/**
 * What Teachable Machine (and similar exporters) put in metadata.json beside model.json; a
 * labels.txt (one class per line) gives `labels` alone.
 */
export interface ModelMetadata {
  readonly labels?: readonly string[];
  readonly imageSize?: number;
  readonly modelName?: string;
  /** '@teachablemachine/image' for Teachable Machine's image models. */
  readonly packageName?: string;
}

/** The model's files, sorted by role. */
interface SortedFiles {
  readonly model: File;
  readonly weights: File[];
  readonly metadata?: ModelMetadata;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`${what} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** Reads metadata.json content, keeping only well-formed fields. */
export function parseMetadata(json: unknown): ModelMetadata {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return {};
  const { labels, imageSize, modelName, packageName } = json as Record<string, unknown>;
  return {
    ...(Array.isArray(labels) && labels.every((label) => typeof label === 'string') ? { labels } : {}),
    ...(Number.isInteger(imageSize) && (imageSize as number) > 0 ? { imageSize: imageSize as number } : {}),
    ...(typeof modelName === 'string' ? { modelName } : {}),
    ...(typeof packageName === 'string' ? { packageName } : {}),
  };
}

/** Sorts chosen files: the model.json (the JSON with a modelTopology), weight files, metadata. */
async function sortFiles(files: readonly File[]): Promise<SortedFiles> {
  const models: File[] = [];
  const weights: File[] = [];
  let metadata: ModelMetadata | undefined;
  for (const file of files) {
    const name = file.name.toLowerCase();
    if (name.endsWith('.json')) {
      const json = parseJson(await file.text(), file.name);
      if (typeof json === 'object' && json !== null && 'modelTopology' in json) models.push(file);
      else metadata = parseMetadata(json);
    } else if (name.endsWith('.txt')) {
      metadata = { ...metadata, labels: (await file.text()).split(/\r?\n/).filter((line) => line.trim() !== '') };
    } else {
      weights.push(file);
    }
  }
  if (models.length !== 1) {
    throw new ModelLoadError(
      models.length === 0
        ? `None of the chosen files (${files.map((f) => f.name).join(', ')}) is a tfjs model.json (a JSON file with "modelTopology"). ` +
            'Choose the model.json together with its weight files (.bin), and optionally metadata.json.'
        : `Choose one model at a time: ${models.map((f) => f.name).join(' and ')} are both model files.`,
    );
  }
  return { model: models[0], weights, ...(metadata ? { metadata } : {}) };
}

/** metadata.json beside a model.json URL, when there is one (Teachable Machine exports it). */
async function fetchMetadata(modelUrl: string): Promise<ModelMetadata | undefined> {
  try {
    const response = await fetch(new URL('metadata.json', modelUrl));
    return response.ok ? parseMetadata(await response.json()) : undefined;
  } catch {
    return undefined; // optional: a missing or unreadable metadata.json is not an error
  }
}

async function readArtifacts(source: CustomModelSource): Promise<{ artifacts: tf.io.ModelArtifacts; metadata?: ModelMetadata; name: string }> {
  if (source.kind === 'url') {
    if (!/^https?:\/\//i.test(source.url)) throw new ModelLoadError(`'${source.url}' is not an http(s) URL of a model.json.`);
    let artifacts: tf.io.ModelArtifacts | undefined;
    try {
      artifacts = await tf.io.http(source.url).load?.();
    } catch (error) {
      throw new ModelLoadError(
        `Cannot load the model from ${source.url}: ${(error as Error).message} ` +
          '(the server must allow this page to read it: same origin, or CORS headers).',
        { cause: error },
      );
    }
    if (!artifacts) throw new ModelLoadError(`Nothing to load at ${source.url}.`);
    const metadata = await fetchMetadata(source.url);
    return { artifacts, ...(metadata ? { metadata } : {}), name: new URL(source.url).pathname.split('/').filter(Boolean).at(-2) ?? source.url };
  }
  const { model, weights, metadata } = await sortFiles(source.files);
  let artifacts: tf.io.ModelArtifacts | undefined;
  try {
    artifacts = await tf.io.browserFiles([model, ...weights]).load?.();
  } catch (error) {
    throw new ModelLoadError(`Cannot read ${model.name} with its weight files: ${(error as Error).message}`, { cause: error });
  }
  if (!artifacts) throw new ModelLoadError(`Nothing to load in ${model.name}.`);
  return { artifacts, ...(metadata ? { metadata } : {}), name: model.name };
}

/**
 * Builds a tfjs model from loaded artifacts. A layers model is built from its topology first
 * and given its weights after, so that the decoded weights are disposed whether they fit or not.
 */
async function buildModel(artifacts: tf.io.ModelArtifacts): Promise<LayersModel | GraphModel> {
  const topology = artifacts.modelTopology as { node?: unknown } | undefined;
  if (!topology) throw new ModelLoadError('The model.json has no modelTopology: it is not a TensorFlow.js layers or graph model.');
  try {
    if (artifacts.format === 'graph-model' || Array.isArray(topology.node)) return await loadGraphModel(tf.io.fromMemory(artifacts));
    const { weightSpecs, weightData, ...rest } = artifacts;
    const model = await loadLayersModel(tf.io.fromMemory(rest));
    let weights: tf.NamedTensorMap = {};
    try {
      if (weightSpecs && weightData) weights = tf.io.decodeWeights(weightData, weightSpecs);
      model.loadWeights(weights, true);
      return model;
    } finally {
      tf.dispose(Object.values(weights));
    }
  } catch (error) {
    throw new ModelLoadError(`The model does not build: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * How to scale pixels for the model. 'auto' follows metadata.json: Teachable Machine's image
 * models take x/127 − 1 (its own preprocessing); anything else x/255.
 */
export function preprocessFor(choice: PreprocessChoice, metadata: ModelMetadata | undefined): NonNullable<LoadModelOptions['preprocess']> {
  if (choice !== 'auto') return choice;
  if (metadata?.packageName === '@teachablemachine/image') return (x) => tf.tidy(() => tf.sub(tf.div(tf.cast(x, 'float32'), 127), 1));
  return 'x/255';
}

/**
 * Loads the user's tfjs image classifier (a model.json URL, or its files) as a SessionModel:
 * class names and input size from metadata.json or labels.txt where given.
 * @throws ModelLoadError with what was wrong and what the page expects.
 */
export async function loadCustomModel(key: string, source: CustomModelSource, preprocess: PreprocessChoice): Promise<SessionModel> {
  const { artifacts, metadata, name } = await readArtifacts(source);
  // A model that fails half-way (a weight that does not fit, an unknown layer class, class names
  // that do not match) leaves variables registered, and LayersModel.dispose() misses those of
  // nested models: dispose every variable this load registered.
  const variablesBefore = new Set(Object.keys(tf.engine().state.registeredVariables));
  let model: LayersModel | GraphModel | undefined;
  try {
    model = await buildModel(artifacts);
    const loaded = await loadModel(model, { preprocess: preprocessFor(preprocess, metadata), ...(metadata?.labels ? { labels: metadata.labels } : {}) });
    const classes = loaded.explainable.numClasses;
    if (loaded.labels.length !== classes) {
      throw new ModelLoadError(`The class names list ${loaded.labels.length} classes, but the model has ${classes} outputs.`);
    }
    const [, h, w] = loaded.inputShape;
    const fixed = typeof h === 'number' && h > 0 && typeof w === 'number' && w > 0;
    const size: readonly [number, number] = !fixed && metadata?.imageSize ? [metadata.imageSize, metadata.imageSize] : inputSize(loaded);
    return { key, title: metadata?.modelName ?? (model as { name?: string }).name ?? name, loaded, inputSize: size };
  } catch (error) {
    model?.dispose();
    for (const [id, variable] of Object.entries(tf.engine().state.registeredVariables)) if (!variablesBefore.has(id)) variable.dispose();
    throw error;
  }
}
