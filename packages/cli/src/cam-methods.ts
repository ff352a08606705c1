/**
 * The CAM methods `--method` accepts, by command-line id, with the display name the
 * Explanation reports. Core has no method registry yet: this table is the one place to add
 * a method to the CLI (issue 8).
 */
export const CAM_METHODS: Readonly<Record<string, string>> = Object.freeze({ gradcam: 'Grad-CAM' });

/** The ids of CAM_METHODS, for option choices and messages. */
export const CAM_METHOD_IDS: readonly string[] = Object.freeze(Object.keys(CAM_METHODS));
