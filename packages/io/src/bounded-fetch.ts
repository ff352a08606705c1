import {
  checkPositive,
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_REDIRECTS,
  DEFAULT_TIMEOUT_MS,
  type FetchLimits,
  overLimit,
  type SizeLimit,
  type Subject,
} from './limits.js';

/** Options of boundedFetch. */
export interface BoundedFetchOptions extends Subject, SizeLimit, FetchLimits {
  /** The exact size the body must have, when the caller knows it (a weight file of a manifest). */
  readonly expectedBytes?: number;
}

/** What boundedFetch read. */
export interface Fetched {
  readonly bytes: Uint8Array;
  /** The URL the bytes came from, after redirects. */
  readonly url: string;
}

const isNode = () => typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const seconds = (ms: number) => `${+(ms / 1000).toFixed(3)} s`;

/** The deadline (epoch ms) of a read that starts now, for `deadlineMs` (default DEFAULT_DEADLINE_MS). */
export function deadlineIn(deadlineMs: number = DEFAULT_DEADLINE_MS): number {
  return Date.now() + deadlineMs;
}

/**
 * Reads a URL's body with bounds: an idle timeout covering the connection, the headers and every
 * gap between chunks of the body; an overall deadline; at most `maxBytes` (a larger
 * Content-Length is refused before the body is read, a longer body as soon as it passes the
 * bound); `expectedBytes` checked; redirects counted and followed only to http(s) URLs (Node; a
 * browser follows them itself). Only http:, https:, data: and blob: URLs are read.
 * @throws options.error naming the URL and what went wrong (timeout, deadline, size, HTTP status).
 */
export async function boundedFetch(url: string, options: BoundedFetchOptions): Promise<Fetched> {
  checkPositive('timeoutMs', options.timeoutMs, options);
  checkPositive('maxBytes', options.maxBytes, options, true);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = options.deadline ?? deadlineIn();
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const doFetch = options.fetch ?? globalThis.fetch;
  const fail = (reason: string, cause?: unknown) => new options.error(`Cannot read ${options.what} '${url}': ${reason}.`, cause === undefined ? {} : { cause });
  if (!/^(https?|data|blob):/i.test(url)) throw fail('only http(s), data and blob URLs are read');

  const controller = new AbortController();
  let why: string | undefined;
  const abort = (reason: string) => {
    why ??= reason;
    controller.abort();
  };
  const remaining = deadline - Date.now();
  if (remaining <= 0) throw fail('the deadline for loading passed before this file was read');
  const deadlineTimer = setTimeout(() => abort(`it did not finish within the deadline (${seconds(remaining)} left for it)`), remaining);
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  const stillAlive = (phase: string) => {
    clearTimeout(idleTimer);
    if (Number.isFinite(timeoutMs)) idleTimer = setTimeout(() => abort(`nothing arrived for ${seconds(timeoutMs)} while ${phase} (timeout)`), timeoutMs);
  };
  // A failure after an abort is reported as the abort's reason, not as fetch's "This operation was aborted".
  const explain = (error: unknown) => (options.error.isInstance(error) ? error : fail(why ?? describeFetchError(error), error));
  try {
    let current = url;
    for (let hop = 0; ; hop++) {
      stillAlive(hop === 0 ? 'waiting for the server' : `following redirect ${hop}`);
      const response = await doFetch(current, { signal: controller.signal, redirect: isNode() ? 'manual' : 'follow' }).catch((error) => {
        throw explain(error);
      });
      const location = response.headers.get('location');
      if (REDIRECTS.has(response.status) && location !== null) {
        await response.body?.cancel().catch(() => undefined);
        if (hop >= maxRedirects) throw fail(`more than ${maxRedirects} redirects`);
        const next = new URL(location, current);
        if (next.protocol !== 'http:' && next.protocol !== 'https:') throw fail(`it redirects to a ${next.protocol} URL; only http(s) redirects are followed`);
        current = next.href;
        continue;
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw fail(`HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
      }
      const bytes = await readBody(response, options, stillAlive, fail).catch((error) => {
        throw explain(error);
      });
      return { bytes, url: current };
    }
  } finally {
    clearTimeout(deadlineTimer);
    clearTimeout(idleTimer);
  }
}

/** fetch's TypeError hides the reason in `cause` ('ECONNREFUSED', …). */
function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const message = cause?.code ?? cause?.message ?? (error as Error)?.message ?? String(error);
  return `the request failed (${message})`;
}

async function readBody(
  response: Response,
  options: BoundedFetchOptions,
  stillAlive: (phase: string) => void,
  fail: (reason: string) => Error,
): Promise<Uint8Array> {
  // Content-Length counts the encoded body; with a Content-Encoding only the decoded size is checked.
  const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
  const declared = encoded ? Number.NaN : Number(response.headers.get('content-length') ?? Number.NaN);
  const refuse = async (reason: string) => {
    await response.body?.cancel().catch(() => undefined);
    return fail(reason);
  };
  if (declared > options.maxBytes) throw await refuse(overLimit(declared, options));
  if (options.expectedBytes !== undefined && Number.isFinite(declared) && declared !== options.expectedBytes) {
    throw await refuse(`the server announces ${declared} bytes, but ${options.expectedBytes} are expected`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      stillAlive('reading the body');
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw fail(overLimit(undefined, options));
      }
      chunks.push(value);
    }
  }
  if (options.expectedBytes !== undefined && total !== options.expectedBytes) {
    throw fail(`it has ${total} bytes, but ${options.expectedBytes} are expected (truncated, or another file)`);
  }
  if (chunks.length === 1) return chunks[0];
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
