import type { Options } from 'tsup';

/**
 * The build every package shares: ESM + .d.ts from the given entries. Dependencies and peers
 * stay external (tsup's default); optional ones must be listed in `external`.
 */
export function packageConfig(entries: string[], external: string[] = []): Options {
  return {
    entry: entries,
    format: ['esm'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    external,
  };
}
