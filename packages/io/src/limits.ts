import type { GradcamError } from '@gradcam/core/errors';

/** The error class a refusal is thrown as (ModelLoadError for models, DecodeError for images, …). */
export type ErrorClass = (new (
  message: string,
  options?: { cause?: unknown },
) => GradcamError) & {
  /** True for an error of this class, also from another installed copy of gradcam (GradcamError.isInstance). */
  isInstance(value: unknown): boolean;
};

/** What is being read, for messages: the error class to throw and how to name the thing. */
export interface Subject {
  /** Thrown on every refusal and failure. */
  readonly error: ErrorClass;
  /** A noun phrase for messages, e.g. 'the weight file' or 'the image'. */
  readonly what: string;
}

/** Size bound of one read. */
export interface SizeLimit {
  /** Most bytes accepted; more is refused before (or while) reading. */
  readonly maxBytes: number;
  /**
   * What the bound is, for the message when it is exceeded; default `the limit of <maxBytes>
   * bytes`. E.g. 'the 4194304 bytes its manifest declares'.
   */
  readonly limitNote?: string;
}

/** Bounds of HTTP(S) reads. */
export interface FetchLimits {
  /**
   * Milliseconds without progress — connecting, waiting for the headers, between two chunks of
   * the body — before the read is abandoned. Default DEFAULT_TIMEOUT_MS (30 s).
   */
  readonly timeoutMs?: number;
  /**
   * The time (epoch milliseconds, as Date.now()) by which the whole read must be done, however
   * steadily bytes arrive. Callers that read several files share one deadline. Default: now +
   * DEFAULT_DEADLINE_MS (10 min).
   */
  readonly deadline?: number;
  /** Most redirects followed. Default DEFAULT_MAX_REDIRECTS (5). */
  readonly maxRedirects?: number;
  /** The fetch to use; default globalThis.fetch. */
  readonly fetch?: typeof fetch;
}

/** Default cap on everything a model reads (model.json plus weight files): 1 GiB. */
export const DEFAULT_MAX_MODEL_BYTES = 2 ** 30;
/** Default cap on one image file: 256 MiB (the decoders' pixel limit bounds the decoded size). */
export const DEFAULT_MAX_IMAGE_BYTES = 2 ** 28;
/** Default connect / idle timeout of HTTP(S) reads: 30 s. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default overall deadline of an HTTP(S) load: 10 min. */
export const DEFAULT_DEADLINE_MS = 600_000;
/** Default number of redirects followed: 5. */
export const DEFAULT_MAX_REDIRECTS = 5;

/** Throws the subject's error unless `value` is a positive number, or Infinity, or 0 where `zero` is allowed. */
export function checkPositive(name: string, value: number | undefined, subject: Subject, zero = false): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !(value > 0 || (zero && value === 0))) {
    throw new subject.error(`${name} must be a ${zero ? 'non-negative' : 'positive'} number; got ${String(value)}.`);
  }
}

/** The message part for a size over the limit; `size` undefined when only "larger" is known (a stream cut off). */
export function overLimit(size: number | undefined, limit: SizeLimit): string {
  const bound = limit.limitNote ?? `the limit of ${limit.maxBytes} bytes`;
  return size === undefined ? `it is larger than ${bound}` : `it is ${size} bytes, more than ${bound}`;
}
