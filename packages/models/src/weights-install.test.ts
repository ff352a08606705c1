import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = join(here, '..');

// The built @gradcam/models installed as a user installs it: its dependencies beside it, the
// optional weights packages absent. (In this workspace they are devDependencies, so they resolve.)
describe('@gradcam/models installed without the optional weights packages (built package, Node)', () => {
  let dir: string;

  beforeAll(async () => {
    if (!existsSync(join(packageDir, 'dist', 'index.js'))) throw new Error('packages/models/dist is missing: build first (npx -y pnpm@10 build).');
    dir = await mkdtemp(join(tmpdir(), 'gradcam-weights-install-'));
    const modules = join(dir, 'node_modules');
    await mkdir(join(modules, '@gradcam', 'models'), { recursive: true });
    await mkdir(join(modules, '@tensorflow'), { recursive: true });
    await cp(join(packageDir, 'dist'), join(modules, '@gradcam', 'models', 'dist'), { recursive: true });
    await cp(join(packageDir, 'package.json'), join(modules, '@gradcam', 'models', 'package.json'));
    // This workspace's copies (pnpm links them into packages/models/node_modules).
    const link = async (name: string) => symlink(await realpath(join(packageDir, 'node_modules', name)), join(modules, name), 'dir');
    for (const name of [
      '@gradcam/core',
      '@gradcam/io',
      '@gradcam/weights-nsfw-mobilenet-v2',
      'fflate',
      'h5wasm',
      '@tensorflow/tfjs-core',
      '@tensorflow/tfjs-layers',
      '@tensorflow/tfjs-converter',
      '@tensorflow/tfjs-backend-cpu',
    ]) {
      await link(name);
    }
    await writeFile(
      join(dir, 'main.mjs'),
      `import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BUNDLED_MODEL_IDS, isBundledModelInstalled, loadBundledModel } from '@gradcam/models';
await tf.setBackend('cpu');
const installed = {};
for (const id of BUNDLED_MODEL_IDS) installed[id] = await isBundledModelInstalled(id);
let missing;
try {
  await loadBundledModel('nsfw_inception_v3');
} catch (error) {
  missing = { name: error.name, code: error.code, message: error.message };
}
const model = await loadBundledModel('nsfw_mobilenet_v2');
const y = model.predict(tf.fill([1, 224, 224, 3], 0.5));
console.log(JSON.stringify({ installed, missing, outputShape: y.shape }));
`,
    );
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads the default model, and names the npm install for an optional one', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['main.mjs'], { cwd: dir, encoding: 'utf8' });
    const result = JSON.parse(stdout.trim().split('\n').pop() as string);
    expect(result.installed).toEqual({ nsfw_mobilenet_v2: true, nsfw_mobilenet_v2_mid: false, nsfw_inception_v3: false });
    expect(result.missing).toMatchObject({ name: 'ModelLoadError', code: 'MODEL_LOAD' });
    expect(result.missing.message).toMatch(
      /^The model 'nsfw_inception_v3' needs the package @gradcam\/weights-nsfw-inception-v3, which is not installed\. Install it: npm install @gradcam\/weights-nsfw-inception-v3\./,
    );
    expect(result.outputShape).toEqual([1, 5]);
  }, 120_000);
});
