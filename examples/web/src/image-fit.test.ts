import { InvalidInputError } from '@gradcam/core/errors';
import { describe, expect, it } from 'vitest';
import { fitImageSize, IMAGE_LIMITS } from './image-fit';

describe('fitImageSize', () => {
  it('keeps images within the limits as they are', () => {
    expect(fitImageSize(451, 300)).toEqual({ width: 451, height: 300, scale: 1 });
    expect(fitImageSize(32, 32)).toEqual({ width: 32, height: 32, scale: 1 });
    expect(fitImageSize(640, 640)).toEqual({ width: 640, height: 640, scale: 1 });
  });

  it('scales larger images down to 640 px on the long side, keeping the aspect ratio', () => {
    expect(fitImageSize(6000, 4000)).toEqual({ width: 640, height: 427, scale: 640 / 6000 });
    expect(fitImageSize(1000, 3000)).toEqual({ width: 213, height: 640, scale: 640 / 3000 });
  });

  it('refuses images under 32 px, naming the size', () => {
    expect(() => fitImageSize(1, 1)).toThrow(InvalidInputError);
    expect(() => fitImageSize(1, 1)).toThrow(/1×1 px; the page needs at least 32×32 px/);
    expect(() => fitImageSize(500, 31)).toThrow(/500×31 px/);
  });

  it('refuses images so elongated that scaling them down would leave a side under 32 px', () => {
    expect(() => fitImageSize(4000, 100)).toThrow(/would be 640×16 px/);
  });

  it('has frozen page limits', () => {
    expect(Object.isFrozen(IMAGE_LIMITS)).toBe(true);
  });
});
