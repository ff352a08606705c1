import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelLoadError } from '@gradcam/core/errors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveInside } from './inside';

describe('resolveInside', () => {
  let base: string;
  let model: string;
  const options = () => ({ error: ModelLoadError, what: 'the weight file', folder: `the folder of '${model}/model.json'` });
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'gradcam-inside-'));
    model = join(base, 'model');
    await mkdir(join(model, 'shards'), { recursive: true });
    await mkdir(join(base, 'secret'));
    await writeFile(join(model, 'shards', 'a.bin'), 'a');
    await writeFile(join(base, 'secret', 'private.bin'), 's');
    await symlink(join(base, 'secret', 'private.bin'), join(model, 'out-link.bin'));
    await symlink(join(base, 'secret'), join(model, 'out-dir'));
    await symlink(join(model, 'shards', 'a.bin'), join(model, 'in-link.bin'));
  });
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('resolves paths inside the folder, also through links that stay inside', async () => {
    expect(await resolveInside(model, 'shards/a.bin', options())).toBe(join(model, 'shards', 'a.bin'));
    expect(await resolveInside(model, './shards/../shards/a.bin', options())).toBe(join(model, 'shards', 'a.bin'));
    expect(await resolveInside(model, 'in-link.bin', options())).toBe(join(model, 'shards', 'a.bin'));
  });

  it('refuses absolute paths, POSIX and Windows', async () => {
    for (const path of ['/etc/passwd', 'C:\\Windows\\win.ini', 'C:/x.bin', '\\\\server\\share\\x.bin']) {
      await expect(resolveInside(model, path, options()), path).rejects.toThrow(/absolute paths are not allowed/);
    }
  });

  it("refuses a '..' that climbs out, however deep", async () => {
    for (const path of ['../secret/private.bin', '../../../../etc/passwd', 'shards/../../secret/private.bin', '..']) {
      const attempt = resolveInside(model, path, options());
      await expect(attempt, path).rejects.toBeInstanceOf(ModelLoadError);
      await expect(attempt, path).rejects.toThrow(/leads outside the folder of/);
    }
  });

  it('refuses a symbolic link whose real path leaves the folder (a file, or a folder on the way)', async () => {
    await expect(resolveInside(model, 'out-link.bin', options())).rejects.toThrow(/is a symbolic link to '.*secret.private\.bin', outside the folder/);
    await expect(resolveInside(model, 'out-dir/private.bin', options())).rejects.toThrow(/outside the folder/);
  });

  it('names a missing file, an empty path and a NUL byte', async () => {
    await expect(resolveInside(model, 'shards/none.bin', options())).rejects.toThrow(/'shards\/none\.bin' in the folder of .*: no such file/);
    await expect(resolveInside(model, '', options())).rejects.toThrow(/not a usable relative path/);
    await expect(resolveInside(model, 'a\0b', options())).rejects.toThrow(/not a usable relative path/);
  });
});
