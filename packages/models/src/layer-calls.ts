import { InvalidInputError } from '@gradcam/core';
import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** The parts of a tfjs-layers Layer the inference form reads (public but untyped fields). */
export interface LayerLike {
  name: string;
  getClassName(): string;
  apply(inputs: tf.Tensor | tf.Tensor[], kwargs?: unknown): tf.Tensor | tf.Tensor[];
  inboundNodes: NodeLike[];
  outboundNodes: NodeLike[];
  [field: string]: unknown;
}

interface SymbolicLike {
  id: number;
  sourceLayer: LayerLike;
  nodeIndex: number;
  tensorIndex: number;
  shape: (number | null)[];
}

interface NodeLike {
  inboundLayers: LayerLike[];
  inputTensors: SymbolicLike[];
  outputTensors: SymbolicLike[];
}

interface ContainerLike extends LayerLike {
  inputs: SymbolicLike[];
  outputs: SymbolicLike[];
  layers: LayerLike[];
}

const isContainer = (layer: LayerLike): layer is ContainerLike =>
  Array.isArray((layer as ContainerLike).layers) && Array.isArray((layer as ContainerLike).inputs) && Array.isArray((layer as ContainerLike).outputs);

/** One call of one layer in the model's graph, nested models inlined. */
export interface LayerCall {
  /** Unique: the layer's path ('backbone/out_relu'), with '#k' for its k-th call after the first. */
  readonly name: string;
  /** The layer's path, as the adapter lists layers ('backbone/out_relu'). */
  readonly path: string;
  readonly layer: LayerLike;
  /** Names of the calls whose outputs it reads ('' entries never occur: the input is a call too). */
  readonly inputs: readonly string[];
  /** Output shape with the batch axis null. */
  readonly outputShape: readonly (number | null)[];
  /** Which output of a multi-output layer the readers use (0 for single-output layers). */
  readonly outputIndex: number;
}

/** A model's layer calls in topological order, from the input call to the output call. */
export interface LayerCalls {
  readonly calls: readonly LayerCall[];
  readonly input: string;
  readonly output: string;
  /** A nested model's path → the call producing its output (a nested model is not a call itself). */
  readonly containers: ReadonlyMap<string, string>;
}

/**
 * Lists layers depth-first with their paths: a nested model (a functional MobileNet inside a
 * Sequential, as Teachable Machine exports) appears as itself, then its own layers named by path.
 */
export function layerPaths<L extends { name: string }>(layers: readonly L[], prefix = ''): { layer: L; path: string }[] {
  return layers.flatMap((layer) => {
    const own = { layer, path: prefix + layer.name };
    const nested = (layer as unknown as { layers?: L[] }).layers;
    return Array.isArray(nested) ? [own, ...layerPaths(nested, `${own.path}/`)] : [own];
  });
}

/**
 * The model's graph as a list of layer calls: each (layer, inbound node) of the model and of the
 * models nested in it once, ordered so that every call comes after the calls it reads. A nested
 * model is replaced by its own calls (its input layer maps to what the outer call fed it).
 */
export function layerCalls(model: LayersModel): LayerCalls {
  const root = model as unknown as ContainerLike;
  if (root.inputs.length !== 1 || root.outputs.length !== 1) {
    throw new InvalidInputError(`The inference form needs one input and one output; ${model.name} has ${root.inputs.length} and ${root.outputs.length}.`);
  }
  const calls: LayerCall[] = [];
  const byKey = new Map<string, string>();
  const counts = new Map<string, number>();
  const scopes = new Map<ContainerLike, number>();
  const containers = new Map<string, string>();
  // Paths as the adapter lists layers: a Sequential that starts with a model reuses that model's
  // own tensors, so its layers are reached without passing through the nested model's call.
  const listed = layerPaths(root.layers);
  const pathOf = new Map(listed.map(({ layer, path }) => [layer, path]));
  const bySymbol = new Map<number, string>();

  // Values are resolved depth-first from the output; `scope` maps a container's input tensors
  // (by id) to the call feeding them, `prefix` is the container's path.
  type Scope = { id: number; inputs: Map<number, string>; prefix: string };
  const resolve = (t: SymbolicLike, scope: Scope): string => {
    const mapped = scope.inputs.get(t.id);
    if (mapped !== undefined) return mapped;
    const layer = t.sourceLayer;
    const node = layer.inboundNodes[t.nodeIndex];
    const path = pathOf.get(layer) ?? scope.prefix + layer.name;
    if (isContainer(layer)) {
      const inner = new Map<number, string>();
      layer.inputs.forEach((input, i) => {
        inner.set(input.id, resolve(node.inputTensors[i], scope));
      });
      const id = (scopes.get(layer) ?? 0) + 1;
      scopes.set(layer, id);
      const out = resolve(layer.outputs[t.tensorIndex], { id: scope.id * 1000 + id, inputs: inner, prefix: `${path}/` });
      if (!containers.has(path)) containers.set(path, out);
      return out;
    }
    const key = `${scope.id}:${path}:${t.nodeIndex}:${t.tensorIndex}`;
    const known = byKey.get(key);
    if (known !== undefined) return known;
    // An InputLayer's node lists its own output as its input.
    const inputs = layer.getClassName() === 'InputLayer' ? [] : node.inputTensors.map((input) => resolve(input, scope));
    const seen = counts.get(path) ?? 0;
    counts.set(path, seen + 1);
    const name = seen === 0 ? path : `${path}#${seen}`;
    calls.push({ name, path, layer, inputs, outputShape: t.shape, outputIndex: t.tensorIndex });
    byKey.set(key, name);
    bySymbol.set(t.id, name);
    return name;
  };
  const output = resolve(root.outputs[0], { id: 0, inputs: new Map(), prefix: '' });
  const input = resolve(root.inputs[0], { id: 0, inputs: new Map(), prefix: '' });
  for (const { layer, path } of listed) {
    if (isContainer(layer) && !containers.has(path)) {
      const out = bySymbol.get(layer.outputs[0].id);
      if (out !== undefined) containers.set(path, out);
    }
  }
  return { calls, input, output, containers };
}
