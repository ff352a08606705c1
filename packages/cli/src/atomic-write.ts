import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';

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

  /** Removes every temporary file still being written. */
  removePendingSync(): void {
    for (const temporary of this.pending) rmSync(temporary, { force: true });
    this.pending.clear();
  }
}
