import { InvalidInputError } from '@gradcam/core';
import { model as functionalModel, type LayersModel, layers as layerFactories, type SymbolicTensor } from '@tensorflow/tfjs-layers';
import { isNestedModel, type OutputLayerLike, outputCall, softmaxKind } from './final-softmax.js';

interface LayerLike extends OutputLayerLike {
  getConfig(): Record<string, unknown>;
  getWeights(): unknown[];
  setWeights(weights: unknown[]): void;
  apply(inputs: SymbolicTensor | SymbolicTensor[]): SymbolicTensor | SymbolicTensor[];
}

/** The symbolic output of `model` with its final softmax made linear. */
function linearOutput(model: LayersModel, rootName: string): SymbolicTensor {
  const { last, input } = outputCall(model);
  const inputs = input.length === 1 ? input[0] : input;
  if (isNestedModel(last)) return stripped(last, rootName).apply(inputs) as SymbolicTensor;
  const kind = last.getClassName();
  const softmax = softmaxKind(last);
  if (softmax === 'layer') return input[0];
  if (softmax === undefined) {
    throw new InvalidInputError(
      `stripSoftmax: the last layer of ${rootName} ('${last.name}', ${kind}) has no softmax (activation '${last.activation?.getClassName() ?? 'none'}').`,
    );
  }
  const factory = (layerFactories as unknown as Record<string, (config: Record<string, unknown>) => LayerLike>)[kind.charAt(0).toLowerCase() + kind.slice(1)];
  if (!factory) throw new InvalidInputError(`stripSoftmax: cannot rebuild a ${kind} layer ('${last.name}').`);
  const linear = factory({ ...(last as LayerLike).getConfig(), activation: 'linear' });
  const output = linear.apply(inputs) as SymbolicTensor;
  linear.setWeights((last as LayerLike).getWeights());
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
