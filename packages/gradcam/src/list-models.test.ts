import { describe, expect, it } from 'vitest';
import { BUNDLED_MODEL_IDS, bundledModelInfo, listModels, MODEL_IDS } from './index.js';

describe('listModels', () => {
  it('lists the whole catalog; each bundled model with its classes, input size, weights package and its bytes', async () => {
    const all = await listModels();
    expect(all.map((m) => m.id)).toEqual(MODEL_IDS);
    const listing = all.filter((m) => m.source === 'bundled');
    expect(listing.map((m) => m.id)).toEqual(BUNDLED_MODEL_IDS);
    const [mobilenet] = listing;
    // In this workspace every weights package is installed (the optional ones as devDependencies).
    expect(mobilenet).toMatchObject({
      id: 'nsfw_mobilenet_v2',
      source: 'bundled',
      classes: 5,
      inputSize: [224, 224],
      cached: true,
      package: '@gradcam/weights-nsfw-mobilenet-v2',
    });
    // model.json plus the one 2.6 MB shard of the uint8-quantized MobileNetV2.
    expect(mobilenet.sizeBytes).toBe(bundledModelInfo('nsfw_mobilenet_v2')?.sizeBytes);
    expect(mobilenet.sizeBytes).toBeGreaterThan(2_500_000);
    expect(mobilenet.sizeBytes).toBeLessThan(3_000_000);
    expect(listing.find((m) => m.id === 'nsfw_inception_v3')).toMatchObject({
      inputSize: [299, 299],
      cached: true,
      package: '@gradcam/weights-nsfw-inception-v3',
    });
    for (const m of listing) expect(m.description).toMatch(/nsfwjs/i);
  });
});
