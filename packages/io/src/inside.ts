import { importNodeBuiltin } from '@gradcam/core/node-builtin';
import type { Subject } from './limits.js';
import { describeFsError } from './read-file.js';

type Path = typeof import('node:path');
type FsPromises = typeof import('node:fs/promises');

/** Options of resolveInside. */
export interface InsideOptions extends Subject {
  /** How to name the folder in messages, e.g. "the folder of 'model/model.json'". */
  readonly folder: string;
}

/** True when `path` lies inside `folder` (both absolute and normalised), not equal to it. */
export function isInside(folder: string, path: string, p: Pick<Path, 'relative' | 'isAbsolute' | 'sep'>): boolean {
  const rel = p.relative(folder, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${p.sep}`) && !p.isAbsolute(rel);
}

/**
 * Resolves `relative`, a path that an untrusted file names (a weight file of a model.json), inside
 * `folder`: refuses absolute paths (POSIX or Windows), a `..` that climbs out, and a symbolic link
 * anywhere on the way whose real path leaves the folder. Returns the real path of the file. The
 * caller opens it at once (a folder that someone else rewrites between the check and the open
 * is outside this guard). Node only.
 * @throws options.error naming the path and the rule it broke.
 */
export async function resolveInside(folder: string, relative: string, options: InsideOptions): Promise<string> {
  const path = await importNodeBuiltin<Path>('node:path');
  const { realpath } = await importNodeBuiltin<FsPromises>('node:fs/promises');
  const refuse = (rule: string, cause?: unknown) => new options.error(`Refused ${options.what} '${relative}': ${rule}.`, cause === undefined ? {} : { cause });
  if (typeof relative !== 'string' || relative === '' || relative.includes('\0')) throw refuse('not a usable relative path');
  if (path.posix.isAbsolute(relative) || path.win32.isAbsolute(relative)) {
    throw refuse(`absolute paths are not allowed; it must be a path relative to ${options.folder}`);
  }
  let root: string;
  try {
    root = await realpath(folder);
  } catch (error) {
    throw refuse(`${options.folder} cannot be read: ${describeFsError(error)}`, error);
  }
  const resolved = path.resolve(root, relative);
  if (!isInside(root, resolved, path)) throw refuse(`it leads outside ${options.folder} ('..' may not climb out of it)`);
  let real: string;
  try {
    real = await realpath(resolved);
  } catch (error) {
    throw new options.error(`Cannot read ${options.what} '${relative}' in ${options.folder}: ${describeFsError(error)}.`, { cause: error });
  }
  if (!isInside(root, real, path)) throw refuse(`it is a symbolic link to '${real}', outside ${options.folder}`);
  return real;
}
