import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { decodeImage } from 'gradcam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin, SAMPLES_DIR, sample, startBin } from './test-support.js';

const schema = JSON.parse(await readFile(fileURLToPath(new URL('../schema/explain-report.schema.json', import.meta.url)), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);

function expectValidReport(report: unknown): void {
  const ok = validate(report);
  expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
  expect(ok).toBe(true);
}

async function pngSize(path: string): Promise<[number, number]> {
  const image = decodeImage(new Uint8Array(await readFile(path)));
  return [image.width, image.height];
}

const temporaryFiles = (names: string[]) => names.filter((n) => n.includes('.tmp-'));

describe('gradcam explain (built binary, wasm backend)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradcam-cli-explain-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('explains files, a directory and a glob; reports a corrupt and a missing file; exits 1; writes a schema-valid JSON report', async () => {
    const photos = join(dir, 'photos');
    await mkdir(photos);
    await copyFile(sample('coffee.png'), join(photos, 'coffee.png'));
    await writeFile(join(photos, 'truncated.jpg'), (await readFile(sample('rocket.jpg'))).subarray(0, 2000));
    await writeFile(join(photos, 'notes.txt'), 'not an image');
    const out = join(dir, 'a');
    const json = join(dir, 'a.json');
    const missing = join(dir, 'missing.png');
    const glob = `${SAMPLES_DIR}/rock*.jpg`;
    const { code, stdout, stderr } = await runBin(['explain', sample('chelsea.png'), photos, missing, glob, '--out', out, '--json', json, '--backend', 'wasm']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/missing\.png: no such file/);
    expect(stderr).toMatch(/truncated\.jpg: .*JPEG/);
    expect(stderr).toMatch(/2 of 5 input\(s\) failed: .*truncated\.jpg, .*missing\.png/);
    expect(stdout).toMatch(/chelsea\.png: Neutral 0\.93/);
    expect((await readdir(out)).sort()).toEqual(['chelsea-2.png', 'coffee-2.png', 'rocket-0.png']);
    expect(await pngSize(join(out, 'chelsea-2.png'))).toEqual([451, 300]); // the original resolution
    const report = JSON.parse(await readFile(json, 'utf8'));
    expectValidReport(report);
    expect(report.images.map((i: { image: string }) => i.image)).toEqual([sample('chelsea.png'), join(photos, 'coffee.png'), sample('rocket.jpg')]);
    expect(report.images[0]).toMatchObject({ model: 'nsfw_mobilenet_v2', layer: 'out_relu', method: 'Grad-CAM', backend: 'wasm' });
    expect(report.images[0].targets[0].heatmap).toHaveLength(7);
    expect(report.failures).toEqual([
      { input: join(photos, 'truncated.jpg'), error: expect.stringMatching(/JPEG/), code: 'DECODE' },
      { input: missing, error: 'no such file', code: 'ENOENT' },
    ]);
    expect(temporaryFiles([...(await readdir(out)), ...(await readdir(dir))])).toEqual([]);
  }, 120_000);

  it('--top 3 explains the three best classes, one overlay each, in prediction order', async () => {
    const out = join(dir, 'top');
    const { code, stdout } = await runBin(['explain', sample('coffee.png'), '--top', '3', '--out', out, '--json', '-', '--backend', 'wasm']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expectValidReport(report);
    const [entry] = report.images;
    expect(entry.targets).toHaveLength(3);
    expect(entry.targets.map((t: { target: number }) => t.target)).toEqual(entry.predictions.slice(0, 3).map((p: { target: number }) => p.target));
    expect((await readdir(out)).sort()).toEqual(entry.targets.map((t: { target: number }) => `coffee-${t.target}.png`).sort());
  }, 60_000);

  it('several --layer give one overlay per layer and target, named <image>-<layer>-<class>.png', async () => {
    const out = join(dir, 'layers');
    // (wasm has no gradient for depthwise convolutions, so both layers are past the last one)
    const args = ['explain', sample('chelsea.png'), '--layer', 'Conv_1', '--layer', 'out_relu', '--target', '2', '--target', '4'];
    const { code, stdout } = await runBin([...args, '--out', out, '--json', '-', '--backend', 'wasm']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expectValidReport(report);
    expect(report.images.map((i: { layer: string }) => i.layer)).toEqual(['Conv_1', 'out_relu']);
    expect(report.images[0].targets[0].heatmap).not.toEqual(report.images[1].targets[0].heatmap);
    expect((await readdir(out)).sort()).toEqual(['chelsea-Conv_1-2.png', 'chelsea-Conv_1-4.png', 'chelsea-out_relu-2.png', 'chelsea-out_relu-4.png']);
  }, 60_000);

  it('inputs that share a name stem keep their extension in the output name', async () => {
    const same = join(dir, 'same');
    await mkdir(same);
    await copyFile(sample('chelsea.png'), join(same, 'cat.png'));
    await copyFile(sample('rocket.jpg'), join(same, 'cat.jpg'));
    const out = join(dir, 'same-out');
    const { code } = await runBin(['explain', same, '--out', out, '--backend', 'wasm']);
    expect(code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['cat.jpg-0.png', 'cat.png-2.png']);
  }, 60_000);

  it('--colormap, --alpha-limit, --resample and --logits change the overlay and the report', async () => {
    const out = join(dir, 'style');
    const plain = await runBin(['explain', sample('chelsea.png'), '--out', join(out, 'plain'), '--backend', 'wasm']);
    const styled = await runBin(
      ['explain', sample('chelsea.png'), '--colormap', 'cividis', '--alpha-limit', 'none', '--resample', 'box', '--logits', '--method', 'gradcam'].concat([
        '--out',
        join(out, 'styled'),
        '--json',
        '-',
        '--backend',
        'wasm',
      ]),
    );
    expect([plain.code, styled.code]).toEqual([0, 0]);
    const report = JSON.parse(styled.stdout);
    expectValidReport(report);
    expect(report.images[0].targets[0].proba).toBeCloseTo(0.932, 2);
    const a = await readFile(join(out, 'plain', 'chelsea-2.png'));
    const b = await readFile(join(out, 'styled', 'chelsea-2.png'));
    expect(a.equals(b)).toBe(false);
  }, 60_000);

  it('--method, --counterfactual, --no-relu, --normalize, --eigen-smooth, --aug-smooth and --guided reach the explanation', async () => {
    const out = join(dir, 'methods');
    const run = async (extra: string[], name: string) => {
      const { code, stdout, stderr } = await runBin(['explain', sample('chelsea.png'), ...extra, '--out', join(out, name), '--json', '-', '--backend', 'wasm']);
      expect(code, stderr).toBe(0);
      const report = JSON.parse(stdout);
      expectValidReport(report);
      return report.images[0];
    };
    const plus = await run(['--method', 'gradcam++'], 'plus');
    expect(plus.method).toBe('Grad-CAM++');
    const counter = await run(['--method', 'gradcam++', '--counterfactual'], 'counter');
    expect(counter.targets[0].heatmap).not.toEqual(plus.targets[0].heatmap);
    const signed = await run(['--method', 'hirescam', '--no-relu'], 'signed');
    expect(signed.method).toBe('HiResCAM');
    expect(Math.min(...signed.targets[0].heatmap.flat())).toBeLessThan(0);
    expect(await pngSize(join(out, 'signed', 'chelsea-2.png'))).toEqual([451, 300]);
    const minmax = await run(['--method', 'hirescam', '--no-relu', '--normalize', 'minmax', '--eigen-smooth'], 'minmax');
    expect(Math.min(...minmax.targets[0].heatmap.flat())).toBe(0);
    const smooth = await run(['--method', 'gradcam++', '--aug-smooth'], 'smooth');
    expect(smooth.targets[0].heatmap).not.toEqual(plus.targets[0].heatmap);
    // Guided backprop differentiates the whole network w.r.t. the input: on tfjs-node when present (wasm takes ~75 s).
    const backend = process.env.GRADCAM_SKIP_TFJS_NODE === '1' ? 'wasm' : 'tensorflow';
    const guidedRun = await runBin(['explain', sample('chelsea.png'), '--guided', '--out', join(out, 'guided'), '--json', '-', '--backend', backend]);
    expect(guidedRun.code, guidedRun.stderr).toBe(0);
    const guidedReport = JSON.parse(guidedRun.stdout);
    expectValidReport(guidedReport);
    expect(guidedReport.images[0].targets[0].guidedOutput).toBe(join(out, 'guided', 'chelsea-2-guided.png'));
    expect(await pngSize(join(out, 'guided', 'chelsea-2-guided.png'))).toEqual([451, 300]);
    const bad = await runBin(['explain', sample('chelsea.png'), '--method', 'gradcam+++', '--out', join(out, 'never')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/gradcam\+\+\+.*choices.*scorecam/s);
    const useless = await runBin([
      'explain',
      sample('chelsea.png'),
      '--method',
      'eigencam',
      '--counterfactual',
      '--out',
      join(out, 'never'),
      '--backend',
      'wasm',
    ]);
    expect(useless.code).toBe(2);
    expect(useless.stderr).toMatch(/--counterfactual negates gradients, but .*\('eigencam'\) uses none; choose a gradient --method or drop --counterfactual/);
  }, 240_000);

  it('without --overwrite an existing output fails that input, naming the file and the flag; with it the file is replaced', async () => {
    const out = join(dir, 'existing');
    await mkdir(out);
    await writeFile(join(out, 'chelsea-2.png'), 'old');
    const refused = await runBin(['explain', sample('chelsea.png'), sample('coffee.png'), '--out', out, '--backend', 'wasm']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/chelsea-2\.png exists; pass --overwrite to replace it/);
    expect(await readFile(join(out, 'chelsea-2.png'), 'utf8')).toBe('old');
    expect((await readdir(out)).sort()).toEqual(['chelsea-2.png', 'coffee-2.png']);
    const replaced = await runBin(['explain', sample('chelsea.png'), '--out', out, '--overwrite', '--backend', 'wasm']);
    expect(replaced.code).toBe(0);
    expect(await pngSize(join(out, 'chelsea-2.png'))).toEqual([451, 300]);
  }, 60_000);

  it('an existing JSON report without --overwrite is a usage error (exit 2) before any work', async () => {
    const json = join(dir, 'exists.json');
    await writeFile(json, '{}');
    const { code, stderr } = await runBin(['explain', sample('chelsea.png'), '--out', join(dir, 'never'), '--json', json, '--backend', 'wasm']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/exists\.json exists; pass --overwrite/);
    await expect(stat(join(dir, 'never'))).rejects.toThrow();
  }, 60_000);

  it('a write that fails leaves neither the file nor a temporary file', async () => {
    const out = join(dir, 'blocked');
    await mkdir(join(out, 'chelsea-2.png'), { recursive: true }); // rename onto a directory fails
    const { code, stderr } = await runBin(['explain', sample('chelsea.png'), '--out', out, '--overwrite', '--backend', 'wasm']);
    expect(code).toBe(1);
    expect(stderr).toMatch(/chelsea\.png: .*(EISDIR|ENOTEMPTY|directory)/i);
    expect(await readdir(out)).toEqual(['chelsea-2.png']);
    expect((await stat(join(out, 'chelsea-2.png'))).isDirectory()).toBe(true);
  }, 60_000);

  it('an interrupted run (SIGINT) leaves only complete PNGs and no temporary files', async () => {
    const out = join(dir, 'interrupted');
    let sent = false;
    const result = await startBin(['explain', SAMPLES_DIR, '--top', '5', '--out', out, '--backend', 'wasm'], {
      onStdout: (soFar, child) => {
        if (!sent && /→/.test(soFar)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(result.signal).toBe('SIGINT');
    const names = await readdir(out);
    expect(temporaryFiles(names)).toEqual([]);
    expect(names.length).toBeGreaterThanOrEqual(5);
    expect(names.length).toBeLessThan(20); // it stopped before the end
    for (const name of names) expect((await pngSize(join(out, name)))[0]).toBeGreaterThan(0);
  }, 60_000);

  it('--model takes a Keras .keras file; --merge-layers gives one overlay per target averaging the layers', async () => {
    const keras = fileURLToPath(new URL('../../gradcam/src/__fixtures__/keras/small_cnn.keras', import.meta.url));
    const out = join(dir, 'keras');
    const args = ['explain', sample('chelsea.png'), '--model', keras, '--layer', 'conv1', '--layer', 'sep', '--out', out, '--json', '-', '--backend', 'wasm'];
    const merged = await runBin([...args, '--merge-layers']);
    expect(merged.code, merged.stderr).toBe(0);
    const report = JSON.parse(merged.stdout);
    expectValidReport(report);
    expect(report.images).toHaveLength(1);
    expect(report.images[0]).toMatchObject({ model: keras, layer: 'conv1+sep' });
    const target = report.images[0].targets[0].target;
    expect(await readdir(out)).toEqual([`chelsea-${target}.png`]);
    // Without --merge-layers: one overlay per layer.
    const apart = await runBin([...args, '--out', join(dir, 'keras-apart')]);
    expect(JSON.parse(apart.stdout).images.map((i: { layer: string }) => i.layer)).toEqual(['conv1', 'sep']);
    expect((await readdir(join(dir, 'keras-apart'))).sort()).toEqual([`chelsea-conv1-${target}.png`, `chelsea-sep-${target}.png`]);
  }, 60_000);
});
