// The rules of reading a tfjs model from a path or a URL (readModelArtifacts, through loadModel):
// weight files stay in the model's folder or on its origin, only regular files, sizes bounded
// and checked, HTTP bounded in time, every file fetched once. Each refusal is a ModelLoadError
// that names the file and the rule. Real files, FIFOs and local HTTP servers.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentServer, staticServer, type TestServer } from '@gradcam/io/testing';
import { bundledModelFiles } from '@gradcam/models';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GradcamError, loadModel, ModelLoadError, setBackend } from './index.js';
import { readModelArtifacts } from './model-files.js';

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
}

/** Expects a ModelLoadError matching `message`, with no tensors left behind. */
async function refused(load: Promise<unknown>, message: RegExp): Promise<string> {
  const before = tf.memory().numTensors;
  const error = await load.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the load must be refused').toBeInstanceOf(ModelLoadError);
  expect(GradcamError.isInstance(error) && error.code).toBe('MODEL_LOAD');
  expect((error as Error).message).toMatch(message);
  expect(tf.memory().numTensors).toBe(before);
  return (error as Error).message;
}

describe('reading a tfjs model from files and URLs', () => {
  let dir: string;
  let layers: { json: ModelJson; shards: readonly Uint8Array[] };
  let graph: { json: ModelJson; shards: readonly Uint8Array[] };
  let n = 0;
  const files = new Map<string, Uint8Array | string>();
  let server: TestServer;

  /** Writes `json` as model.json into a new folder, the shards under the manifest's names; returns the model.json path. */
  async function writeModel(json: ModelJson, shards: readonly Uint8Array[] = layers.shards): Promise<string> {
    const folder = join(dir, `m${n++}`);
    await mkdir(folder);
    await writeFile(join(folder, 'model.json'), JSON.stringify(json));
    const paths = json.weightsManifest.flatMap((g) => g.paths);
    for (const [i, shard] of shards.entries())
      if (paths[i] && !paths[i].includes('/') && !paths[i].includes('\\')) await writeFile(join(folder, paths[i]), shard);
    return join(folder, 'model.json');
  }
  /** Serves `json` and shards under /<name>/; returns the model.json URL. */
  function serveModel(name: string, json: ModelJson, shards: readonly Uint8Array[]): string {
    files.set(`/${name}/model.json`, JSON.stringify(json));
    for (const [i, p] of json.weightsManifest.flatMap((g) => g.paths).entries()) files.set(new URL(p, `http://x/${name}/`).pathname, shards[i]);
    return `${server.origin}/${name}/model.json`;
  }
  const withPaths = (json: ModelJson, paths: string[]): ModelJson => ({ ...json, weightsManifest: [{ ...json.weightsManifest[0], paths }] });

  beforeAll(async () => {
    await setBackend('wasm');
    dir = await mkdtemp(join(tmpdir(), 'gradcam-model-files-'));
    const asJson = async (id: string) => {
      const f = await bundledModelFiles(id);
      return { json: f.modelJson as ModelJson, shards: f.shards };
    };
    layers = await asJson('nsfw_mobilenet_v2');
    graph = await asJson('nsfw_mobilenet_v2_mid');
    // One shard for the layers model, so path games below swap a single file.
    const all = new Uint8Array(Buffer.concat(layers.shards));
    layers = {
      json: { ...layers.json, weightsManifest: [{ paths: ['weights.bin'], weights: layers.json.weightsManifest.flatMap((g) => g.weights) }] },
      shards: [all],
    };
    server = await staticServer(files);
  }, 60_000);
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('a layers model and a graph model load from their folders and from URLs, each file fetched once', async () => {
    const before = tf.memory().numTensors;
    for (const { json, shards, name } of [
      { ...layers, name: 'layers' },
      { ...graph, name: 'graph' },
    ]) {
      for (const source of [await writeModel(json, shards), serveModel(name, json, shards)]) {
        server.requests.length = 0;
        const loaded = await loadModel(source);
        expect(loaded.labels.length).toBe(5);
        expect(loaded.model.constructor.name).toBe(name === 'graph' ? 'GraphModel' : 'LayersModel');
        if (source.startsWith('http'))
          expect([...server.requests].sort()).toEqual([`GET /${name}/model.json`, ...json.weightsManifest[0].paths.map((p) => `GET /${name}/${p}`)].sort());
        loaded.model.dispose();
      }
    }
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it("refuses weight paths that leave the model's folder: absolute, '..', a symbolic link out of it", async () => {
    const secret = join(dir, 'secret');
    await mkdir(secret);
    await writeFile(join(secret, 'private.bin'), layers.shards[0]); // the right size: it would load
    for (const path of ['/etc/passwd', '../../../../etc/passwd', '../secret/private.bin', '/dev/zero']) {
      const message = await refused(
        loadModel(await writeModel(withPaths(layers.json, [path]))),
        /Refused the weight file '.*': (absolute paths are not allowed|it leads outside the folder of '.*model\.json')/,
      );
      expect(message, 'the refused file is not read, so its size is not told').not.toMatch(/\d+ bytes/);
    }
    const linked = await writeModel(withPaths(layers.json, ['link.bin']), []);
    await symlink(join(secret, 'private.bin'), join(linked, '..', 'link.bin'));
    await refused(
      loadModel(linked),
      /Refused the weight file 'link\.bin': it is a symbolic link to '.*secret\/private\.bin', outside the folder of '.*model\.json'/,
    );
    const zero = await writeModel(withPaths(layers.json, ['zero.bin']), []);
    await symlink('/dev/zero', join(zero, '..', 'zero.bin'));
    await refused(loadModel(zero), /it is a symbolic link to '\/dev\/zero', outside the folder/);
  });

  it('reads only regular files: a FIFO inside the folder is refused at once, not waited on', async () => {
    const path = await writeModel(withPaths(layers.json, ['pipe.bin']), []);
    execFileSync('mkfifo', [join(path, '..', 'pipe.bin')]);
    await refused(loadModel(path), /Cannot read the weight file '.*pipe\.bin': it is a FIFO \(named pipe\), not a regular file \(named by '.*model\.json'\)/);
    const json = join(dir, 'model-fifo.json');
    execFileSync('mkfifo', [json]);
    await refused(loadModel(json), /Cannot read the model file '.*model-fifo\.json': it is a FIFO/);
  });

  it('reads each weight file up to what its manifest declares, and checks the total', async () => {
    const longer = new Uint8Array(layers.shards[0].length + 1);
    longer.set(layers.shards[0]);
    await refused(loadModel(await writeModel(layers.json, [longer])), /weights\.bin'.*more than the \d+ bytes its manifest declares for the weights/);
    await refused(loadModel(await writeModel(layers.json, [layers.shards[0].subarray(1)])), /hold \d+ bytes, but its manifest describes \d+ bytes of weights/);
  });

  it('caps the whole model (maxBytes) from the manifest, before any weight file is read', async () => {
    const path = await writeModel(withPaths(layers.json, ['missing.bin']), []);
    await refused(loadModel(path, { maxBytes: 1_000_000 }), /declares \d+ bytes of weights, more than the limit of \d+ bytes left by maxBytes \(1000000\)/);
    const huge = { ...layers.json, weightsManifest: [{ paths: ['w.bin'], weights: [{ name: 'w', shape: [1 << 20, 1 << 20], dtype: 'float32' as const }] }] };
    await refused(loadModel(await writeModel(huge, [])), /declares 4398046511104 bytes of weights, more than the limit/);
    await refused(
      loadModel(await writeModel(layers.json), { maxBytes: 100 }),
      /Cannot read the model file '.*': it is \d+ bytes, more than the limit of 100 bytes/,
    );
  });

  it('URLs: weight files on another origin are refused unless allowed', async () => {
    const elsewhere = await staticServer(new Map([['/w.bin', layers.shards[0]]]));
    try {
      const url = serveModel('cross', withPaths(layers.json, [`${elsewhere.origin}/w.bin`]), []);
      await refused(loadModel(url), new RegExp(`it is on ${elsewhere.origin}, not on ${server.origin} where the model is`));
      expect(elsewhere.requests).toEqual([]);
      const loaded = await loadModel(url, { allowedOrigins: [elsewhere.origin] });
      loaded.model.dispose();
      expect(elsewhere.requests).toEqual(['GET /w.bin']);
      await refused(loadModel(serveModel('file-url', withPaths(layers.json, ['file:///etc/passwd']), [])), /only http\(s\) URLs are read/);
    } finally {
      await elsewhere.close();
    }
  });

  it('URLs: a server that accepts and never answers fails after the timeout, naming it', async () => {
    const silent = await silentServer();
    try {
      await refused(
        loadModel(`${silent.origin}/model.json`, { timeoutMs: 300 }),
        /Cannot read the model file 'http:\/\/127\.0\.0\.1:\d+\/model\.json': nothing arrived for 0\.3 s/,
      );
      await refused(readModelArtifacts(`${silent.origin}/model.json`, { timeoutMs: 60_000, deadlineMs: 300 }), /did not finish within the deadline/);
    } finally {
      await silent.close();
    }
  });

  it('a loaded model reads the same weights from a file and a URL', async () => {
    const [a, b] = await Promise.all([readModelArtifacts(await writeModel(layers.json)), readModelArtifacts(serveModel('same', layers.json, layers.shards))]);
    expect(Buffer.from(a.weightData as ArrayBuffer).equals(Buffer.from(b.weightData as ArrayBuffer))).toBe(true);
    expect(Buffer.from(a.weightData as ArrayBuffer).equals(Buffer.from(layers.shards[0]))).toBe(true);
    const model = (await loadModel(await writeModel(layers.json))).model as tfl.LayersModel;
    model.dispose();
  });
});
