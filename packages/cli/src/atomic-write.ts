import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Writes files through a temporary name in the same directory (`<name>.tmp-<pid>-<random>`)
 * and a rename, so a reader never sees a half-written file and a failed write leaves nothing.
 * Remembers the temporary files in flight so an interrupted run can remove them
 * (`removePendingSync`, safe to call from a signal handler).
 */
export class AtomicWriter {
  private readonly pending = new Set<string>();

  /** Writes `data` to `path` atomically; on failure the temporary file is removed and the error rethrown. */
  async write(path: string, data: Uint8Array | string): Promise<void> {
    const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    this.pending.add(temporary);
    try {
      await writeFile(temporary, data);
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    } finally {
      this.pending.delete(temporary);
    }
  }

  /**
   * Removes the temporary files that a killed process (SIGKILL, a crash: no chance to clean up)
   * left in `folder`: names ending in `.tmp-<pid>-<8 hex>` whose process no longer runs.
   * Returns how many were removed.
   */
  static async removeStale(folder: string): Promise<number> {
    const names = await readdir(folder).catch(() => [] as string[]);
    let removed = 0;
    for (const name of names) {
      const match = /\.tmp-(\d+)-[0-9a-f]{8}$/.exec(name);
      if (!match || isRunning(Number(match[1]))) continue;
      await rm(join(folder, name), { force: true });
      removed++;
    }
    return removed;
  }

  /** Removes every temporary file still being written. */
  removePendingSync(): void {
    for (const temporary of this.pending) rmSync(temporary, { force: true });
    this.pending.clear();
  }
}

/** True when a process with this id runs (signal 0 only checks). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // it runs, as another user
  }
}
