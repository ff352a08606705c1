// The CLI on folders and names it did not make: outputs never replace inputs, paths that cannot
// be written are usage errors before any image is read, walks stay in their folder, the same
// file is explained once, names that are not UTF-8 work, names are printed escaped, FIFOs do not
// hang a run, and model URLs time out. The built binary, on real files.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, link, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentServer } from '@gradcam/io/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, sample } from './test-support.js';

const md5 = async (path: string | Buffer) =>
  createHash('md5')
    .update(await readFile(path))
    .digest('hex');
const WASM = ['--backend', 'wasm'];

describe('gradcam on untrusted folders and names (built binary, wasm)', () => {
  let dir: string;
  let n = 0;
  const fresh = async () => {
    const folder = join(dir, `case${n++}`);
    await mkdir(folder);
    return folder;
  };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradcam-untrusted-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('an input that an output of this run could replace is a usage error, before any image is read, whatever the flags', async () => {
    const io = await fresh();
    await copyFile(sample('chelsea.png'), join(io, 'a.png'));
    await copyFile(sample('coffee.png'), join(io, 'a-2.png')); // the name of a.png's overlay for class 2
    const before = await md5(join(io, 'a-2.png'));
    const { code, stdout, stderr } = await runBin(['explain', io, '--out', io, '--overwrite', ...WASM]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/the input .*a-2\.png lies in the output folder and is named like an overlay of this run; it could be overwritten/);
    expect(stdout).not.toMatch(/explaining/); // refused before the run started
    expect(await md5(join(io, 'a-2.png'))).toBe(before);
    expect((await readdir(io)).sort()).toEqual(['a-2.png', 'a.png']);
    // With outputs elsewhere the same folder is fine.
    const ok = await runBin(['explain', io, '--out', join(io, 'overlays'), ...WASM]);
    expect(ok.code).toBe(0);
    expect((await readdir(join(io, 'overlays'))).sort()).toEqual(['a-2-2.png', 'a-2.png']);
  }, 60_000);

  it('an output that is a hard link to an input fails that input, with --overwrite too; the input keeps its bytes', async () => {
    const folder = await fresh();
    const out = join(folder, 'out');
    await mkdir(out);
    await copyFile(sample('chelsea.png'), join(folder, 'cat.png'));
    await link(join(folder, 'cat.png'), join(out, 'cat-2.png'));
    const before = await md5(join(folder, 'cat.png'));
    const { code, stderr } = await runBin(['explain', join(folder, 'cat.png'), '--out', out, '--overwrite', ...WASM]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/cat\.png: writing .*cat-2\.png would replace one of the inputs; nothing was written for it/);
    expect(await md5(join(folder, 'cat.png'))).toBe(before);
  }, 60_000);

  it('--json: naming an overlay, an input or a folder is a usage error before any work; a missing folder is created', async () => {
    const folder = await fresh();
    const out = join(folder, 'out');
    const image = join(folder, 'cat.png');
    await copyFile(sample('chelsea.png'), image);
    for (const [json, message] of [
      [join(out, 'cat-2.png'), /the JSON report .*cat-2\.png is named like an overlay of this run/],
      [image, /the JSON report .*cat\.png is one of the inputs/],
      [folder, /the JSON report .* is a directory/],
    ] as const) {
      await mkdir(out, { recursive: true });
      const { code, stdout, stderr } = await runBin(['explain', image, '--out', out, '--json', json, '--overwrite', ...WASM]);
      expect(code, json).toBe(2);
      expect(stderr).toMatch(message);
      expect(stdout).toBe('');
      expect(await readdir(out)).toEqual([]);
    }
    const report = join(folder, 'reports', 'deeper', 'run.json');
    const { code } = await runBin(['explain', image, '--out', out, '--json', report, ...WASM]);
    expect(code).toBe(0);
    expect(JSON.parse(await readFile(report, 'utf8')).images).toHaveLength(1);
    // A report folder that cannot be created (a file is in the way) fails before any image is read.
    const blocked = await runBin(['explain', image, '--out', join(folder, 'out2'), '--json', join(image, 'run.json'), ...WASM]);
    expect(blocked.code).toBe(2);
    expect(blocked.stderr).toMatch(/the folder of the JSON report .*cat\.png cannot be created/);
  }, 90_000);

  it('--target outside the classes, or --top above their number, is a usage error before any image is read', async () => {
    const missing = join(dir, 'never-read.png');
    const target = await runBin(['explain', missing, '--target', '7', ...WASM]);
    expect(target.code).toBe(2);
    expect(target.stderr).toMatch(/--target 7 is not a class of nsfw_mobilenet_v2: valid ids are 0 … 4 \(5 classes\)/);
    expect(target.stderr).not.toMatch(/never-read/);
    const top = await runBin(['evaluate', missing, '--top', '6', ...WASM]);
    expect(top.code).toBe(2);
    expect(top.stderr).toMatch(/--top 6 is more than the 5 classes/);
  }, 60_000);

  it('--recursive stays inside the folder, explains a file reached twice once, and mirrors subfolders in the outputs', async () => {
    const root = await fresh();
    const outside = await fresh();
    await mkdir(join(root, 'cats'));
    await copyFile(sample('chelsea.png'), join(root, 'cats', 'chelsea.png'));
    await copyFile(sample('coffee.png'), join(root, 'coffee.png'));
    await copyFile(sample('astronaut.png'), join(outside, 'private.png'));
    await symlink(join(outside, 'private.png'), join(root, 'leak.png'));
    await symlink(outside, join(root, 'elsewhere'));
    const out = join(dir, `out${n++}`);
    const { code, stdout, stderr } = await runBin(['explain', root, join(root, 'coffee.png'), '--recursive', '--out', out, '--json', '-', ...WASM]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.images.map((i: { image: string }) => i.image)).toEqual([join(root, 'cats', 'chelsea.png'), join(root, 'coffee.png')]);
    expect(report.skipped).toEqual([
      { input: join(root, 'elsewhere'), reason: expect.stringMatching(/symbolic link to .*, outside .*; not followed/) },
      { input: join(root, 'leak.png'), reason: expect.stringMatching(/symbolic link to .*private\.png', outside .*; not followed/) },
    ]);
    expect(stderr).toMatch(/skipped .*leak\.png: a symbolic link/);
    expect(await readdir(out)).toEqual(expect.arrayContaining(['cats', 'coffee-2.png']));
    expect(await readdir(join(out, 'cats'))).toEqual(['chelsea-2.png']);
    expect(report.images[0].targets[0].output).toBe(join(out, 'cats', 'chelsea-2.png'));
  }, 60_000);

  it('two inputs with the same name in one output folder are a usage error, naming both', async () => {
    const [a, b] = [await fresh(), await fresh()];
    await copyFile(sample('chelsea.png'), join(a, 'cat.png'));
    await copyFile(sample('coffee.png'), join(b, 'cat.png'));
    const { code, stderr } = await runBin(['explain', join(a, 'cat.png'), join(b, 'cat.png'), '--out', join(dir, `out${n++}`), ...WASM]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/.*case\d+\/cat\.png and .*case\d+\/cat\.png would write the same outputs/);
  }, 60_000);

  it('names that are not UTF-8 are explained; names with newlines and escape codes are printed escaped', async () => {
    const folder = await fresh();
    const png = await readFile(sample('chelsea.png'));
    await writeFile(Buffer.concat([Buffer.from(`${folder}/caf`), Buffer.from([0xe9]), Buffer.from('.png')]), png);
    const forged = 'x.png\ngradcam: all 1000 images OK\n\x1b[2J\u202ecod.png';
    await writeFile(join(folder, forged), png);
    const out = join(dir, `out${n++}`);
    const { code, stdout, stderr } = await runBin(['explain', folder, '--out', out, '--json', join(dir, `r${n}.json`), ...WASM]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('caf\\xe9.png: Neutral');
    expect(stdout).toContain('x.png\\ngradcam: all 1000 images OK\\n\\x1b[2J\\u202ecod.png: Neutral');
    for (const text of [stdout, stderr]) {
      expect(text).not.toContain('\x1b');
      expect(text).not.toContain('\u202e');
    }
    // One line per image plus the header: the name did not forge a line.
    expect(stdout.trimEnd().split('\n')).toHaveLength(3);
    expect((await readdir(out)).sort()).toEqual(['caf%E9-2.png', `${forged.replace(/\.png$/, '')}-2.png`].sort());
  }, 60_000);

  it('a FIFO among the inputs fails at once (it is not waited on) and the batch goes on; walks list regular files only', async () => {
    const folder = await fresh();
    execFileSync('mkfifo', [join(folder, 'a-pipe.png')]);
    await copyFile(sample('coffee.png'), join(folder, 'b.png'));
    const walked = await runBin(['explain', folder, '--out', join(dir, `out${n++}`), ...WASM]);
    expect(walked.code).toBe(0);
    expect(walked.stdout).toMatch(/explaining 1 image/);
    const { code, stderr } = await runBin(['explain', join(folder, 'a-pipe.png'), join(folder, 'b.png'), '--out', join(dir, `out${n++}`), ...WASM]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/a-pipe\.png: it is a FIFO \(named pipe\), not a regular file/);
    expect(stderr).toMatch(/1 of 2 input\(s\) failed/);
  }, 60_000);

  it('compare --out and evaluate --json may not name an input', async () => {
    const folder = await fresh();
    const image = join(folder, 'cat.png');
    await copyFile(sample('chelsea.png'), image);
    const before = await md5(image);
    const compare = await runBin(['compare', image, '-m', 'nsfw_mobilenet_v2', '-m', 'nsfw_mobilenet_v2', '--out', image, '--overwrite', ...WASM]);
    expect(compare.code).toBe(2);
    expect(compare.stderr).toMatch(/the output .*cat\.png is one of the inputs; it would be overwritten/);
    const evaluate = await runBin(['evaluate', image, '--json', image, '--overwrite', ...WASM]);
    expect(evaluate.code).toBe(2);
    expect(evaluate.stderr).toMatch(/the JSON report .*cat\.png is one of the inputs/);
    expect(await md5(image)).toBe(before);
  }, 60_000);

  it('--model URL on a server that never answers: a usage error after --timeout, naming the URL', async () => {
    const silent = await silentServer();
    try {
      const { code, stderr } = await runBin(['explain', sample('chelsea.png'), '--model', `${silent.origin}/model.json`, '--timeout', '0.5', ...WASM]);
      expect(code).toBe(2);
      expect(stderr).toMatch(
        /Cannot read the model file 'http:\/\/127\.0\.0\.1:\d+\/model\.json': nothing arrived for 0\.5 s while waiting for the server \(timeout\)/,
      );
    } finally {
      await silent.close();
    }
  }, 60_000);
});
