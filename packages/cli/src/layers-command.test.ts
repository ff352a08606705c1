import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMobileNetV2, writeKerasH5 } from '@gradcam/models';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { runBin } from './test-support.js';

describe('gradcam layers (built binary, wasm backend)', () => {
  it('lists the default model’s layers as a table and marks out_relu [null,7,7,1280] as the default layer', async () => {
    const { code, stdout } = await runBin(['layers', '--backend', 'wasm']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^nsfw_mobilenet_v2 .*input \[null,224,224,3\]/);
    expect(stdout).toMatch(/^\s*0\s+input_1\s+InputLayer\s+\[null,224,224,3\]\s+0$/m);
    expect(stdout).toMatch(/^\s*\d+\s+Conv1\s+Conv2D\s+\[null,112,112,32\]\s+864$/m);
    expect(stdout).toMatch(/^\s*\d+\s+out_relu\s+ReLU\s+\[null,7,7,1280\]\s+0\s+\* default$/m);
    expect(stdout.match(/\* default$/gm)).toHaveLength(1);
  }, 60_000);

  it('--json gives every layer with index, type, shape, parameters and the default flag', async () => {
    const { code, stdout } = await runBin(['layers', '--json', '--backend', 'wasm']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ schema: 1, model: 'nsfw_mobilenet_v2', inputShape: [null, 224, 224, 3], defaultLayer: 'out_relu' });
    const outRelu = report.layers.find((l: { name: string }) => l.name === 'out_relu');
    expect(outRelu).toMatchObject({ className: 'ReLU', outputShape: [null, 7, 7, 1280], paramCount: 0, default: true });
    expect(report.layers.filter((l: { default: boolean }) => l.default)).toHaveLength(1);
    expect(report.layers.map((l: { index: number }) => l.index)).toEqual(report.layers.map((_: unknown, i: number) => i));
  }, 60_000);

  it('lists a graph model’s nodes, marking its default node', async () => {
    const { code, stdout } = await runBin(['layers', '--model', 'nsfw_mobilenet_v2_mid', '--json', '--backend', 'wasm']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.defaultLayer).toBe('MobilenetV2/Conv_1/Relu6');
    expect(report.layers.find((l: { default: boolean }) => l.default)?.outputShape).toEqual([null, 7, 7, 1792]);
  }, 60_000);

  it('--weights gives an ImageNet id its Keras weight file; with a bundled id it is a usage error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradcam-weights-'));
    try {
      // Random weights in the official file's layout stand in for the ImageNet file (no network here).
      const model = buildMobileNetV2();
      const file = join(dir, 'mobilenet_v2_random.h5');
      await writeFile(file, await writeKerasH5(model));
      model.dispose();
      const { code, stdout, stderr } = await runBin(['layers', '--model', 'mobilenet_v2', '--weights', file, '--json', '--backend', 'wasm'], undefined, {
        GRADCAM_CACHE: join(dir, 'empty-cache'),
      });
      expect(code, stderr).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ model: 'mobilenet_v2', defaultLayer: 'out_relu' });
      const wrong = await runBin(['layers', '--weights', file, '--backend', 'wasm']);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/The 'weights' option applies to the ImageNet ids/);
      const missing = await runBin(['layers', '--model', 'mobilenet_v2', '--weights', join(dir, 'none.h5'), '--backend', 'wasm']);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/none\.h5': no such file/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
