import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Fallback, sha256Hex } from './sha256.js';

const reference = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('sha256', () => {
  it('the JavaScript fallback equals node:crypto at every padding boundary and on a large input', () => {
    expect(sha256Fallback(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    let seed = 1;
    const next = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed >>> 24;
    };
    const random = (n: number) => Uint8Array.from({ length: n }, next);
    for (let n = 0; n <= 130; n++) {
      const bytes = random(n);
      expect(sha256Fallback(bytes), `${n} bytes`).toBe(reference(bytes));
    }
    const large = random(3_000_001);
    expect(sha256Fallback(large)).toBe(reference(large));
  });

  it('sha256Hex (Web Crypto) agrees, also for a view into a larger buffer', async () => {
    const buffer = new Uint8Array(1000).map((_, i) => i * 7);
    const view = buffer.subarray(100, 900);
    expect(await sha256Hex(view)).toBe(reference(view));
    expect(await sha256Hex(view)).toBe(sha256Fallback(view));
  });
});
