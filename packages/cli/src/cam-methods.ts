import { listCamMethods } from '@gradcam/core';

/**
 * The CAM methods `--method` accepts, by id, with the display name the Explanation reports:
 * @gradcam/core's method registry (`listCamMethods()`) as it is when the CLI loads.
 */
export const CAM_METHODS: Readonly<Record<string, string>> = Object.freeze(Object.fromEntries(listCamMethods().map((m) => [m.id, m.displayName])));

/** The ids of CAM_METHODS, for option choices and messages; the first ('gradcam') is the default. */
export const CAM_METHOD_IDS: readonly string[] = Object.freeze(Object.keys(CAM_METHODS));

/** `--normalize` values (the raw map, core's `normalize: false`, cannot be drawn as an overlay). */
export const CLI_NORMALIZATIONS: readonly string[] = Object.freeze(['max', 'minmax']);

/** The CLI's names of core's method options, for core's checks (checkCounterfactual) to speak in flags. */
export const CLI_OPTION_NAMES = Object.freeze({ counterfactual: '--counterfactual', method: '--method' });
