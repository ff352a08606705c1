import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeImage } from 'gradcam';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CliIo, runCli } from './index.js';

const sample = (name: string) => fileURLToPath(new URL(`../../../examples/images/${name}`, import.meta.url));

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe('gradcam explain', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradcam-cli-'));
  });

  it('reports a missing file, still writes the good one, and exits 1', async () => {
    const out = join(dir, 'a');
    const { code, stdout, stderr } = await run(['explain', join(dir, 'missing.png'), sample('chelsea.png'), '--out', out, '--backend', 'wasm']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/missing\.png: no such file/);
    expect(stderr).toMatch(/1 of 2 input\(s\) failed/);
    expect(stdout).toMatch(/chelsea\.png: Neutral 0\.93/);
    const files = await readdir(out);
    expect(files).toEqual(['chelsea-2.png']);
    const overlay = decodeImage(new Uint8Array(await readFile(join(out, 'chelsea-2.png'))));
    expect([overlay.width, overlay.height]).toEqual([451, 300]);
  }, 60_000);

  it('gives a typed decode error for zero-byte and truncated JPEGs, not a crash', async () => {
    const empty = join(dir, 'empty.jpg');
    const truncated = join(dir, 'truncated.jpg');
    await writeFile(empty, new Uint8Array());
    await writeFile(truncated, (await readFile(sample('rocket.jpg'))).subarray(0, 2000));
    const { code, stderr } = await run(['explain', empty, truncated, '--out', join(dir, 'b'), '--backend', 'wasm']);
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^gradcam: .*empty\.jpg: .*empty/i);
    expect(lines[1]).toMatch(/^gradcam: .*truncated\.jpg: .*JPEG/);
    expect(await readdir(join(dir, 'b'))).toEqual([]);
  }, 60_000);

  it('explains several targets, one overlay each, and writes the JSON report (schema 1)', async () => {
    const out = join(dir, 'c');
    const { code, stdout } = await run(['explain', sample('coffee.png'), '--target', '2', '--target', '0', '--out', out, '--json', '-', '--backend', 'wasm']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.schema).toBe(1);
    const [entry] = report.images;
    expect(entry).toMatchObject({ model: 'nsfw_mobilenet_v2', layer: 'out_relu', method: 'Grad-CAM', backend: 'wasm' });
    expect(entry.predictions[0]).toMatchObject({ target: 2, label: 'Neutral' });
    expect(entry.targets.map((t: { target: number }) => t.target)).toEqual([2, 0]);
    expect(entry.targets[0].heatmap).toHaveLength(7);
    expect(entry.targets[0].heatmap[0]).toHaveLength(7);
    const [a, b] = await Promise.all(entry.targets.map(async (t: { output: string }) => readFile(t.output)));
    expect(Buffer.compare(a, b)).not.toBe(0);
  }, 60_000);

  it('exits 2 on usage errors', async () => {
    expect((await run(['explain'])).code).toBe(2);
    expect((await run(['explain', 'x.png', '--target', 'cat'])).code).toBe(2);
    expect((await run(['explain', 'x.png', '--top', '2', '--target', '1'])).code).toBe(2);
    expect((await run(['explain', 'x.png', '--model', 'resnet', '--backend', 'wasm'])).stderr).toMatch(/Unknown model 'resnet'.*nsfw_mobilenet_v2/);
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['explain', '--help'])).code).toBe(0);
  }, 60_000);
});
