import { stat } from 'node:fs/promises';
import type { InputFile } from './inputs.js';
import type { OutputPlan } from './output-plan.js';
import { type ImageReport, readJsonl } from './report.js';

const exists = (path: string) =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

/**
 * `--resume FILE`: the inputs an earlier run completed, with their report entries — those with an
 * image line in FILE for every requested layer whose overlays (and guided overlays) all exist.
 * Outputs are written under their final names only when complete (write, then rename) and a line
 * only after its outputs, so a listed output that exists is whole.
 */
export async function doneInJsonl(path: string, layers: readonly string[]): Promise<Map<string, ImageReport[]>> {
  const byInput = new Map<string, Map<string, ImageReport>>();
  for (const line of await readJsonl(path)) {
    if (line.type !== 'image') continue;
    const { type: _type, ...entry } = line as { type: 'image' } & ImageReport;
    if (!byInput.has(entry.image)) byInput.set(entry.image, new Map());
    byInput.get(entry.image)?.set(entry.layer, entry); // a later line for the same layer wins
  }
  const done = new Map<string, ImageReport[]>();
  for (const [input, entries] of byInput) {
    const chosen = layers.map((layer) => entries.get(layer));
    if (chosen.some((e) => e === undefined)) continue;
    const outputs = (chosen as ImageReport[]).flatMap((e) => e.targets.flatMap((t) => (t.guidedOutput ? [t.output, t.guidedOutput] : [t.output])));
    if ((await Promise.all(outputs.map(exists))).every(Boolean)) done.set(input, chosen as ImageReport[]);
  }
  return done;
}

/** What `--skip-existing` expects of each layer: the explicit targets, or `top` overlays of any class. */
export interface ExpectedOutputs {
  readonly layers: readonly string[];
  readonly targets?: readonly number[];
  /** With no explicit targets: how many classes each layer has overlays for (--top, default 1). */
  readonly top: number;
  readonly guided: boolean;
}

/**
 * `--skip-existing`: true when `file`'s outputs are in the output folder — every explicit target's
 * overlay at every layer, or, when the classes depend on the prediction, `top` overlays of the
 * model's classes at every layer (and their guided overlays with --guided).
 */
export async function outputsExist(file: InputFile, plan: OutputPlan, expected: ExpectedOutputs): Promise<boolean> {
  for (const layer of expected.layers) {
    const kinds = expected.guided ? [false, true] : [false];
    for (const guided of kinds) {
      const found = await plan.existingTargets(file, layer, guided);
      const complete = expected.targets && expected.targets.length > 0 ? expected.targets.every((t) => found.includes(t)) : found.length >= expected.top;
      if (!complete) return false;
    }
  }
  return true;
}
