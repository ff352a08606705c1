import type { Dirent } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { isInside } from '@gradcam/io';
import picomatch from 'picomatch';
import { decodeName } from './terminal-text.js';

/** File extensions a directory or a glob expands to (case-insensitive). */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['.png', '.jpg', '.jpeg']);

/** One file to explain. */
export interface InputFile {
  /** The path to open: a string, or the raw bytes when the name is not valid UTF-8. */
  readonly path: string | Buffer;
  /** The path as text for messages and the report; bytes that are not UTF-8 appear as `\xHH`. */
  readonly display: string;
  /**
   * For files found in a directory walk or a glob: the folder below the root they were found in,
   * as output path segments ('' at the root), so outputs mirror the input tree. '' for plain paths.
   */
  readonly subdir: string;
  /** The file name for output names: `display`'s last part, with bytes that are not UTF-8 as `%HH`. */
  readonly name: string;
  /**
   * The same on every machine that expands the same arguments: the path below the walked root
   * (`subdir/name`) for files found in a folder or by a glob, the argument itself for a plain path.
   * `--shard` partitions by it.
   */
  readonly key: string;
  /** The file's identity (device and inode) when it exists; the same file reached twice is explained once. */
  readonly id?: string;
}

/** What the command-line inputs expand to. */
export interface ExpandedInputs {
  /** Files in argument order; each directory's or glob's files sorted; each file once. */
  readonly files: InputFile[];
  /** Inputs that name no file: `{ input, reason }`. A missing plain path is kept in `files` and fails when read. */
  readonly unmatched: { input: string; reason: string }[];
  /** Entries a walk passed over, with the reason: links out of the root, a repeat of an earlier file, the output folder. */
  readonly skipped: { input: string; reason: string }[];
}

/** Options of expandInputs. */
export interface ExpandOptions {
  /** Walk directories' subdirectories too. */
  readonly recursive: boolean;
  /** Folders never walked into (the output folder, so earlier overlays are not taken as inputs). */
  readonly exclude?: readonly string[];
}

const isImage = (name: string) => IMAGE_EXTENSIONS.includes(extname(name).toLowerCase());
const identity = (s: { dev: number; ino: number }) => `${s.dev}:${s.ino}`;

/** A file or folder met in a walk: its path as opened, its path as text, and its segments below the root. */
interface Entry {
  readonly path: Buffer;
  readonly display: string;
  /** Segments below the root, as text (for glob matching and output folders). */
  readonly segments: readonly string[];
}

/** Output path segment for a name that is not UTF-8: its bad bytes as %HH. */
const segmentOf = (name: Buffer) => decodeName(name, (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).text;

/**
 * Walks `root` (a folder), depth-first in sorted order, yielding files whose relative path
 * `accept`s. Names are read as bytes, so names that are not UTF-8 are found and opened as they are.
 * Hidden entries (a leading dot) are passed over. A symbolic link is followed only when its real
 * path stays inside the root's real path (so a walk never leaves the folder it was given); links
 * that leave it are reported in `skipped`. Folders in `exclude` (real paths) and folders seen
 * before (a link back up the tree) are not entered twice.
 */
async function walk(
  root: string,
  /** '' for the working directory (a relative glob without a folder part): paths then have no './'. */
  shownRoot: string,
  depth: number,
  accept: (segments: readonly string[]) => boolean,
  exclude: ReadonlySet<string>,
  skipped: ExpandedInputs['skipped'],
): Promise<Entry[]> {
  const realRoot = await realpath(root || '.');
  const seen = new Set<string>([realRoot]);
  const found: Entry[] = [];
  const visit = async (dir: Entry, level: number): Promise<void> => {
    let entries: Dirent<Buffer>[];
    try {
      entries = await readdir(dir.path.length === 0 ? '.' : dir.path, { withFileTypes: true, encoding: 'buffer' });
    } catch (error) {
      skipped.push({ input: dir.display, reason: `cannot be listed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})` });
      return;
    }
    entries.sort((a, b) => Buffer.compare(a.name, b.name));
    for (const dirent of entries) {
      if (dirent.name[0] === 0x2e) continue; // '.'
      const path = dir.path.length === 0 ? dirent.name : Buffer.concat([dir.path, Buffer.from(sep), dirent.name]);
      const name = decodeName(dirent.name).text;
      const entry = { path, display: dir.display === '' ? name : `${dir.display}${sep}${name}`, segments: [...dir.segments, segmentOf(dirent.name)] };
      let isDir = dirent.isDirectory();
      let isFile = dirent.isFile();
      if (dirent.isSymbolicLink()) {
        const real = await realpath(path).catch(() => undefined);
        if (real === undefined) {
          skipped.push({ input: entry.display, reason: 'a broken symbolic link' });
          continue;
        }
        if (real !== realRoot && !isInside(realRoot, real, { relative, isAbsolute, sep })) {
          skipped.push({ input: entry.display, reason: `a symbolic link to '${real}', outside '${root}'; not followed` });
          continue;
        }
        const info = await stat(path);
        isDir = info.isDirectory();
        isFile = info.isFile();
      }
      if (isDir && level < depth) {
        const real = await realpath(path);
        if (exclude.has(real)) {
          skipped.push({ input: entry.display, reason: 'the output folder; not searched for inputs' });
          continue;
        }
        if (seen.has(real)) continue;
        seen.add(real);
        await visit(entry, level + 1);
      } else if (isFile && accept(entry.segments)) {
        found.push(entry);
      }
    }
  };
  await visit({ path: Buffer.from(root), display: shownRoot, segments: [] }, 0);
  return found;
}

/**
 * Expands paths, directories and glob patterns to image files, before any is read. A directory
 * gives its .png/.jpg/.jpeg files (and those of its subdirectories with `recursive`); a glob
 * gives the image files it matches; any other path stays as it is (a missing one fails when
 * read). Walks stay inside the folder they were given (see walk), skip `exclude`d folders, and
 * find names that are not UTF-8. The same file reached twice — by two arguments, a link, a hard
 * link — is kept once (by device and inode), before anything is decoded.
 */
export async function expandInputs(inputs: readonly string[], options: ExpandOptions): Promise<ExpandedInputs> {
  const files: InputFile[] = [];
  const unmatched: ExpandedInputs['unmatched'] = [];
  const skipped: ExpandedInputs['skipped'] = [];
  const exclude = new Set(await Promise.all((options.exclude ?? []).map((p) => realpath(p).catch(() => resolve(p)))));
  const firstById = new Map<string, string>();
  const add = async (path: string | Buffer, display: string, subdir: string, name: string, key: string) => {
    const info = await stat(path).catch(() => undefined);
    const id = info ? identity(info) : undefined;
    if (id !== undefined) {
      const first = firstById.get(id);
      if (first !== undefined) {
        if (first !== display) skipped.push({ input: display, reason: `the same file as ${first}; explained once` });
        return;
      }
      firstById.set(id, display);
    } else if (files.some((f) => f.id === undefined && f.display === display)) {
      return;
    }
    files.push({ path, display, subdir, name, key, ...(id === undefined ? {} : { id }) });
  };
  const addFound = async (found: readonly Entry[]) => {
    for (const entry of found) {
      const text = decodeName(entry.path);
      await add(
        text.valid ? text.text : entry.path,
        entry.display,
        entry.segments.slice(0, -1).join('/'),
        entry.segments[entry.segments.length - 1],
        entry.segments.join('/'),
      );
    }
  };
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    const scan = picomatch.scan(input);
    if (info?.isDirectory()) {
      const found = await walk(input, input, options.recursive ? Number.POSITIVE_INFINITY : 0, (s) => isImage(s[s.length - 1]), exclude, skipped);
      if (found.length === 0) {
        unmatched.push({
          input,
          reason: `directory has no ${IMAGE_EXTENSIONS.join('/')} files${options.recursive ? '' : ' (--recursive looks in subdirectories)'}`,
        });
      }
      await addFound(found);
    } else if (info === undefined && scan.isGlob) {
      const match = picomatch(scan.glob, { dot: false });
      const depth = scan.glob.includes('**') ? Number.POSITIVE_INFINITY : scan.glob.split('/').length - 1;
      const base = await stat(scan.base || '.').catch(() => undefined);
      const found = base?.isDirectory() ? await walk(scan.base, scan.base, depth, (s) => isImage(s[s.length - 1]) && match(s.join('/')), exclude, skipped) : [];
      if (found.length === 0) unmatched.push({ input, reason: 'no image file matches this pattern' });
      await addFound(found);
    } else {
      await add(input, input, '', basename(input), input); // a missing file is reported when it is read
    }
  }
  return { files, unmatched, skipped };
}

/** Output names that two inputs would share: each pair's display paths. */
export interface StemConflict {
  readonly first: string;
  readonly second: string;
  /** The output folder below --out ('' for --out itself) and the shared file name. */
  readonly subdir: string;
  readonly name: string;
}

/**
 * The name stem each file's outputs start with: its name without extension, or with the
 * extension when two inputs of the same output folder share a stem (`cat.png` and `cat.jpg` →
 * `cat.png`, `cat.jpg`). Two inputs with the same name in the same output folder (from different
 * arguments) cannot both be named: they are returned in `conflicts`.
 */
export function outputStems(files: readonly InputFile[]): { stems: Map<InputFile, string>; conflicts: StemConflict[] } {
  const stemOf = (file: InputFile) => basename(file.name, extname(file.name));
  const key = (file: InputFile, stem: string) => `${file.subdir}/${stem}`;
  const counts = new Map<string, number>();
  for (const file of files) counts.set(key(file, stemOf(file)), (counts.get(key(file, stemOf(file))) ?? 0) + 1);
  const stems = new Map(files.map((file) => [file, (counts.get(key(file, stemOf(file))) ?? 0) > 1 ? file.name : stemOf(file)]));
  const conflicts: StemConflict[] = [];
  const owner = new Map<string, InputFile>();
  for (const file of files) {
    const k = key(file, stems.get(file) as string);
    const first = owner.get(k);
    if (first) conflicts.push({ first: first.display, second: file.display, subdir: file.subdir, name: file.name });
    else owner.set(k, file);
  }
  return { stems, conflicts };
}
