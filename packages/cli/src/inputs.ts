import { stat } from 'node:fs/promises';
import { basename, extname, isAbsolute, join } from 'node:path';
import { glob, isDynamicPattern } from 'tinyglobby';

/** File extensions a directory or a glob expands to (case-insensitive). */
export const IMAGE_EXTENSIONS: readonly string[] = Object.freeze(['.png', '.jpg', '.jpeg']);

/** What the command-line inputs expand to: the files to explain, and the inputs that matched nothing. */
export interface ExpandedInputs {
  /** Files in argument order; each directory's or glob's files sorted; duplicates removed. */
  readonly files: string[];
  /** Inputs that name no file: `{ input, reason }`. A missing plain path is kept in `files` and fails when read. */
  readonly unmatched: { input: string; reason: string }[];
}

const isImage = (path: string) => IMAGE_EXTENSIONS.includes(extname(path).toLowerCase());

/**
 * Expands paths, directories and glob patterns to image files. A directory gives its
 * .png/.jpg/.jpeg files (and those of its subdirectories with `recursive`); a glob gives the
 * image files it matches; an existing path or a path without glob characters stays as is.
 */
export async function expandInputs(inputs: readonly string[], options: { recursive: boolean }): Promise<ExpandedInputs> {
  const files: string[] = [];
  const unmatched: ExpandedInputs['unmatched'] = [];
  const add = (list: string[]) => {
    for (const file of list) if (!files.includes(file)) files.push(file);
  };
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (info?.isDirectory()) {
      const pattern = options.recursive ? '**/*' : '*';
      const found = await glob(pattern, { cwd: input, onlyFiles: true, expandDirectories: false });
      const images = found.filter(isImage).sort();
      if (images.length === 0)
        unmatched.push({
          input,
          reason: `directory has no ${IMAGE_EXTENSIONS.join('/')} files${options.recursive ? '' : ' (--recursive looks in subdirectories)'}`,
        });
      add(images.map((name) => join(input, name)));
    } else if (info === undefined && isDynamicPattern(input)) {
      // Absolute patterns give absolute paths, relative ones paths relative to the working directory.
      const found = (await glob(input, { onlyFiles: true, expandDirectories: false, absolute: isAbsolute(input) })).filter(isImage).sort();
      if (found.length === 0) unmatched.push({ input, reason: 'no image file matches this pattern' });
      add(found);
    } else {
      add([input]); // a missing file is reported when it is read
    }
  }
  return { files, unmatched };
}

/**
 * The name stem each file's outputs start with: its name without extension, or with the
 * extension when two inputs share a stem (`cat.png` and `cat.jpg` → `cat.png`, `cat.jpg`).
 */
export function outputStems(files: readonly string[]): Map<string, string> {
  const stemOf = (file: string) => basename(file, extname(file));
  const counts = new Map<string, number>();
  for (const file of files) counts.set(stemOf(file), (counts.get(stemOf(file)) ?? 0) + 1);
  return new Map(files.map((file) => [file, (counts.get(stemOf(file)) ?? 0) > 1 ? basename(file) : stemOf(file)]));
}
