import { importNodeBuiltin } from '@gradcam/core/node-builtin';
import { checkPositive, overLimit, type SizeLimit, type Subject } from './limits.js';

/** A file path: a string, or the raw bytes of a name that is not valid UTF-8 (Node accepts both). */
export type FilePath = string | Uint8Array;

/** Options of readRegularFile. */
export interface ReadFileOptions extends Subject, SizeLimit {
  /** How to show the path in messages; default the path itself. */
  readonly name?: string;
  /** Refuse a symbolic link as the last part of the path (O_NOFOLLOW) instead of following it. */
  readonly noFollow?: boolean;
}

type FsPromises = typeof import('node:fs/promises');
type Fs = typeof import('node:fs');

/** 'a directory', 'a FIFO', … for a stat result that is not a regular file. */
function kindOf(info: import('node:fs').Stats): string {
  if (info.isDirectory()) return 'a directory';
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  if (info.isSocket()) return 'a socket';
  if (info.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** A short reason for a failed open or read ('no such file', …). */
export function describeFsError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    ENOENT: 'no such file',
    EISDIR: 'it is a directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ELOOP: 'it is a symbolic link (or a loop of them)',
    ENOTDIR: 'a part of the path is not a directory',
    ENAMETOOLONG: 'the name is too long',
  };
  return (e?.code && known[e.code]) || e?.message || String(error);
}

/**
 * Reads a whole file, refusing anything but a regular file — a FIFO would block forever, a
 * device such as /dev/zero never ends — and anything larger than `maxBytes`, checked before a
 * byte is read and again while reading (a file that grows is cut off). The file is opened
 * non-blocking, so even opening a FIFO returns at once. Node only.
 * @throws options.error naming the file and the rule it broke.
 */
export async function readRegularFile(path: FilePath, options: ReadFileOptions): Promise<Uint8Array> {
  checkPositive('maxBytes', options.maxBytes, options, true);
  const fs = await importNodeBuiltin<FsPromises>('node:fs/promises');
  const { constants } = await importNodeBuiltin<Fs>('node:fs');
  const name = options.name ?? (typeof path === 'string' ? path : new TextDecoder().decode(path));
  const refuse = (rule: string, cause?: unknown) => new options.error(`Cannot read ${options.what} '${name}': ${rule}.`, cause === undefined ? {} : { cause });
  const flags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0) | (options.noFollow ? (constants.O_NOFOLLOW ?? 0) : 0);
  let handle: import('node:fs/promises').FileHandle;
  try {
    handle = await fs.open(path as string, flags);
  } catch (error) {
    throw refuse(describeFsError(error), error);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw refuse(`it is ${kindOf(info)}, not a regular file`);
    if (info.size > options.maxBytes) throw refuse(overLimit(info.size, options));
    // One byte more than stat promised, to notice a file that grows while it is read.
    const buffer = new Uint8Array(info.size + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    if (filled > info.size) {
      throw refuse(filled > options.maxBytes ? overLimit(undefined, options) : 'it grew while it was read; try again once it is complete');
    }
    return buffer.subarray(0, filled);
  } catch (error) {
    if (options.error.isInstance(error)) throw error;
    throw refuse(describeFsError(error), error);
  } finally {
    await handle.close();
  }
}
