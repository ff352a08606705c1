import { Redis } from 'ioredis';

/** How a client waits for Redis. */
export interface ConnectOptions {
  /**
   * 'command' (queue add, status, report): give up after a few failed connection attempts, with
   * an error that names the URL. 'worker': keep reconnecting with a growing delay (at most 5 s),
   * so workers ride out a Redis restart.
   */
  readonly mode: 'command' | 'worker';
}

/** Checks a Redis URL (redis:// or rediss:// for TLS); throws a message naming what is valid. */
export function checkRedisUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`'${url}' is not a Redis URL; expected redis://[user:password@]host[:port][/db] or rediss://… for TLS.`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new Error(`'${url}' is not a Redis URL (${parsed.protocol}); expected redis://host:port or rediss://host:port.`);
  }
  return parsed;
}

/** The URL without its password, for messages. */
export function shownUrl(url: string): string {
  const parsed = checkRedisUrl(url);
  if (parsed.password) parsed.password = '***';
  return parsed.href;
}

/**
 * An ioredis connection for BullMQ (`maxRetriesPerRequest: null`, as BullMQ's blocking commands
 * need). Commands give up after 3 attempts (about 2 s apart, each bounded by a 5 s connect timeout).
 */
export function connectRedis(url: string, options: ConnectOptions): Redis {
  checkRedisUrl(url);
  return new Redis(url, {
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
    retryStrategy: (attempt) => (options.mode === 'worker' ? Math.min(250 * 2 ** attempt, 5000) : attempt <= 3 ? 2000 : null),
  });
}
