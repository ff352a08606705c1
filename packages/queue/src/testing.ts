// A real Redis for tests: Debian's redis-server on a free port, in memory only (no mocks).
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** A running redis-server. */
export interface TestRedis {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  /** Stops it (SIGTERM, then SIGKILL); its data is gone. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `redis-server` (from $REDIS_SERVER or the PATH; Debian: `apt-get install redis-server`) on
 * a free port of 127.0.0.1 with no persistence, and resolves once it accepts connections. Throws,
 * naming what to install, when there is none: a test that needs Redis fails loudly.
 */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const binary = process.env.REDIS_SERVER ?? 'redis-server';
  const child: ChildProcess = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/i.test(output)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) =>
      reject(new Error(`Cannot start ${binary} (${error.message}): install Redis (Debian: apt-get install -y redis-server) or set REDIS_SERVER.`)),
    );
    child.once('exit', (code) => reject(new Error(`${binary} exited with ${code} before it was ready:\n${output}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}
