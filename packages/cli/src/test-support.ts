import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

/** The built binary the tests run (turbo builds before testing). */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

/** A sample image from examples/images. */
export const sample = (name: string) => fileURLToPath(new URL(`../../../examples/images/${name}`, import.meta.url));

/** The examples/images directory (3 PNGs, 1 JPEG). */
export const SAMPLES_DIR = fileURLToPath(new URL('../../../examples/images', import.meta.url));

/** A new folder in the OS temp folder, removed when the test that made it finishes (call it inside a test). */
export async function testDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** What a finished child process left. */
export interface BinResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Starts `node dist/bin.js …args`; `onStdout` sees the output as it comes. With `timeoutMs` the
 * child is killed (SIGKILL, reported in `signal`) if it runs longer: a bound against hangs.
 */
export function startBin(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string>; onStdout?: (soFar: string, child: ChildProcess) => void; timeoutMs?: number } = {},
): Promise<BinResult> {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build the package first (npx -y pnpm@10 --filter @gradcam/cli build).`);
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', TF_ENABLE_ONEDNN_OPTS: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    options.onStdout?.(stdout, child);
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs the binary to the end. */
export const runBin = (args: readonly string[], cwd?: string, env?: Record<string, string>) => startBin(args, { cwd, env });
