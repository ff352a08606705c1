import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { AtomicWriter } from './atomic-write.js';
import { InputError } from './input-error.js';
import type { OutputPlan } from './output-plan.js';

/** What the write stage keeps across inputs. */
export interface WriteContext {
  readonly writer: AtomicWriter;
  readonly plan: OutputPlan;
  readonly overwrite: boolean;
  /** Output path → the input that wrote it in this run. */
  readonly written: Map<string, string>;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * Writes one input's PNGs (the write stage, in input order): first checks every path — not
 * written before in this run, not existing unless --overwrite, not (a link to) an input — so an
 * input whose outputs cannot all be written writes none; then writes each atomically into its
 * folder (created for mirrored subfolders).
 * @throws InputError ('EEXIST', 'EINPUT') naming the output.
 */
export async function writeOutputs(ctx: WriteContext, input: string, outputs: readonly { path: string; png: Uint8Array }[]): Promise<void> {
  for (const { path } of outputs) {
    const earlier = ctx.written.get(path);
    if (earlier !== undefined) throw new InputError(`its output ${path} was already written for ${earlier} in this run; rename one of the inputs`, 'EEXIST');
    if (!ctx.overwrite && (await exists(path))) throw new InputError(`${path} exists; pass --overwrite to replace it`, 'EEXIST');
    await ctx.plan.guard(path);
  }
  for (const { path, png } of outputs) {
    await mkdir(dirname(path), { recursive: true });
    await ctx.writer.write(path, png);
    ctx.written.set(path, input);
  }
}
