// `gradcam explain` over folders: the pipeline (worker threads, batches) gives the same bytes as
// one thread, streams schema-valid JSON lines in input order, and an interrupted run continues
// with --resume or --skip-existing without redoing finished images. The built binary, real files.
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, SAMPLES_DIR, sample, startBin } from './test-support.js';

const schemaFile = (name: string) => fileURLToPath(new URL(`../schema/${name}`, import.meta.url));
const ajv = new Ajv({ allErrors: true, strict: true });
ajv.addSchema(JSON.parse(await readFile(schemaFile('explain-report.schema.json'), 'utf8')));
const validateLine = ajv.compile(JSON.parse(await readFile(schemaFile('explain-lines.schema.json'), 'utf8')));

/** Parses JSON lines and checks each against schema/explain-lines.schema.json. */
function parseLines(text: string): { type: string; [key: string]: unknown }[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const line = JSON.parse(l);
      expect(validateLine(line), `${l.slice(0, 200)}\n${JSON.stringify(validateLine.errors)}`).toBe(true);
      return line;
    });
}

const SAMPLES = ['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg'];
const tfjsNode = process.env.GRADCAM_SKIP_TFJS_NODE !== '1';

describe('gradcam explain over a folder (built binary)', () => {
  let dir: string;
  let photos: string;
  let n = 0;
  const out = () => join(dir, `out${n++}`);
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradcam-folder-'));
    photos = join(dir, 'photos');
    await mkdir(photos);
    // 10 photos: the samples under numbered names (distinct files, so none is a repeat).
    for (let i = 0; i < 10; i++) await copyFile(sample(SAMPLES[i % SAMPLES.length]), join(photos, `${i}-${SAMPLES[i % SAMPLES.length]}`));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const files = async (folder: string) => {
    const names = (await readdir(folder)).sort();
    return Promise.all(names.map(async (name) => [name, (await readFile(join(folder, name))).toString('base64')]));
  };

  it('worker threads and batches give the same PNGs and lines as one thread; lines stream in input order, schema-valid', async () => {
    const runs = [];
    for (const args of [
      ['--workers', '0', '--batch-size', '1'],
      ['--workers', '2', '--batch-size', '3'],
    ]) {
      const o = out();
      const { code, stdout, stderr } = await runBin(['explain', photos, '--out', o, '--jsonl', '-', '--backend', 'wasm', ...args]);
      expect(code, stderr).toBe(0);
      const lines = parseLines(stdout);
      expect(lines.map((l) => l.type)).toEqual(['run', ...new Array(10).fill('image'), 'end']);
      expect(lines.slice(1, 11).map((l) => l.image)).toEqual((await readdir(photos)).sort().map((f) => join(photos, f)));
      expect(stderr).toMatch(/explaining 10 image\(s\)/);
      runs.push({ files: await files(o), images: lines.slice(1, 11) as unknown as { image: string; targets: { target: number; heatmap: number[][] }[] }[] });
    }
    // Batches of 1 vs 3 round differently in float32 (within 1e-5); the overlays' bytes agree
    // where no map value sits on an 8-bit boundary. Predictions and targets agree to 1e-5.
    expect(runs[1].files.map(([name]) => name)).toEqual(runs[0].files.map(([name]) => name));
    for (const [i, image] of runs[1].images.entries()) {
      const other = runs[0].images[i];
      expect(image.targets.map((t) => t.target)).toEqual(other.targets.map((t) => t.target));
      const a = image.targets.flatMap((t) => t.heatmap.flat());
      const b = other.targets.flatMap((t) => t.heatmap.flat());
      expect(Math.max(...a.map((v, k) => Math.abs(v - b[k])))).toBeLessThan(1e-5);
    }
  }, 120_000);

  it('the same batch size gives byte-identical outputs whatever the number of workers (batches are fixed by position)', async () => {
    const results = [];
    for (const workers of ['0', '1', '2']) {
      const o = out();
      const { code } = await runBin(['explain', photos, '--out', o, '--backend', 'wasm', '--quiet', '--workers', workers, '--batch-size', '4']);
      expect(code).toBe(0);
      results.push(await files(o));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  }, 120_000);

  it.runIf(tfjsNode)(
    'on tensorflow, JPEGs decode with libjpeg-turbo in the workers too (the same bytes as one thread)',
    async () => {
      const results = [];
      for (const workers of ['0', '1']) {
        const o = out();
        const { code, stderr } = await runBin([
          'explain',
          sample('rocket.jpg'),
          sample('chelsea.png'),
          '--out',
          o,
          '--backend',
          'tensorflow',
          '--quiet',
          '--workers',
          workers,
        ]);
        expect(code, stderr).toBe(0);
        results.push(await files(o));
      }
      expect(results[1]).toEqual(results[0]);
    },
    120_000,
  );

  it('--quiet prints no line per image; failures still print; --jsonl FILE has the failure line too', async () => {
    const bad = join(dir, 'bad');
    await mkdir(bad);
    await copyFile(sample('chelsea.png'), join(bad, 'a.png'));
    await writeFile(join(bad, 'b.png'), 'not a png');
    const jsonl = join(dir, 'bad.jsonl');
    const { code, stdout, stderr } = await runBin(['explain', bad, '--out', out(), '--jsonl', jsonl, '--backend', 'wasm', '--quiet']);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/b\.png: Unknown image format/);
    const lines = parseLines(await readFile(jsonl, 'utf8'));
    expect(lines.map((l) => l.type)).toEqual(['run', 'image', 'failure', 'end']);
    expect(lines[3]).toMatchObject({ images: 1, failures: 1 });
  }, 60_000);

  it('a run killed mid-way continues with --resume: finished images are not redone, a torn last line is dropped', async () => {
    const o = out();
    const jsonl = join(dir, 'run.jsonl');
    // 30 photos, so that most are still to do when the kill lands, even on a busy machine.
    const many = join(dir, 'many');
    await mkdir(many);
    for (let i = 0; i < 30; i++)
      await copyFile(sample(SAMPLES[i % SAMPLES.length]), join(many, `${String(i).padStart(2, '0')}-${SAMPLES[i % SAMPLES.length]}`));
    // SIGKILL once three images are reported done (the per-image lines come after their PNGs and JSON lines).
    const killed = await startBin(['explain', many, '--out', o, '--jsonl', jsonl, '--backend', 'wasm', '--workers', '1', '--batch-size', '2'], {
      onStdout: (soFar, child) => {
        if ((soFar.match(/ → /g) ?? []).length >= 3) child.kill('SIGKILL');
      },
    });
    expect(killed.signal).toBe('SIGKILL');
    const before = parseLines(await readFile(jsonl, 'utf8')).filter((l) => l.type === 'image');
    expect(before.length).toBeGreaterThanOrEqual(3);
    expect(before.length).toBeLessThan(30);
    await writeFile(jsonl, `${await readFile(jsonl, 'utf8')}{"type":"image","image":"torn`); // what a kill mid-write leaves
    const resumed = await runBin(['explain', many, '--out', o, '--resume', jsonl, '--backend', 'wasm']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`explaining ${30 - before.length} image\\(s\\) \\(${before.length} done earlier\\)`));
    const lines = parseLines(await readFile(jsonl, 'utf8'));
    const images = lines.filter((l) => l.type === 'image').map((l) => l.image as string);
    // Every photo exactly once: the resumed run did not redo what the first run had finished.
    expect([...images].sort()).toEqual((await readdir(many)).sort().map((f) => join(many, f)));
    expect(lines.filter((l) => l.type === 'skipped')).toHaveLength(before.length);
    expect((await readdir(o)).filter((f) => f.endsWith('.png'))).toHaveLength(30);
    // Whatever temporary file the kill left (a PNG being written) is gone.
    expect((await readdir(o)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 120_000);

  it('--skip-existing leaves out inputs whose outputs exist (top-k or explicit targets), and redoes a missing one', async () => {
    const o = out();
    const first = await runBin(['explain', photos, '--out', o, '--backend', 'wasm', '--quiet', '--top', '2']);
    expect(first.code).toBe(0);
    const written = (await readdir(o)).sort();
    expect(written).toHaveLength(20);
    await unlink(join(o, written[0]));
    const again = await runBin(['explain', photos, '--out', o, '--backend', 'wasm', '--top', '2', '--skip-existing', '--json', '-']);
    expect(again.code, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report.images.map((i: { image: string }) => i.image)).toEqual([join(photos, written[0].replace(/-\d+\.png$/, '.png'))]);
    expect(report.skipped).toHaveLength(9);
    expect((await readdir(o)).sort()).toEqual(written);
    // Explicit targets: an input counts as done only when each target's overlay is there.
    const explicit = await runBin([
      'explain',
      photos,
      '--out',
      o,
      '--backend',
      'wasm',
      '--target',
      '2',
      '--target',
      '4',
      '--skip-existing',
      '--json',
      '-',
      '--overwrite',
    ]);
    const explicitReport = JSON.parse(explicit.stdout);
    expect(explicitReport.images.length + explicitReport.skipped.length).toBe(10);
    for (const entry of explicitReport.images) expect(entry.targets.map((t: { target: number }) => t.target)).toEqual([2, 4]);
  }, 120_000);

  it('--shard 1/3, 2/3, 3/3 in three processes explain every photo exactly once between them', async () => {
    const o = out();
    const seen: string[] = [];
    for (const part of ['1/3', '2/3', '3/3']) {
      const { code, stdout, stderr } = await runBin(['explain', photos, '--out', o, '--backend', 'wasm', '--shard', part, '--jsonl', '-']);
      expect(code, stderr).toBe(0);
      seen.push(
        ...parseLines(stdout)
          .filter((l) => l.type === 'image')
          .map((l) => l.image as string),
      );
    }
    expect([...seen].sort()).toEqual((await readdir(photos)).sort().map((f) => join(photos, f)));
    expect(await readdir(o)).toHaveLength(10);
  }, 120_000);

  it('--resume with a --jsonl that names another file is a usage error', async () => {
    const { code, stderr } = await runBin(['explain', SAMPLES_DIR, '--resume', join(dir, 'a.jsonl'), '--jsonl', join(dir, 'b.jsonl')]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--resume .*a\.jsonl appends to that file; --jsonl names another/);
  }, 30_000);
});
