import { describe, expect, it } from 'vitest';
import { BUNDLED_MODEL_IDS, listModels } from './index.js';

describe('listModels', () => {
  it('lists every bundled model with its classes, input size and weight bytes on disk', async () => {
    const listing = (await listModels()).filter((m) => m.source === 'bundled');
    expect(listing.map((m) => m.id)).toEqual(BUNDLED_MODEL_IDS);
    const [mobilenet] = listing;
    expect(mobilenet).toMatchObject({ id: 'nsfw_mobilenet_v2', source: 'bundled', classes: 5, inputSize: [224, 224], cached: true });
    // The single weight shard of the nsfwjs MobileNetV2 (base64 in a .js module) is about 3.5 MB.
    expect(mobilenet.sizeBytes).toBeGreaterThan(3_000_000);
    expect(mobilenet.sizeBytes).toBeLessThan(4_000_000);
    expect(listing.find((m) => m.id === 'nsfw_inception_v3')?.inputSize).toEqual([299, 299]);
    for (const m of listing) expect(m.description).toMatch(/nsfwjs/i);
  });
});
