import { ModelLoadError } from '@gradcam/core/errors';
import { describe, expect, it } from 'vitest';
import { resolveUrl } from './resolve-url';

const base = 'https://models.example.com/nets/mobilenet/model.json';
const subject = { error: ModelLoadError, what: 'the weight file' };

describe('resolveUrl', () => {
  it('resolves relative paths against the model.json URL', () => {
    expect(resolveUrl('group1-shard1of2.bin', base, subject)).toBe('https://models.example.com/nets/mobilenet/group1-shard1of2.bin');
    expect(resolveUrl('../shared/w.bin', base, subject)).toBe('https://models.example.com/nets/shared/w.bin');
  });

  it('refuses other origins unless allowed, and non-http(s) schemes always', () => {
    expect(() => resolveUrl('https://evil.example.org/w.bin', base, subject)).toThrow(/on https:\/\/evil\.example\.org, not on https:\/\/models\.example\.com/);
    expect(() => resolveUrl('//evil.example.org/w.bin', base, subject)).toThrow(ModelLoadError);
    expect(() => resolveUrl('http://models.example.com/w.bin', base, subject)).toThrow(/not on https:\/\/models\.example\.com/);
    expect(resolveUrl('https://cdn.example.net/w.bin', base, { ...subject, allowedOrigins: ['https://cdn.example.net'] })).toBe(
      'https://cdn.example.net/w.bin',
    );
    expect(resolveUrl('https://any.example.net/w.bin', base, { ...subject, allowedOrigins: '*' })).toBe('https://any.example.net/w.bin');
    for (const path of ['file:///etc/passwd', 'data:application/octet-stream;base64,AAAA', 'javascript:alert(1)']) {
      expect(() => resolveUrl(path, base, { ...subject, allowedOrigins: '*' }), path).toThrow(/only http\(s\) URLs are read/);
    }
  });
});
