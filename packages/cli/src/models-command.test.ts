import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from './test-support.js';

describe('gradcam models (built binary)', () => {
  // A cache folder holding only a MobileNetV2 weight file, so "cached" is known for both ids.
  let cache: string;
  beforeAll(async () => {
    cache = await mkdtemp(join(tmpdir(), 'gradcam-models-'));
    await writeFile(join(cache, 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5'), new Uint8Array(1234));
  });
  afterAll(() => rm(cache, { recursive: true, force: true }));

  it('lists the bundled and ImageNet models with classes, input size, source, size and cached state', async () => {
    const { code, stdout } = await runBin(['models'], undefined, { GRADCAM_CACHE: cache });
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^id\s+classes\s+input\s+source\s+size\s+cached\s+description$/);
    expect(lines[1]).toMatch(/^nsfw_mobilenet_v2 \(default\)\s+5\s+224×224\s+bundled\s+\d\.\d MB\s+yes\s+NSFWJS MobileNetV2/);
    expect(stdout).toMatch(/^nsfw_mobilenet_v2_mid\s+5\s+224×224\s+bundled/m);
    expect(stdout).toMatch(/^nsfw_inception_v3\s+5\s+299×299\s+bundled/m);
    expect(stdout).toMatch(/^mobilenet_v2\s+1000\s+224×224\s+imagenet\s+\S+ \S?B\s+yes\s/m);
    expect(stdout).toMatch(/^nasnet_mobile\s+1000\s+224×224\s+imagenet\s+\S+ \S?B\s+no\s/m);
  });

  it('--json gives the listModels() records', async () => {
    const { code, stdout } = await runBin(['models', '--json'], undefined, { GRADCAM_CACHE: cache });
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
      package: '@gradcam/weights-nsfw-mobilenet-v2',
    });
    // The CLI depends on every weights package: each bundled model is there.
    expect(report.models.slice(0, 3).map((m: { package: string; cached: boolean }) => [m.package, m.cached])).toEqual([
      ['@gradcam/weights-nsfw-mobilenet-v2', true],
      ['@gradcam/weights-nsfw-mobilenet-v2-mid', true],
      ['@gradcam/weights-nsfw-inception-v3', true],
    ]);
    expect(report.models[3]).toMatchObject({ id: 'mobilenet_v2', source: 'imagenet', classes: 1000, sizeBytes: 1234, cached: true });
    expect(report.models[4]).toMatchObject({ id: 'nasnet_mobile', source: 'imagenet', classes: 1000, cached: false });
  });
});
