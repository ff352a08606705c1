import { createHash } from 'node:crypto';
import { InvalidArgumentError } from 'commander';

/** Part `index` (1 … count) of a partition of the inputs into `count` parts. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parser of `--shard i/n`: 1 ≤ i ≤ n, as in Jest's --shard (a Kubernetes completion index is i − 1). */
export function shardOption(value: string): Shard {
  const match = /^(\d+)\/(\d+)$/.exec(value.trim());
  const [index, count] = match ? [Number(match[1]), Number(match[2])] : [Number.NaN, Number.NaN];
  if (!(count >= 1 && index >= 1 && index <= count)) {
    throw new InvalidArgumentError(`--shard must be i/n with 1 ≤ i ≤ n (e.g. 2/5), got '${value}'.`);
  }
  return { index, count };
}

/**
 * The part (1 … count) an input belongs to: the first 32 bits of the SHA-256 of its key (its path
 * below the walked root, or the argument itself) modulo count, plus one. The same on every
 * machine and every run, so n processes given the same arguments and `--shard 1/n` … `n/n`
 * explain every input exactly once between them.
 */
export function shardOf(key: string, count: number): number {
  return (createHash('sha256').update(key).digest().readUInt32BE(0) % count) + 1;
}

/** The items of `shard` (all of them without one). */
export function inShard<T extends { readonly key: string }>(items: readonly T[], shard: Shard | undefined): T[] {
  return shard === undefined ? [...items] : items.filter((item) => shardOf(item.key, shard.count) === shard.index);
}
