import { ModelLoadError } from '@gradcam/core/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boundedFetch, deadlineIn } from './bounded-fetch';
import { httpServer, silentServer, type TestServer } from './testing';

const subject = { error: ModelLoadError, what: 'the model file' };

describe('boundedFetch against real local servers', () => {
  let server: TestServer;
  let silent: TestServer;
  const timers = new Set<ReturnType<typeof setInterval>>();
  beforeAll(async () => {
    server = await httpServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      switch (url.pathname) {
        case '/ten':
          response.end(Buffer.alloc(10, 1));
          return;
        case '/chunked-big': {
          // No Content-Length: the bound must hold while streaming.
          response.writeHead(200, { 'transfer-encoding': 'chunked' });
          let sent = 0;
          const timer = setInterval(() => {
            if (sent >= 1000 || response.destroyed) {
              clearInterval(timer);
              response.end();
              return;
            }
            response.write(Buffer.alloc(100));
            sent += 100;
          }, 1);
          timers.add(timer);
          return;
        }
        case '/trickle': {
          // One byte every 50 ms, forever: never idle, never done.
          response.writeHead(200, { 'content-type': 'application/octet-stream' });
          const timer = setInterval(() => (response.destroyed ? clearInterval(timer) : response.write('x')), 50);
          timers.add(timer);
          return;
        }
        case '/headers-then-silence':
          response.writeHead(200, { 'content-length': '100' });
          response.write('x');
          return;
        case '/loop':
          response.writeHead(302, { location: '/loop' });
          response.end();
          return;
        case '/hop':
          response.writeHead(301, { location: `/ten` });
          response.end();
          return;
        case '/to-file':
          response.writeHead(302, { location: 'file:///etc/passwd' });
          response.end();
          return;
        case '/liar':
          response.writeHead(200, { 'content-length': String(2 ** 40) });
          response.end();
          return;
        default:
          response.writeHead(404);
          response.end();
      }
    });
    silent = await silentServer();
  });
  afterAll(async () => {
    for (const t of timers) clearInterval(t);
    await Promise.all([server.close(), silent.close()]);
  });

  it('reads a body and says where it came from, after redirects', async () => {
    const ten = await boundedFetch(`${server.origin}/ten`, { ...subject, maxBytes: 10, expectedBytes: 10 });
    expect(Array.from(ten.bytes)).toEqual(new Array(10).fill(1));
    const hopped = await boundedFetch(`${server.origin}/hop`, { ...subject, maxBytes: 10 });
    expect([hopped.url, hopped.bytes.length]).toEqual([`${server.origin}/ten`, 10]);
  });

  it('gives up on a server that accepts and never answers, after the idle timeout', async () => {
    const attempt = boundedFetch(`${silent.origin}/model.json`, { ...subject, maxBytes: 100, timeoutMs: 300 });
    await expect(attempt).rejects.toBeInstanceOf(ModelLoadError);
    await expect(attempt).rejects.toThrow(/nothing arrived for 0\.3 s while waiting for the server \(timeout\)/);
  });

  it('gives up on a body that stalls after the headers', async () => {
    // (1.5 s: the headers must come within the timeout even on a busy machine, or the message names the wait for them)
    await expect(boundedFetch(`${server.origin}/headers-then-silence`, { ...subject, maxBytes: 1000, timeoutMs: 1500 })).rejects.toThrow(
      /nothing arrived for 1\.5 s while reading the body/,
    );
  });

  it('stops a server that trickles bytes forever at the overall deadline', async () => {
    await expect(boundedFetch(`${server.origin}/trickle`, { ...subject, maxBytes: 10_000, timeoutMs: 5_000, deadline: deadlineIn(400) })).rejects.toThrow(
      /did not finish within the deadline/,
    );
    await expect(boundedFetch(`${server.origin}/ten`, { ...subject, maxBytes: 10, deadline: Date.now() - 1 })).rejects.toThrow(/deadline .* passed/);
  });

  it('refuses a body over maxBytes: from Content-Length before reading, while streaming without one', async () => {
    await expect(boundedFetch(`${server.origin}/liar`, { ...subject, maxBytes: 1000 })).rejects.toThrow(
      /it is 1099511627776 bytes, more than the limit of 1000 bytes/,
    );
    await expect(boundedFetch(`${server.origin}/chunked-big`, { ...subject, maxBytes: 250 })).rejects.toThrow(/it is larger than the limit of 250 bytes/);
    await expect(boundedFetch(`${server.origin}/ten`, { ...subject, maxBytes: 100, expectedBytes: 12 })).rejects.toThrow(
      /the server announces 10 bytes, but 12 are expected/,
    );
  });

  it('limits redirects and follows them to http(s) only', async () => {
    await expect(boundedFetch(`${server.origin}/loop`, { ...subject, maxBytes: 100, maxRedirects: 3 })).rejects.toThrow(/more than 3 redirects/);
    const loops = server.requests.filter((r) => r === 'GET /loop').length;
    expect(loops).toBe(4);
    await expect(boundedFetch(`${server.origin}/to-file`, { ...subject, maxBytes: 100 })).rejects.toThrow(/redirects to a file: URL/);
  });

  it('names HTTP errors, refused connections and unsupported schemes', async () => {
    await expect(boundedFetch(`${server.origin}/missing`, { ...subject, maxBytes: 100 })).rejects.toThrow(/'http:\/\/127\.0\.0\.1:\d+\/missing': HTTP 404/);
    const closed = await httpServer(() => undefined);
    const origin = closed.origin;
    await closed.close();
    await expect(boundedFetch(`${origin}/x`, { ...subject, maxBytes: 100 })).rejects.toThrow(/the request failed \(ECONNREFUSED\)/);
    await expect(boundedFetch('file:///etc/passwd', { ...subject, maxBytes: 100 })).rejects.toThrow(/only http\(s\), data and blob URLs/);
  });
});
