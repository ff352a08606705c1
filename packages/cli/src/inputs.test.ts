import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandInputs, type InputFile, outputStems } from './inputs.js';

const displays = (files: readonly InputFile[]) => files.map((f) => f.display);

describe('expandInputs', () => {
  let dir: string;
  let outside: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradcam-inputs-'));
    outside = await mkdtemp(join(tmpdir(), 'gradcam-outside-'));
    await mkdir(join(dir, 'sub'));
    await mkdir(join(dir, '.hidden'));
    for (const name of ['b.png', 'a.JPG', 'c.jpeg', 'notes.txt', 'sub/d.png', '.hidden/e.png', '.f.png']) await writeFile(join(dir, name), name);
    await writeFile(join(outside, 'secret.png'), 'secret');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('expands directories (sorted, images only, hidden ones left out, recursive on request) and globs; keeps plain paths', async () => {
    const flat = await expandInputs([dir, join(dir, 'missing.png')], { recursive: false });
    expect(displays(flat.files)).toEqual([join(dir, 'a.JPG'), join(dir, 'b.png'), join(dir, 'c.jpeg'), join(dir, 'missing.png')]);
    expect(flat.unmatched).toEqual([]);
    const deep = await expandInputs([dir], { recursive: true });
    expect(displays(deep.files)).toEqual([join(dir, 'a.JPG'), join(dir, 'b.png'), join(dir, 'c.jpeg'), join(dir, 'sub', 'd.png')]);
    // Outputs mirror the folders below the root.
    expect(deep.files.map((f) => f.subdir)).toEqual(['', '', '', 'sub']);
    const globbed = await expandInputs([`${dir}/*.png`, `${dir}/*.gif`, `${dir}/**/*.png`], { recursive: false });
    expect(displays(globbed.files)).toEqual([join(dir, 'b.png'), join(dir, 'sub', 'd.png')]);
    expect(globbed.unmatched).toEqual([{ input: `${dir}/*.gif`, reason: 'no image file matches this pattern' }]);
    const empty = await expandInputs([join(dir, 'sub', '..', 'sub', 'nothing*')], { recursive: false });
    expect(empty.files).toEqual([]);
  });

  it('the same file reached twice (two arguments, a glob and a folder, a hard link) is kept once, before any decoding', async () => {
    await link(join(dir, 'b.png'), join(outside, 'hard.png'));
    const twice = await expandInputs([join(dir, 'b.png'), dir, `${dir}/b.*`, join(outside, 'hard.png'), join(dir, 'sub', '..', 'b.png')], { recursive: false });
    expect(displays(twice.files)).toEqual([join(dir, 'b.png'), join(dir, 'a.JPG'), join(dir, 'c.jpeg')]);
    // Only a different name is worth a note; the same path again is simply dropped.
    expect(twice.skipped).toEqual([{ input: join(outside, 'hard.png'), reason: `the same file as ${join(dir, 'b.png')}; explained once` }]);
    await rm(join(outside, 'hard.png'));
  });

  it('walks never leave their folder: links whose real path is outside are skipped and reported, links inside are followed once', async () => {
    const root = join(dir, 'linked');
    await mkdir(root);
    await writeFile(join(root, 'own.png'), 'own');
    await symlink(join(outside, 'secret.png'), join(root, 'out-file.png'));
    await symlink(outside, join(root, 'out-dir'));
    await symlink(join(root, 'own.png'), join(root, 'in-link.png'));
    await symlink(root, join(root, 'loop'));
    const found = await expandInputs([root], { recursive: true });
    // (sorted: the link inside comes first, so the file it points to is the repeat)
    expect(displays(found.files)).toEqual([join(root, 'in-link.png')]);
    expect(found.skipped).toEqual([
      { input: join(root, 'out-dir'), reason: expect.stringMatching(/a symbolic link to '.*gradcam-outside-.*', outside '.*linked'; not followed/) },
      { input: join(root, 'out-file.png'), reason: expect.stringMatching(/a symbolic link to '.*secret\.png', outside/) },
      { input: join(root, 'own.png'), reason: `the same file as ${join(root, 'in-link.png')}; explained once` },
    ]);
    await rm(root, { recursive: true });
  });

  it('skips the excluded (output) folder in walks', async () => {
    const root = join(dir, 'with-out');
    await mkdir(join(root, 'out'), { recursive: true });
    await writeFile(join(root, 'cat.png'), 'x');
    await writeFile(join(root, 'out', 'cat-2.png'), 'x');
    const found = await expandInputs([root], { recursive: true, exclude: [join(root, 'out')] });
    expect(displays(found.files)).toEqual([join(root, 'cat.png')]);
    expect(found.skipped).toEqual([{ input: join(root, 'out'), reason: 'the output folder; not searched for inputs' }]);
  });

  it('finds and opens names that are not UTF-8; shows their bytes as \\xHH and names outputs with %HH', async () => {
    const root = join(dir, 'latin1');
    await mkdir(root);
    await writeFile(Buffer.concat([Buffer.from(`${root}/caf`), Buffer.from([0xe9]), Buffer.from('.png')]), 'x');
    const found = await expandInputs([root], { recursive: false });
    expect(found.files).toHaveLength(1);
    expect(found.files[0].display).toBe(join(root, 'caf\\xe9.png'));
    expect(found.files[0].name).toBe('caf%E9.png');
    expect(Buffer.isBuffer(found.files[0].path)).toBe(true);
    expect(found.files[0].id).toBeDefined();
    await rm(root, { recursive: true });
  });
});

describe('outputStems', () => {
  const file = (display: string, subdir = ''): InputFile => ({ path: display, display, subdir, name: display.split('/').pop() as string, key: display });

  it('names outputs by stem, keeping the extension only where stems collide in the same output folder', () => {
    const files = [file('x/cat.png'), file('y/cat.jpg'), file('dog.png'), file('z/sub/cat.png', 'sub')];
    const { stems, conflicts } = outputStems(files);
    expect(files.map((f) => stems.get(f))).toEqual(['cat.png', 'cat.jpg', 'dog', 'cat']);
    expect(conflicts).toEqual([]);
  });

  it('reports two inputs that would write the same outputs', () => {
    const { conflicts } = outputStems([file('a/cat.png'), file('b/cat.png')]);
    expect(conflicts).toEqual([{ first: 'a/cat.png', second: 'b/cat.png', subdir: '', name: 'cat.png' }]);
  });
});
