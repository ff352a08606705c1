import type { Subject } from './limits.js';

/** Options of resolveUrl. */
export interface ResolveUrlOptions extends Subject {
  /**
   * Origins (e.g. 'https://cdn.example.com') besides the base URL's own that a resolved URL may
   * have; '*' for any http(s) origin. Default none.
   */
  readonly allowedOrigins?: readonly string[] | '*';
}

/**
 * Resolves `relative`, a URL that an untrusted file names (a weight file of a remote model.json),
 * against `base`, and refuses it unless it is http(s) on the base's origin or one of
 * `allowedOrigins`.
 * @throws options.error naming the path and the rule it broke.
 */
export function resolveUrl(relative: string, base: string, options: ResolveUrlOptions): string {
  const refuse = (rule: string) => new options.error(`Refused ${options.what} '${relative}': ${rule}.`);
  let url: URL;
  try {
    url = new URL(relative, base);
  } catch {
    throw refuse(`it is not a URL relative to '${base}'`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw refuse(`it is a ${url.protocol} URL; only http(s) URLs are read`);
  const own = new URL(base).origin;
  const allowed = options.allowedOrigins ?? [];
  const originOf = (o: string) => (URL.canParse(o) ? new URL(o).origin : o);
  if (url.origin !== own && allowed !== '*' && !allowed.some((o) => originOf(o) === url.origin)) {
    throw refuse(`it is on ${url.origin}, not on ${own} where the model is (allow other origins explicitly with allowedOrigins)`);
  }
  return url.href;
}
