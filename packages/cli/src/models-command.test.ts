import { describe, expect, it } from 'vitest';
import { runBin } from './test-support.js';

describe('gradcam models (built binary)', () => {
  it('lists the bundled and ImageNet models with classes, input size, source, size and cached state', async () => {
    const { code, stdout } = await runBin(['models']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+classes\s+input\s+source\s+size\s+cached\s+description$/);
    expect(lines[1]).toMatch(/^nsfw_mobilenet_v2 \(default\)\s+5\s+224×224\s+bundled\s+3\.6 MB\s+yes\s+NSFWJS MobileNetV2/);
    expect(stdout).toMatch(/^nsfw_mobilenet_v2_mid\s+5\s+224×224\s+bundled/m);
    expect(stdout).toMatch(/^nsfw_inception_v3\s+5\s+299×299\s+bundled/m);
    expect(stdout).toMatch(/^mobilenet_v2\s+1000\s+224×224\s+imagenet/m);
    expect(stdout).toMatch(/^nasnet_mobile\s+1000\s+224×224\s+imagenet/m);
  });

  it('--json gives the listModels() records', async () => {
    const { code, stdout } = await runBin(['models', '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.schema).toBe(1);
    expect(report.models.map((m: { id: string }) => m.id)).toEqual([
      'nsfw_mobilenet_v2',
      'nsfw_mobilenet_v2_mid',
      'nsfw_inception_v3',
      'mobilenet_v2',
      'nasnet_mobile',
    ]);
    expect(report.models[0]).toEqual({
      id: 'nsfw_mobilenet_v2',
      source: 'bundled',
      classes: 5,
      inputSize: [224, 224],
      sizeBytes: expect.any(Number),
      cached: true,
      description: expect.stringMatching(/MobileNetV2/),
    });
  });
});
