import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AtomicWriter } from './atomic-write.js';

/** A fresh folder for one test, removed after it. */
const made: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gradcam-atomic-'));
  made.push(dir);
  return dir;
};

describe('AtomicWriter', () => {
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });

  it('writes through a temporary name and leaves only the file', async () => {
    const dir = await tempDir();
    await new AtomicWriter().write(join(dir, 'a.txt'), 'hello');
    expect(await readdir(dir)).toEqual(['a.txt']);
    expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('hello');
  });

  it('removes the temporary file when the rename fails', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'a.png'));
    await expect(new AtomicWriter().write(join(dir, 'a.png'), 'data')).rejects.toThrow(/EISDIR|ENOTEMPTY|directory/i);
    expect(await readdir(dir)).toEqual(['a.png']);
  });

  it('fails without leaving anything when the directory does not exist', async () => {
    const dir = await tempDir();
    await expect(new AtomicWriter().write(join(dir, 'missing', 'a.png'), 'data')).rejects.toThrow(/ENOENT/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('removePendingSync removes a temporary file still being written', async () => {
    const dir = await tempDir();
    const writer = new AtomicWriter();
    const writing = writer.write(join(dir, 'big.bin'), new Uint8Array(64 << 20));
    writer.removePendingSync(); // as the SIGINT handler does, while writeFile is in flight
    await writing.catch(() => undefined); // the rename of the removed file fails, or the write completed first
    expect((await readdir(dir)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('removeStale removes the temporary files of processes that no longer run, and nothing else', async () => {
    const dir = await tempDir();
    // A pid above the kernel's pid_max (2^22) runs nowhere; ours runs.
    for (const name of ['a.png.tmp-99999999-0a1b2c3d', `b.png.tmp-${process.pid}-0a1b2c3d`, 'c.png', 'd.png.tmp-99999999-xyz'])
      await writeFile(join(dir, name), 'x');
    expect(await AtomicWriter.removeStale(dir)).toBe(1);
    expect((await readdir(dir)).sort()).toEqual([`b.png.tmp-${process.pid}-0a1b2c3d`, 'c.png', 'd.png.tmp-99999999-xyz']);
  });
});
