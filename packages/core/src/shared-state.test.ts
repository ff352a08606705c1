// Two installed copies of @gradcam/core in one program (a version skew between dependencies):
// the registries and the error classes must work across them. The built package is copied to a
// second folder, so Node loads it as a second module graph, as npm would install it twice.
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type Core = typeof import('./index.js');

describe('two installed copies of @gradcam/core', () => {
  let dir: string;
  let one: Core;
  let two: Core;
  beforeAll(async () => {
    const pkg = fileURLToPath(new URL('..', import.meta.url));
    dir = await mkdtemp(join(tmpdir(), 'gradcam-two-cores-'));
    const copy = async (name: string) => {
      const root = join(dir, name, 'node_modules', '@gradcam', 'core');
      await mkdir(join(dir, name, 'node_modules', '@tensorflow'), { recursive: true });
      await cp(join(pkg, 'dist'), join(root, 'dist'), { recursive: true });
      await writeFile(join(root, 'package.json'), JSON.stringify({ name: '@gradcam/core', type: 'module', exports: { '.': './dist/index.js' } }));
      await symlink(join(pkg, 'node_modules', '@tensorflow', 'tfjs-core'), join(dir, name, 'node_modules', '@tensorflow', 'tfjs-core'));
      return (await import(pathToFileURL(join(root, 'dist', 'index.js')).href)) as Core;
    };
    one = await copy('one');
    two = await copy('two');
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('are two copies (their classes differ)…', () => {
    expect(one.ModelLoadError).not.toBe(two.ModelLoadError);
    expect(new two.ModelLoadError('x')).not.toBeInstanceOf(one.ModelLoadError);
  });

  it('…yet each error class knows its own errors from the other copy, and only those', () => {
    const error = new two.ModelLoadError('the weights are gone');
    expect(one.ModelLoadError.isInstance(error)).toBe(true);
    expect(one.GradcamError.isInstance(error)).toBe(true);
    expect(one.DecodeError.isInstance(error)).toBe(false);
    expect(one.InvalidInputError.isInstance(new two.DecodeError('x'))).toBe(false);
    expect(one.GradcamError.isInstance(new Error('plain'))).toBe(false);
  });

  it('…and share the model-adapter and CAM-method registries', () => {
    const model = { kind: 'toy' };
    const explainable = { specificationVersion: 'v1', name: 'toy', capture: () => undefined };
    one.registerModelAdapter({ name: 'toy-adapter', canAdapt: (m) => m === model, adapt: () => explainable as never });
    expect(two.listModelAdapters()).toContain('toy-adapter');
    expect(two.toExplainableModel(model)).toBe(explainable);
    two.registerCamMethod({ ...one.getCamMethod('gradcam'), id: 'toy-method', displayName: 'Toy' });
    expect(one.listCamMethods().map((m) => m.id)).toContain('toy-method');
  });
});
