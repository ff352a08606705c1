import { InvalidInputError } from '@gradcam/core';
import { model as functionalModel, type LayersModel, layers as layerFactories, type SymbolicTensor } from '@tensorflow/tfjs-layers';

interface LayerLike {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): unknown[];
  setWeights(weights: unknown[]): void;
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor | SymbolicTensor[];
  inboundNodes: { inputTensors: SymbolicTensor[] }[];
  activation?: { getClassName(): string } | null;
}

/** The layer producing the model output, and the symbolic inputs of that call in this graph. */
function outputCall(model: LayersModel): { last: LayerLike; input: SymbolicTensor[] } {
  const output = model.outputs[0] as unknown as { sourceLayer: LayerLike; nodeIndex: number };
  return { last: output.sourceLayer, input: output.sourceLayer.inboundNodes[output.nodeIndex].inputTensors };
}

function isModel(layer: unknown): layer is LayersModel {
  return Array.isArray((layer as LayersModel).outputs) && Array.isArray((layer as LayersModel).layers);
}

/** The symbolic output of `model` with its final softmax made linear. */
function linearOutput(model: LayersModel, rootName: string): SymbolicTensor {
  const { last, input } = outputCall(model);
  if (isModel(last)) {
    const inner = stripped(last, rootName);
    return inner.apply(input.length === 1 ? input[0] : input) as SymbolicTensor;
  }
  const kind = last.getClassName();
  if (kind === 'Softmax' || (kind === 'Activation' && last.activation?.getClassName() === 'softmax')) return input[0];
  if (last.activation?.getClassName() !== 'softmax') {
    throw new InvalidInputError(
      `stripSoftmax: the last layer of ${rootName} ('${last.name}', ${kind}) has no softmax (activation '${last.activation?.getClassName() ?? 'none'}').`,
    );
  }
  const factory = (layerFactories as unknown as Record<string, (config: Record<string, unknown>) => LayerLike>)[kind.charAt(0).toLowerCase() + kind.slice(1)];
  if (!factory) throw new InvalidInputError(`stripSoftmax: cannot rebuild a ${kind} layer ('${last.name}').`);
  const linear = factory({ ...last.getConfig(), activation: 'linear' });
  const output = linear.apply(input.length === 1 ? input[0] : input) as SymbolicTensor;
  linear.setWeights(last.getWeights());
  return output;
}

function stripped(model: LayersModel, rootName: string): LayersModel {
  return functionalModel({ inputs: model.inputs, outputs: linearOutput(model, rootName), name: model.name });
}

/**
 * Returns a new LayersModel whose final softmax — a layer's softmax activation (Dense…), an
 * Activation('softmax') or a Softmax layer, also inside a nested head model — is linear. The
 * original model is untouched; the new one reuses its other layers (and so their weights), and
 * the rebuilt last layer gets a copy of its weights. No file round-trip is needed (ELI5's
 * tutorial saves and reloads the model to rebuild the graph).
 */
export async function stripSoftmax(model: LayersModel): Promise<LayersModel> {
  return stripped(model, model.name);
}
