import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandInputs, outputStems } from './inputs.js';

describe('expandInputs', () => {
  it('expands directories (sorted, images only, recursive on request) and globs; keeps plain paths; drops duplicates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradcam-inputs-'));
    await mkdir(join(dir, 'sub'));
    for (const name of ['b.png', 'a.JPG', 'c.jpeg', 'notes.txt', 'sub/d.png']) await writeFile(join(dir, name), '');
    const flat = await expandInputs([dir, join(dir, 'b.png'), join(dir, 'missing.png')], { recursive: false });
    expect(flat.files).toEqual([join(dir, 'a.JPG'), join(dir, 'b.png'), join(dir, 'c.jpeg'), join(dir, 'missing.png')]);
    expect(flat.unmatched).toEqual([]);
    const deep = await expandInputs([dir], { recursive: true });
    expect(deep.files).toContain(join(dir, 'sub', 'd.png'));
    const globbed = await expandInputs([`${dir}/*.png`, `${dir}/*.gif`], { recursive: false });
    expect(globbed.files).toEqual([join(dir, 'b.png')]);
    expect(globbed.unmatched).toEqual([{ input: `${dir}/*.gif`, reason: 'no image file matches this pattern' }]);
    const empty = await expandInputs([join(dir, 'sub', '..', 'sub', 'nothing*')], { recursive: false });
    expect(empty.files).toEqual([]);
  });

  it('names outputs by stem, keeping the extension only where stems collide', () => {
    const stems = outputStems(['x/cat.png', 'y/cat.jpg', 'dog.png']);
    expect([...stems.values()]).toEqual(['cat.png', 'cat.jpg', 'dog']);
  });
});
