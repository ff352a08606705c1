import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ModelLoadError } from '@gradcam/core';
import { staticServer, type TestServer } from '@gradcam/io/testing';
import * as original from '@gradcam/weights-nsfw-mobilenet-v2';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledModelFiles, loadBundledModel, WeightsIntegrityError, type WeightsPackage, type WeightsPackageFile } from './index.js';

// Every case works on a copy of the default weights package in a temporary folder: the installed
// package is only read.
describe('reading a weights package: sizes and SHA-256 checked, files bounded', () => {
  let dir: string;
  let server: TestServer;
  const served = new Map<string, Uint8Array>();
  const files = [original.modelJson, ...original.weightFiles];

  /** A copy of the package in `dir/<name>/`, with `change` applied to the copied files. */
  async function copy(name: string, change: (folder: string) => Promise<void> = async () => undefined): Promise<WeightsPackage> {
    const folder = join(dir, name);
    await mkdir(folder);
    for (const f of files) await copyFile(fileURLToPath(f.url), join(folder, f.path));
    await change(folder);
    const at = (f: WeightsPackageFile) => ({ ...f, url: pathToFileURL(join(folder, f.path)) });
    return { ...original, modelJson: at(original.modelJson), weightFiles: original.weightFiles.map(at) };
  }
  const shard = original.weightFiles[0];
  const flipByte = (folder: string) => async () => {
    const bytes = new Uint8Array(await readFile(join(folder, shard.path)));
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(join(folder, shard.path), bytes);
  };

  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = await mkdtemp(join(tmpdir(), 'gradcam-weights-package-'));
    for (const f of files) served.set(`/good/${f.path}`, new Uint8Array(await readFile(fileURLToPath(f.url))));
    const corrupt = (served.get(`/good/${shard.path}`) as Uint8Array).slice();
    corrupt[7] ^= 0x01;
    served.set(`/corrupt/${shard.path}`, corrupt);
    served.set(`/corrupt/${original.modelJson.path}`, served.get(`/good/${original.modelJson.path}`) as Uint8Array);
    server = await staticServer(served);
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a faithful copy loads, from the URLs the package gives (the same bytes as the installed package)', async () => {
    const pkg = await copy('faithful');
    const fromCopy = await bundledModelFiles('nsfw_mobilenet_v2', { weightsPackage: pkg });
    const installed = await bundledModelFiles('nsfw_mobilenet_v2');
    expect(fromCopy.shards).toEqual(installed.shards);
    expect(fromCopy.modelJson.format).toBe('layers-model');
    expect(fromCopy.modelJson.weightsManifest.flatMap((g) => g.paths)).toEqual(['group1-shard1of1.bin']);
    const before = tf.memory().numTensors;
    const model = await loadBundledModel('nsfw_mobilenet_v2', { weightsPackage: pkg });
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('a shard with one byte changed fails its SHA-256, naming the file, the package and the fix', async () => {
    const pkg = await copy('flipped', (folder) => flipByte(folder)());
    const before = tf.memory().numTensors;
    const loading = loadBundledModel('nsfw_mobilenet_v2', { weightsPackage: pkg });
    await expect(loading).rejects.toThrow(WeightsIntegrityError);
    await expect(loading).rejects.toThrow(
      /group1-shard1of1\.bin of @gradcam\/weights-nsfw-mobilenet-v2 has the SHA-256 [0-9a-f]{64}; the package declares 8e7d.*reinstall it \(npm install @gradcam\/weights-nsfw-mobilenet-v2\)/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a truncated shard, a longer one, a missing one and a folder in its place are refused', async () => {
    const truncated = await copy('truncated', async (folder) => {
      const bytes = await readFile(join(folder, shard.path));
      await writeFile(join(folder, shard.path), bytes.subarray(0, bytes.length - 1));
    });
    await expect(loadBundledModel('nsfw_mobilenet_v2', { weightsPackage: truncated })).rejects.toThrow(
      new RegExp(`has ${shard.bytes - 1} bytes; the package declares ${shard.bytes}`),
    );
    const longer = await copy('longer', async (folder) => {
      await writeFile(join(folder, shard.path), new Uint8Array(1), { flag: 'a' });
    });
    await expect(loadBundledModel('nsfw_mobilenet_v2', { weightsPackage: longer })).rejects.toThrow(
      new RegExp(`it is ${shard.bytes + 1} bytes, more than the ${shard.bytes} bytes the package declares`),
    );
    const missing = await copy('missing', (folder) => rm(join(folder, shard.path)));
    const loading = loadBundledModel('nsfw_mobilenet_v2', { weightsPackage: missing });
    await expect(loading).rejects.toThrow(ModelLoadError);
    await expect(loading).rejects.toThrow(/group1-shard1of1\.bin.*no such file\. The package is damaged or incomplete: reinstall it/);
    const folderInstead = await copy('folder', async (folder) => {
      await rm(join(folder, shard.path));
      await mkdir(join(folder, shard.path));
    });
    await expect(loadBundledModel('nsfw_mobilenet_v2', { weightsPackage: folderInstead })).rejects.toThrow(/it is a directory, not a regular file/);
  });

  it('a model.json whose manifest names other shards, or the package of another model, is refused', async () => {
    const renamed = await copy('renamed', async (folder) => {
      const json = JSON.parse(await readFile(join(folder, 'model.json'), 'utf8'));
      json.weightsManifest[0].paths = ['../../elsewhere.bin'];
      await writeFile(join(folder, 'model.json'), JSON.stringify(json));
    });
    const bytes = (await readFile(fileURLToPath(renamed.modelJson.url))).byteLength;
    const sha256 = (await import('node:crypto'))
      .createHash('sha256')
      .update(await readFile(fileURLToPath(renamed.modelJson.url)))
      .digest('hex');
    const consistent = { ...renamed, modelJson: { ...renamed.modelJson, bytes, sha256 } };
    await expect(bundledModelFiles('nsfw_mobilenet_v2', { weightsPackage: consistent })).rejects.toThrow(
      /its manifest names \[\.\.\/\.\.\/elsewhere\.bin\], the package has \[group1-shard1of1\.bin\]/,
    );
    const other = { ...original, modelId: 'nsfw_inception_v3' };
    await expect(loadBundledModel('nsfw_mobilenet_v2', { weightsPackage: other })).rejects.toThrow(/holds the weights of 'nsfw_inception_v3'/);
    const broken = { ...original, weightFiles: [{ path: 'x.bin', url: 'file:///x.bin', bytes: -1, sha256: 'no' }] };
    await expect(loadBundledModel('nsfw_mobilenet_v2', { weightsPackage: broken })).rejects.toThrow(/must be \{ path, url, bytes, sha256 \}/);
    await expect(loadBundledModel('nsfw_mobilenet_v2', { weightsPackage: original, maxBytes: 1000 })).rejects.toThrow(/more than maxBytes \(1000\)/);
  });

  it('over HTTP (how a browser reads the asset URLs a bundler made) the same checks apply', async () => {
    const over = (folder: string): WeightsPackage => {
      const at = (f: WeightsPackageFile) => ({ ...f, url: `${server.origin}/${folder}/${f.path}` });
      return { ...original, modelJson: at(original.modelJson), weightFiles: original.weightFiles.map(at) };
    };
    const good = await bundledModelFiles('nsfw_mobilenet_v2', { weightsPackage: over('good') });
    expect(good.shards[0].byteLength).toBe(shard.bytes);
    await expect(loadBundledModel('nsfw_mobilenet_v2', { weightsPackage: over('corrupt') })).rejects.toThrow(
      /has the SHA-256 [0-9a-f]{64}; the package declares/,
    );
    await expect(loadBundledModel('nsfw_mobilenet_v2', { weightsPackage: over('absent') })).rejects.toThrow(/model\.json of .*HTTP 404/);
  });
});
