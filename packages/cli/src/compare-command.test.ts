import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeImage } from 'gradcam';
import { describe, expect, it } from 'vitest';
import { runBin, sample, testDir } from './test-support.js';

describe('gradcam compare (built binary, wasm backend)', () => {
  it('writes one PNG with both models side by side, each under its caption', async () => {
    const dir = await testDir('gradcam-cli-compare-');
    const out = join(dir, 'cat-models.png');
    const { code, stdout, stderr } = await runBin(
      ['compare', sample('chelsea.png'), '--model', 'nsfw_mobilenet_v2', '--model', 'nsfw_mobilenet_v2_mid', '--out', out, '--backend', 'wasm'],
      dir,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^nsfw_mobilenet_v2: Neutral 0\.93\d at out_relu$/m);
    expect(stdout).toMatch(/^nsfw_mobilenet_v2_mid: \w+ 0\.\d+ at MobilenetV2\/Conv_1\/Relu6$/m);
    expect(await readdir(dir)).toEqual(['cat-models.png']);
    const montage = decodeImage(new Uint8Array(await readFile(out)));
    // Two 451×300 panels and an 8-pixel gap; a caption band above them.
    expect(montage.width).toBe(2 * 451 + 8);
    expect(montage.height).toBeGreaterThan(300);
    expect(montage.height).toBeLessThan(400);
    // The caption band is white with black text; the panels are the overlays.
    const pixel = (x: number, y: number) => Array.from(montage.data.subarray((y * montage.width + x) * 4, (y * montage.width + x) * 4 + 4));
    expect(pixel(451 + 4, 2)).toEqual([255, 255, 255, 255]); // the gap, in the band
    const band = montage.height - 300;
    const inkInBand = (x0: number, x1: number) => {
      let ink = 0;
      for (let y = 0; y < band; y++) for (let x = x0; x < x1; x++) if (pixel(x, y)[0] === 0) ink++;
      return ink;
    };
    expect(inkInBand(0, 451)).toBeGreaterThan(100);
    expect(inkInBand(459, 910)).toBeGreaterThan(100);
  }, 120_000);

  it('exits 1 and writes nothing when the image cannot be decoded', async () => {
    const dir = await testDir('gradcam-cli-compare-');
    const bad = join(dir, 'bad.png');
    await writeFile(bad, 'not a png');
    const { code, stderr } = await runBin(['compare', bad, '-m', 'nsfw_mobilenet_v2', '-m', 'nsfw_mobilenet_v2_mid', '--backend', 'wasm'], dir);
    expect(code).toBe(1);
    expect(stderr).toMatch(/bad\.png: /);
    expect(await readdir(dir)).toEqual(['bad.png']);
  }, 60_000);

  it('--json and --jsonl report each model: target, label, score, heatmap; the same numbers both ways', async () => {
    const dir = await testDir('gradcam-cli-compare-');
    const jsonl = join(dir, 'run.jsonl');
    const args = ['compare', sample('chelsea.png'), '-m', 'nsfw_mobilenet_v2', '-m', 'nsfw_mobilenet_v2_mid', '--out', join(dir, 'm.png'), '--backend', 'wasm'];
    const { code, stdout, stderr } = await runBin([...args, '--json', '-', '--jsonl', jsonl], dir);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ schema: 1, image: sample('chelsea.png'), backend: 'wasm', output: join(dir, 'm.png') });
    expect(report.panels.map((p: { model: string; layer: string }) => [p.model, p.layer])).toEqual([
      ['nsfw_mobilenet_v2', 'out_relu'],
      ['nsfw_mobilenet_v2_mid', 'MobilenetV2/Conv_1/Relu6'],
    ]);
    expect(report.panels[0]).toMatchObject({ target: 2, label: 'Neutral' });
    expect(report.panels[0].heatmap).toHaveLength(7);
    expect(stderr).toMatch(/^nsfw_mobilenet_v2: Neutral/m); // the lines move to stderr when stdout has the JSON
    const lines = (await readFile(jsonl, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['run', 'panel', 'panel', 'end']);
    expect(lines.slice(1, 3).map(({ type: _t, ...panel }) => panel)).toEqual(report.panels);
  }, 120_000);
});
