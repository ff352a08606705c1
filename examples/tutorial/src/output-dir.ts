import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The files a tutorial run writes: step images (`NN-….png`) and the report. */
const OWN_FILE = /^(\d\d-[A-Za-z0-9_.-]+\.png|report\.html)$/;

/**
 * The output folder of a run. `prepare` removes what an earlier run wrote there (only the
 * tutorial's own files, so a folder given with --out keeps anything else); every file is written
 * to a temporary name and renamed, so a reader never sees a half-written image.
 */
export class OutputDir {
  /** File names written so far, in order. */
  readonly written: string[] = [];

  constructor(readonly dir: string) {}

  /** Creates the folder and clears the previous run's files from it. */
  async prepare(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) {
      if (OWN_FILE.test(name) || /\.tmp-\d+-[0-9a-f]+$/.test(name)) await rm(join(this.dir, name), { force: true });
    }
  }

  /** Writes `name` atomically and returns the name. */
  async write(name: string, bytes: Uint8Array | string): Promise<string> {
    if (!OWN_FILE.test(name)) throw new Error(`Output name '${name}' is not an NN-name.png step image or report.html.`);
    const path = join(this.dir, name);
    const temp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await writeFile(temp, bytes);
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    if (!this.written.includes(name)) this.written.push(name);
    return name;
  }
}
