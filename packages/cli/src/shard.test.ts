import { describe, expect, it } from 'vitest';
import { inShard, shardOf, shardOption } from './shard.js';

describe('--shard', () => {
  const items = Array.from({ length: 300 }, (_, i) => ({ key: `photos/${i % 7}/img-${i}.jpg` }));

  it('puts every input in exactly one of n parts, about evenly, the same way every time', () => {
    for (const count of [1, 2, 3, 7]) {
      const parts = Array.from({ length: count }, (_, i) => inShard(items, { index: i + 1, count }));
      expect(
        parts
          .flat()
          .map((p) => p.key)
          .sort(),
      ).toEqual(items.map((p) => p.key).sort());
      for (const part of parts) expect(part.length).toBeGreaterThan((items.length / count) * 0.7);
      expect(items.map((p) => shardOf(p.key, count))).toEqual(items.map((p) => shardOf(p.key, count)));
    }
    expect(inShard(items, undefined)).toHaveLength(300);
  });

  it('parses i/n with 1 ≤ i ≤ n and names what is valid otherwise', () => {
    expect(shardOption('2/5')).toEqual({ index: 2, count: 5 });
    for (const bad of ['0/3', '4/3', '1/0', '1', 'a/b', '-1/2', '1.5/3']) expect(() => shardOption(bad), bad).toThrow(/--shard must be i\/n with 1 ≤ i ≤ n/);
  });
});
