import { listChoices, NoSuchLayerError, nearestFirst } from './errors.js';
import type { ExplainableModel, LayerInfo } from './explainable-model.js';

/** A layer by name or path, by index (negative counts from the end), or by an object with a name (a tfjs Layer). */
export type LayerRef = string | number | { readonly name: string };

function spatialLayers(model: ExplainableModel): LayerInfo[] {
  const rank = model.inputShape.length;
  return model.layers().filter((l) => l.outputShape.length === rank);
}

/**
 * ELI5's automatic choice, walking from the last layer back: the first layer whose output rank
 * equals the input rank — skipping layers whose output is 1×1 (global pooling), where ELI5's
 * rule would return a constant map.
 */
export function pickDefaultLayer(modelName: string, layers: readonly LayerInfo[], inputRank: number): LayerInfo {
  for (let i = layers.length - 1; i >= 0; i--) {
    const shape = layers[i].outputShape;
    if (shape.length === inputRank && shape.slice(1, -1).some((d) => d === null || d > 1)) return layers[i];
  }
  throw new NoSuchLayerError(`${modelName} has no layer with a spatial output of rank ${inputRank}: Grad-CAM cannot be computed.`);
}

/**
 * Resolves a layer reference to a layer of `model` that a CAM can use (output rank equal to
 * the input rank); `undefined` picks ELI5's default. Errors list the valid layer names.
 */
export function resolveLayer(model: ExplainableModel, ref: LayerRef | undefined): LayerInfo {
  if (ref === undefined) return model.defaultLayer();
  const all = model.layers();
  let found: LayerInfo | undefined;
  if (typeof ref === 'number') {
    if (!Number.isInteger(ref) || ref >= all.length || ref < -all.length) {
      throw new NoSuchLayerError(`Layer index ${ref} is out of range: ${model.name} has ${all.length} layers (valid: ${-all.length} … ${all.length - 1}).`);
    }
    found = all[ref < 0 ? all.length + ref : ref];
  } else {
    const name = typeof ref === 'string' ? ref : ref.name;
    // A nested layer can also be named without its path ('out_relu' for 'mobilenet/out_relu'),
    // as a tfjs Layer instance is, when that name is unambiguous.
    const nested = all.filter((l) => l.name.endsWith(`/${name}`));
    found = all.find((l) => l.name === name) ?? (nested.length === 1 ? nested[0] : undefined);
    if (found === undefined) {
      const candidates = nearestFirst(
        name,
        spatialLayers(model).map((l) => l.name),
      );
      throw new NoSuchLayerError(`No layer named '${name}' in ${model.name}. Layers usable for Grad-CAM, nearest match first: ${listChoices(candidates)}.`);
    }
  }
  if (found.outputShape.length !== model.inputShape.length) {
    const candidates = spatialLayers(model).map((l) => l.name);
    throw new NoSuchLayerError(
      `Layer '${found.name}' (${found.className}) has output shape [${found.outputShape.map((d) => d ?? 'null').join(', ')}]; ` +
        `Grad-CAM needs a [batch, height, width, channels] output. Usable layers, last first: ${listChoices(candidates.reverse())}.`,
    );
  }
  return found;
}
