/**
 * Typed errors shared by every gradcam package. This module imports nothing from tfjs, so
 * pure-TypeScript packages (`@gradcam/format`) can throw them without loading an engine.
 */

/** Machine-readable error codes, one per error class. */
export type GradcamErrorCode =
  | 'GRADCAM_ERROR'
  | 'NO_SUCH_LAYER'
  | 'INVALID_TARGET'
  | 'INVALID_INPUT'
  | 'NOT_DIFFERENTIABLE'
  | 'MODEL_LOAD'
  | 'DECODE'
  | 'BACKEND_UNAVAILABLE';

/** What every gradcam error carries, whatever copy of this package made it. */
const marker = Symbol.for('gradcam.error');

/**
 * The brand of an error class: a Symbol.for key by class name (or a static `brand`), the same in
 * every installed copy of this package, so `isInstance` works across copies where `instanceof`
 * does not.
 */
const brandOf = (cls: object): symbol => Symbol.for(`gradcam.error:${(cls as { brand?: string; name: string }).brand ?? (cls as { name: string }).name}`);

/** Base class of every error gradcam throws on purpose. */
export class GradcamError extends Error {
  /** Stable code, for programs that branch on the kind of failure. */
  readonly code: GradcamErrorCode;

  constructor(message: string, code: GradcamErrorCode = 'GRADCAM_ERROR', options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    Object.defineProperty(this, marker, { value: true });
    // Brand the instance with every class of its chain (ModelLoadError, then GradcamError, …).
    for (let cls: object | null = new.target; cls && cls !== Error; cls = Object.getPrototypeOf(cls)) {
      Object.defineProperty(this, brandOf(cls), { value: true });
    }
  }

  /**
   * True when `value` is an error of this class or a subclass — `GradcamError.isInstance(e)` for
   * any gradcam error, `ModelLoadError.isInstance(e)` for that kind only — also when another
   * installed copy of gradcam made it (unlike `instanceof`).
   */
  static isInstance<T extends abstract new (...args: never[]) => GradcamError>(this: T, value: unknown): value is InstanceType<T> {
    // `this` is the class isInstance is called on (ModelLoadError.isInstance → ModelLoadError's brand).
    // biome-ignore lint/complexity/noThisInStatic: the subclass matters here, not GradcamError
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brandOf(this)] === true;
  }
}

/** Lists valid choices in a message, shortened when there are many. */
export function listChoices(choices: readonly (string | number)[], max = 12): string {
  const shown = choices.slice(0, max).map((c) => (typeof c === 'string' ? `'${c}'` : String(c)));
  return choices.length > max ? `${shown.join(', ')}, … (${choices.length} in all)` : shown.join(', ');
}

/** Orders `choices` by edit distance to `name`, nearest first (for "did you mean" lists). */
export function nearestFirst(name: string, choices: readonly string[]): string[] {
  const distance = (a: string, b: string): number => {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const current = [i];
      for (let j = 1; j <= b.length; j++) {
        current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      }
      previous = current;
    }
    return previous[b.length];
  };
  const lower = name.toLowerCase();
  return choices
    .map((choice, order) => ({ choice, order, d: distance(lower, choice.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.order - y.order)
    .map((x) => x.choice);
}

/** The requested layer does not exist or cannot be explained. */
export class NoSuchLayerError extends GradcamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'NO_SUCH_LAYER', options);
  }
}

/** A target class id is out of range or not an integer. */
export class InvalidTargetError extends GradcamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'INVALID_TARGET', options);
  }
}

/** An argument (image, tensor, option) has the wrong shape, type or value. */
export class InvalidInputError extends GradcamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'INVALID_INPUT', options);
  }
}

/** The score cannot be differentiated with respect to the chosen layer. */
export class NotDifferentiableError extends GradcamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'NOT_DIFFERENTIABLE', options);
  }
}

/** A model could not be found, fetched or parsed. */
export class ModelLoadError extends GradcamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'MODEL_LOAD', options);
  }
}

/** Image bytes could not be decoded (unknown format, corrupt or truncated, too large). */
export class DecodeError extends GradcamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'DECODE', options);
  }
}

/** A tfjs backend was asked for but cannot run here. */
export class BackendUnavailableError extends GradcamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'BACKEND_UNAVAILABLE', options);
  }
}
