import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelLoadError } from '@gradcam/core/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRegularFile } from './read-file';

const subject = { error: ModelLoadError, what: 'the weight file' };

describe('readRegularFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradcam-io-'));
    await writeFile(join(dir, 'ten.bin'), new Uint8Array(10).fill(7));
    await writeFile(join(dir, 'empty.bin'), new Uint8Array(0));
    await mkdir(join(dir, 'folder'));
    await symlink(join(dir, 'ten.bin'), join(dir, 'link.bin'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads a regular file within the limit, byte for byte', async () => {
    expect(Array.from(await readRegularFile(join(dir, 'ten.bin'), { ...subject, maxBytes: 10 }))).toEqual(new Array(10).fill(7));
    expect((await readRegularFile(join(dir, 'empty.bin'), { ...subject, maxBytes: 1 })).length).toBe(0);
  });

  it('refuses a file over the limit before reading it, naming its size and the limit', async () => {
    await expect(readRegularFile(join(dir, 'ten.bin'), { ...subject, maxBytes: 9 })).rejects.toThrow(
      /Cannot read the weight file '.*ten\.bin': it is 10 bytes, more than the limit of 9 bytes/,
    );
    await expect(readRegularFile(join(dir, 'ten.bin'), { ...subject, maxBytes: 9, limitNote: 'the 9 bytes the manifest declares' })).rejects.toThrow(
      /more than the 9 bytes the manifest declares/,
    );
  });

  it('refuses a FIFO at once (it would block forever), a device (/dev/zero never ends) and a directory', async () => {
    await expect(readRegularFile(join(dir, 'fifo'), { ...subject, maxBytes: 100 })).rejects.toThrow(/it is a FIFO \(named pipe\), not a regular file/);
    await expect(readRegularFile('/dev/zero', { ...subject, maxBytes: 100 })).rejects.toThrow(/it is a character device, not a regular file/);
    await expect(readRegularFile(join(dir, 'folder'), { ...subject, maxBytes: 100 })).rejects.toThrow(/it is a directory/);
  });

  it('reports a missing file as such, and refuses a symbolic link when asked to', async () => {
    const missing = readRegularFile(join(dir, 'missing.bin'), { ...subject, maxBytes: 100 });
    await expect(missing).rejects.toBeInstanceOf(ModelLoadError);
    await expect(missing).rejects.toThrow(/missing\.bin': no such file/);
    expect((await readRegularFile(join(dir, 'link.bin'), { ...subject, maxBytes: 100 })).length).toBe(10);
    await expect(readRegularFile(join(dir, 'link.bin'), { ...subject, maxBytes: 100, noFollow: true })).rejects.toThrow(/symbolic link/);
  });

  it('reads a file whose name is not valid UTF-8, given as bytes', async () => {
    const name = Buffer.concat([Buffer.from(`${dir}/caf`), Buffer.from([0xe9]), Buffer.from('.bin')]);
    await writeFile(name, new Uint8Array([1, 2, 3]));
    expect(Array.from(await readRegularFile(name, { ...subject, maxBytes: 3 }))).toEqual([1, 2, 3]);
  });

  it('checks its own options', async () => {
    await expect(readRegularFile(join(dir, 'ten.bin'), { ...subject, maxBytes: -1 })).rejects.toThrow(/maxBytes must be a non-negative number/);
  });
});
