import type { CamMethod } from './cam-method.js';
import { InvalidInputError, listChoices } from './errors.js';
import { ablationCam } from './methods/ablation-cam.js';
import { eigenCam } from './methods/eigen-cam.js';
import { eigenGradCam } from './methods/eigen-grad-cam.js';
import { gradCam } from './methods/grad-cam.js';
import { gradCamPlusPlus } from './methods/grad-cam-plus-plus.js';
import { hiResCam } from './methods/hires-cam.js';
import { integratedGradients } from './methods/integrated-gradients.js';
import { layerCam } from './methods/layer-cam.js';
import { occlusionSensitivity } from './methods/occlusion.js';
import { scoreCam } from './methods/score-cam.js';
import { smoothGrad } from './methods/smooth-grad.js';
import { xGradCam } from './methods/xgrad-cam.js';
import { sharedState } from './shared-state.js';

/** The methods core ships, in the order they are listed; 'gradcam' (ELI5's) is the default. */
export const BUILTIN_CAM_METHODS: readonly CamMethod[] = Object.freeze([
  gradCam,
  gradCamPlusPlus,
  hiResCam,
  layerCam,
  xGradCam,
  scoreCam,
  eigenCam,
  eigenGradCam,
  ablationCam,
  integratedGradients(),
  smoothGrad(),
  occlusionSensitivity(),
]);

// The same registry pattern as the model adapters: built-ins first, plugins added after.
// Shared by every installed copy of core (see sharedState): a method registered through one is known to all.
const methods = sharedState('cam-methods', () => new Map<string, CamMethod>(BUILTIN_CAM_METHODS.map((m) => [m.id, m])));

const ID_PATTERN = /^[a-z0-9][a-z0-9+_-]*$/;

/**
 * Registers a CAM method under `method.id` (lowercase letters, digits, '+', '_', '-');
 * registering an id again replaces that method, so a plugin can override a built-in one.
 */
export function registerCamMethod(method: CamMethod): void {
  if (typeof method?.id !== 'string' || !ID_PATTERN.test(method.id)) {
    throw new InvalidInputError(`A CAM method id must be lowercase letters, digits, '+', '_' or '-'; got '${String(method?.id)}'.`);
  }
  if (typeof method.compute !== 'function') throw new InvalidInputError(`CAM method '${method.id}' has no compute() function.`);
  methods.set(method.id, method);
}

/** The registered CAM methods: the built-ins first, then plugins in registration order. */
export function listCamMethods(): CamMethod[] {
  return [...methods.values()];
}

/** The method registered under `id` (or `id` itself when it is a CamMethod); unknown ids throw InvalidInputError. */
export function getCamMethod(id: string | CamMethod): CamMethod {
  if (typeof id === 'object' && id !== null && typeof id.compute === 'function') return id;
  const method = typeof id === 'string' ? methods.get(id) : undefined;
  if (method === undefined) throw new InvalidInputError(`Unknown CAM method '${String(id)}'. Valid methods: ${listChoices([...methods.keys()], 50)}.`);
  return method;
}

/** How a caller names the options in its messages: the library's option names, or a CLI's flags. */
export interface OptionNames {
  readonly counterfactual: string;
  readonly method: string;
}

/**
 * The counterfactual rule, owned here for explain, evaluate and the CLI: `counterfactual`
 * negates gradients, so it needs a method that reads them (`usesGradients`).
 * @throws InvalidInputError naming the method and what to do, in the caller's option names.
 */
export function checkCounterfactual(
  method: CamMethod,
  counterfactual: boolean | undefined,
  names: OptionNames = { counterfactual: 'counterfactual', method: 'method' },
): void {
  if (counterfactual && !method.usesGradients) {
    throw new InvalidInputError(
      `${names.counterfactual} negates gradients, but ${method.displayName} ('${method.id}') uses none; choose a gradient ${names.method} or drop ${names.counterfactual}.`,
    );
  }
}
