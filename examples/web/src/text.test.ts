import { describe, expect, it } from 'vitest';
import { duration, megabytes, middleEllipsis, shortTitle } from './text';

describe('text helpers', () => {
  it('shortens the bundled models’ titles to their network', () => {
    expect(shortTitle('NSFWJS MobileNetV2-1.4 (graph model, 224×224, 5 content classes)')).toBe('MobileNetV2-1.4');
    expect(shortTitle('my model')).toBe('my model');
    expect(shortTitle('(x)')).toBe('(x)');
  });

  it('writes sizes and durations', () => {
    expect(megabytes(29_997_085)).toBe('30.0 MB');
    expect(duration(839.6)).toBe('840 ms');
    expect(duration(12_345)).toBe('12.3 s');
  });

  it('shortens long layer names in the middle, keeping both ends', () => {
    expect(middleEllipsis('out_relu', 30)).toBe('out_relu');
    const long = 'MobilenetV2/expanded_conv_16/depthwise/depthwise';
    const short = middleEllipsis(long, 30);
    expect(short).toHaveLength(30);
    expect(short).toBe('MobilenetV2…epthwise/depthwise');
  });
});
