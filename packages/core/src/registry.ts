import { InvalidInputError, listChoices } from './errors.js';
import type { ExplainableModel } from './explainable-model.js';
import { sharedState } from './shared-state.js';

/** Turns some kind of model object into an ExplainableModel. */
export interface ModelAdapter {
  /** Adapter name, e.g. 'layers-model'. */
  readonly name: string;
  /** True when this adapter knows the object. */
  canAdapt(model: unknown): boolean;
  adapt(model: unknown): ExplainableModel;
}

// Shared by every installed copy of core (see sharedState). Adapting can be costly (a graph model
// is probed once), so each model object is adapted once.
const state = sharedState('model-adapters', () => ({ adapters: [] as ModelAdapter[], adapted: new WeakMap<object, ExplainableModel>() }));
const { adapters } = state;

/**
 * Registers a model adapter; later registrations are tried first, so a plugin can
 * override a built-in one. Registering the same name again replaces it.
 */
export function registerModelAdapter(adapter: ModelAdapter): void {
  const existing = adapters.findIndex((a) => a.name === adapter.name);
  if (existing !== -1) adapters.splice(existing, 1);
  adapters.unshift(adapter);
  state.adapted = new WeakMap();
}

/** Names of the registered adapters, most recent first. */
export function listModelAdapters(): string[] {
  return adapters.map((a) => a.name);
}

/** True when `value` already implements the ExplainableModel contract. */
export function isExplainableModel(value: unknown): value is ExplainableModel {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as ExplainableModel).specificationVersion === 'v1' &&
    typeof (value as ExplainableModel).capture === 'function'
  );
}

/** Finds the adapter for `model` and adapts it; an ExplainableModel is returned as is. */
export function toExplainableModel(model: unknown): ExplainableModel {
  if (isExplainableModel(model)) return model;
  const cached = typeof model === 'object' && model !== null ? state.adapted.get(model) : undefined;
  if (cached) return cached;
  const adapter = adapters.find((a) => a.canAdapt(model));
  if (adapter === undefined) {
    const kind = model === null ? 'null' : typeof model === 'object' ? (model.constructor?.name ?? 'object') : typeof model;
    throw new InvalidInputError(
      `No model adapter knows a ${kind}. Registered adapters: ${adapters.length ? listChoices(listModelAdapters()) : 'none'}. ` +
        "Import '@gradcam/models' (or 'gradcam') to register the LayersModel and GraphModel adapters, or register your own with registerModelAdapter().",
    );
  }
  const explainable = adapter.adapt(model);
  state.adapted.set(model as object, explainable);
  return explainable;
}
