import type { LayersModel, SymbolicTensor } from '@tensorflow/tfjs-layers';

/** The parts of a tfjs-layers layer needed to find and classify a model's final softmax. */
export interface OutputLayerLike {
  name: string;
  getClassName(): string;
  activation?: { getClassName(): string } | null;
  inboundNodes: { inputTensors: SymbolicTensor[] }[];
}

/** True for a layer that is itself a model (nested Sequential or functional model). */
export function isNestedModel(layer: unknown): layer is LayersModel {
  return Array.isArray((layer as LayersModel).outputs) && Array.isArray((layer as LayersModel).layers);
}

/** The layer producing the model output, and the symbolic inputs of that call in this graph. */
export function outputCall(model: LayersModel): { last: OutputLayerLike; input: SymbolicTensor[] } {
  const output = model.outputs[0] as unknown as { sourceLayer: OutputLayerLike; nodeIndex: number };
  return { last: output.sourceLayer, input: output.sourceLayer.inboundNodes[output.nodeIndex].inputTensors };
}

/** The layer that finally produces the output, looking inside nested models (a Sequential head). */
export function finalLayer(model: LayersModel): OutputLayerLike {
  let { last } = outputCall(model);
  while (isNestedModel(last)) last = outputCall(last).last;
  return last;
}

/**
 * How a layer applies softmax: 'layer' when the whole layer is the softmax (Softmax, or
 * Activation('softmax')), 'activation' when it is another layer's activation (Dense…),
 * undefined when it applies none.
 */
export function softmaxKind(layer: Pick<OutputLayerLike, 'getClassName' | 'activation'>): 'layer' | 'activation' | undefined {
  const kind = layer.getClassName();
  const softmax = layer.activation?.getClassName() === 'softmax';
  if (kind === 'Softmax' || (kind === 'Activation' && softmax)) return 'layer';
  return softmax ? 'activation' : undefined;
}
