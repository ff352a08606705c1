import { randomBytes } from 'node:crypto';
import { mkdir, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { InvalidInputError } from '@gradcam/core';
import { InputError } from './input-error.js';
import { type InputFile, outputStems } from './inputs.js';
import { shown } from './terminal-text.js';

/** A layer name as a file-name part: graph node paths ('MobilenetV2/Conv_1/Relu6') lose their slashes. */
export function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

const identity = (s: { dev: number; ino: number }) => `${s.dev}:${s.ino}`;
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Creates `dir` (and its parents) when missing and proves it writable by creating and removing a
 * file in it — permission bits say nothing for root, or on a read-only mount.
 * @throws InvalidInputError (a usage error) naming the folder and why.
 */
export async function prepareFolder(dir: string, what: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    throw new InvalidInputError(`${what} ${shown(dir)} cannot be created: ${(error as Error).message}.`, { cause: error });
  }
  const probe = join(dir, `.gradcam-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await writeFile(probe, '', { flag: 'wx' });
  } catch (error) {
    throw new InvalidInputError(`${what} ${shown(dir)} is not writable: ${(error as Error).message}.`, { cause: error });
  } finally {
    await rm(probe, { force: true });
  }
}

/** The identities (device and inode) of the inputs, for "never overwrite an input". */
export function inputIds(files: readonly InputFile[]): ReadonlySet<string> {
  return new Set(files.flatMap((f) => (f.id === undefined ? [] : [f.id])));
}

/**
 * Checks a single output file the user named (`--json FILE`, compare's `--out`) before any input
 * is read: not a folder, not one of the inputs, not existing unless `overwrite`; its folder is
 * created and must be writable.
 * @throws InvalidInputError (a usage error) saying which rule it broke.
 */
export async function checkOutputFile(path: string, what: string, options: { inputs: ReadonlySet<string>; overwrite?: boolean }): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info?.isDirectory()) throw new InvalidInputError(`${what} ${shown(path)} is a directory; give a file name.`);
  if (info && options.inputs.has(identity(info))) throw new InvalidInputError(`${what} ${shown(path)} is one of the inputs; it would be overwritten.`);
  if (info && !options.overwrite) throw new InvalidInputError(`${what} ${shown(path)} exists; pass --overwrite to replace it.`);
  await prepareFolder(dirname(path), `the folder of ${what}`);
}

/**
 * An overlay's path: `<base>-<class>.png`, `<base>-<layer>-<class>.png` when a run explains
 * several layers (`layer` given), `…-guided.png` for Guided Grad-CAM. `base` is the output folder
 * and the input's stem (`out/sub/cat`).
 */
export function overlayPath(base: string, layer: string | undefined, target: number, guided = false): string {
  return `${base}${layer === undefined ? '' : `-${fileSafe(layer)}`}-${target}${guided ? '-guided' : ''}.png`;
}

/** Where `gradcam explain` writes each overlay, checked before any image is read. */
export interface OutputPlan {
  /** The output folder and stem of `file`'s overlays (see overlayPath). */
  outputBase(file: InputFile): string;
  /** The overlay path of `file`'s `target` (at `layer` when several layers are explained); `-guided` for Guided Grad-CAM. */
  outputPath(file: InputFile, layer: string, target: number, guided?: boolean): string;
  /** Throws InputError when `path` is (or links to) one of the inputs: inputs are never overwritten, whatever the flags. */
  guard(path: string): Promise<void>;
  /** The class ids whose overlay of `file` at `layer` is in the output folder now (`guided`: its -guided PNG). */
  existingTargets(file: InputFile, layer: string, guided?: boolean): Promise<number[]>;
}

/**
 * The layer names outputs are named after: each explained layer, or with --merge-layers one
 * name for the averaged map ('a+b').
 */
export function outputLayerNames(layers: readonly string[], mergeLayers: boolean | undefined): string[] {
  return mergeLayers ? [layers.join('+')] : [...layers];
}

/** Options of planOutputs. */
export interface PlanOptions {
  readonly out: string;
  /** The explained layers' names; with more than one, names carry the layer. */
  readonly layers: readonly string[];
  /** The class ids an overlay may be written for (explicit targets, or every class). */
  readonly classes: readonly number[];
  /** --json FILE, when given (not '-'). */
  readonly report?: string;
  readonly overwrite?: boolean;
}

/**
 * Names every output of a run and checks, before any image is read: no two inputs share an
 * output name; no input lies where an output of this run could be written (an overlay named
 * like it in an output folder); the report is not an input, not a folder and not an overlay's
 * name; the output folder can be created and written. Outputs mirror the folders below a walked
 * root (`<out>/<subdir>/<stem>-<class>.png`).
 * @throws InvalidInputError (a usage error) naming the files involved.
 */
export async function planOutputs(files: readonly InputFile[], options: PlanOptions): Promise<OutputPlan> {
  const { stems, conflicts } = outputStems(files);
  if (conflicts.length > 0) {
    const c = conflicts[0];
    throw new InvalidInputError(
      `${shown(c.first)} and ${shown(c.second)} would write the same outputs (${shown(join(options.out, c.subdir, c.name))}-…); ` +
        `explain them in separate runs or with different --out${conflicts.length > 1 ? ` (${conflicts.length} such pairs)` : ''}.`,
    );
  }
  const several = options.layers.length > 1;
  const layerParts = several ? options.layers.map(fileSafe) : [];
  const allowed = new Set(options.classes);
  // Per output folder: the pattern of the names this run may write there.
  const folders = new Map<string, string[]>();
  for (const file of files) folders.set(file.subdir, [...(folders.get(file.subdir) ?? []), stems.get(file) as string]);
  const patterns = new Map<string, RegExp>();
  for (const [subdir, names] of folders) {
    const real = await realpath(join(options.out, subdir)).catch(() => undefined);
    if (real === undefined) continue; // a folder that does not exist holds no input
    const layer = several ? `-(?:${layerParts.map(escapeRegExp).join('|')})` : '';
    patterns.set(real, new RegExp(`^(?:${names.map(escapeRegExp).join('|')})${layer}-(\\d+)(?:-guided)?\\.png$`));
  }
  const wouldWrite = async (path: string | Buffer): Promise<boolean> => {
    if (typeof path !== 'string') return false; // an output folder's path is UTF-8 text
    const folder = await realpath(dirname(path)).catch(() => undefined);
    const match = folder === undefined ? null : (patterns.get(folder)?.exec(basename(path)) ?? null);
    return match !== null && allowed.has(Number(match[1]));
  };
  for (const file of files) {
    if (file.id !== undefined && (await wouldWrite(file.path))) {
      throw new InvalidInputError(
        `the input ${shown(file.display)} lies in the output folder and is named like an overlay of this run; it could be overwritten. Choose another --out.`,
      );
    }
  }
  const ids = inputIds(files);
  if (options.report !== undefined) {
    if (await wouldWrite(options.report))
      throw new InvalidInputError(`the JSON report ${shown(options.report)} is named like an overlay of this run; choose another name.`);
    await checkOutputFile(options.report, 'the JSON report', { inputs: ids, overwrite: options.overwrite });
  }
  await prepareFolder(options.out, 'the output folder');
  const listings = new Map<string, Promise<Set<string>>>();
  const listing = (folder: string) => {
    let names = listings.get(folder);
    if (!names) {
      names = readdir(folder).then(
        (entries) => new Set(entries),
        () => new Set<string>(),
      );
      listings.set(folder, names);
    }
    return names;
  };
  return {
    outputBase: (file) => join(options.out, file.subdir, stems.get(file) as string),
    outputPath: (file, layer, target, guided = false) =>
      overlayPath(join(options.out, file.subdir, stems.get(file) as string), several ? layer : undefined, target, guided),
    async existingTargets(file, layer, guided = false) {
      const names = await listing(join(options.out, file.subdir));
      const prefix = `${stems.get(file)}${several ? `-${fileSafe(layer)}` : ''}-`;
      const suffix = guided ? '-guided.png' : '.png';
      const found: number[] = [];
      for (const name of names) {
        if (!name.startsWith(prefix) || !name.endsWith(suffix)) continue;
        const id = name.slice(prefix.length, name.length - suffix.length);
        if (/^\d+$/.test(id) && allowed.has(Number(id))) found.push(Number(id));
      }
      return found.sort((a, b) => a - b);
    },
    async guard(path) {
      const info = await stat(path).catch(() => undefined);
      if (info && ids.has(identity(info))) throw new InputError(`writing ${shown(path)} would replace one of the inputs; nothing was written for it`, 'EINPUT');
    },
  };
}
