import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelLoadError } from '@gradcam/core';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildMobileNetV2,
  defaultCacheDir,
  fetchWeightFile,
  isImagenetWeightsCached,
  isWeightFileCached,
  loadImagenetModel,
  nasNet,
  WeightsIntegrityError,
  writeKerasH5,
} from './index.js';

const fixture = (name: string) => fileURLToPath(new URL(`./__fixtures__/imagenet/${name}`, import.meta.url));
const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');

let server: Server;
let base: string;
let cacheDir: string;
const served = new Map<string, Uint8Array>();
const requests: string[] = [];

describe('weight download and cache against a local HTTP server on 127.0.0.1', () => {
  let good: Uint8Array;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    good = new Uint8Array(await readFile(fixture('nasnet_small.h5')));
    const corrupt = good.slice();
    corrupt[corrupt.length >> 1] ^= 0xff;
    served.set('/files/nasnet_small.h5', good);
    served.set('/files/corrupt/nasnet_small.h5', corrupt);
    served.set('/files/page.h5', new TextEncoder().encode('<html>not found</html>'));
    server = createServer((req, res) => {
      requests.push(req.url ?? '');
      const body = served.get(req.url ?? '');
      if (!body) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from(body));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cacheDir = await mkdtemp(join(tmpdir(), 'gradcam-cache-test-'));
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(cacheDir, { recursive: true, force: true });
  });

  const spec = () => ({ fileName: 'nasnet_small.h5', url: 'https://official.invalid/keras/nasnet_small.h5', md5: md5(good) });

  it('downloads and verifies once, then serves the cache', async () => {
    requests.length = 0;
    expect(await isWeightFileCached(spec(), { cacheDir })).toBe(false);
    const first = await fetchWeightFile(spec(), { cacheDir, baseUrl: `${base}/files/` });
    expect(first.fromCache).toBe(false);
    expect(first.location).toBe(join(cacheDir, 'nasnet_small.h5'));
    expect(md5(first.bytes)).toBe(md5(good));
    expect(requests).toEqual(['/files/nasnet_small.h5']);
    const second = await fetchWeightFile(spec(), { cacheDir, baseUrl: `${base}/files/` });
    expect(second.fromCache).toBe(true);
    expect(md5(second.bytes)).toBe(md5(good));
    expect(requests).toHaveLength(1);
    expect(await isWeightFileCached(spec(), { cacheDir })).toBe(true);
    expect(await readdir(cacheDir)).toEqual(['nasnet_small.h5']);
  });

  it('refuses a corrupted download with WeightsIntegrityError and caches nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradcam-cache-test-'));
    const error = await fetchWeightFile(spec(), { cacheDir: dir, baseUrl: `${base}/files/corrupt` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsIntegrityError);
    expect(ModelLoadError.isInstance(error) && (error as ModelLoadError).code).toBe('MODEL_LOAD');
    expect((error as WeightsIntegrityError).url).toBe(`${base}/files/corrupt/nasnet_small.h5`);
    expect((error as Error).message).toMatch(/its md5 is [0-9a-f]{32}, Keras publishes [0-9a-f]{32}/);
    expect(await readdir(dir)).toEqual([]);
    // Without a published hash, a file that is not HDF5 (an HTML error page) is refused too.
    const page = await fetchWeightFile({ fileName: 'page.h5', url: 'https://official.invalid/page.h5' }, { cacheDir: dir, baseUrl: `${base}/files` }).catch(
      (e: unknown) => e,
    );
    expect(page).toBeInstanceOf(WeightsIntegrityError);
    expect((page as Error).message).toMatch(/not an HDF5 file/);
    expect(await readdir(dir)).toEqual([]);
    await rm(dir, { recursive: true });
  });

  it('replaces a cached file that no longer verifies', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradcam-cache-test-'));
    await writeFile(join(dir, 'nasnet_small.h5'), 'truncated');
    const file = await fetchWeightFile(spec(), { cacheDir: dir, baseUrl: `${base}/files` });
    expect(file.fromCache).toBe(false);
    expect(md5(new Uint8Array(await readFile(join(dir, 'nasnet_small.h5'))))).toBe(md5(good));
    await rm(dir, { recursive: true });
  });

  it('offline or HTTP errors: a ModelLoadError that names the URL and how to pass a local file', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const empty = await mkdtemp(join(tmpdir(), 'gradcam-cache-test-'));
    const offline = await fetchWeightFile(spec(), { cacheDir: empty, baseUrl: `http://127.0.0.1:${port}/x`, fetch: globalThis.fetch }).catch((e: unknown) => e);
    expect(ModelLoadError.isInstance(offline)).toBe(true);
    expect((offline as Error).message).toContain(`Could not download the weight file http://127.0.0.1:${port}/x/nasnet_small.h5`);
    expect((offline as Error).message).toContain("{ weights: '/path/to/nasnet_small.h5' }");
    const missing = await fetchWeightFile({ ...spec(), fileName: 'other.h5', url: 'https://official.invalid/other.h5' }, { cacheDir, baseUrl: base }).catch(
      (e: unknown) => e,
    );
    expect((missing as Error).message).toContain(`${base}/other.h5 failed with HTTP 404`);
    expect(await readdir(empty)).toEqual([]);
    await rm(empty, { recursive: true });
  });

  it('a builder takes a .h5 URL like a path: downloaded into the cache, same weights', async () => {
    const args = { inputShape: [96, 96, 3] as [number, number, number], penultimateFilters: 96, numBlocks: 1, stemBlockFilters: 8, classes: 10 };
    const dir = await mkdtemp(join(tmpdir(), 'gradcam-cache-test-'));
    const fromUrl = await nasNet({ ...args, weights: `${base}/files/nasnet_small.h5`, cacheDir: dir });
    const fromPath = await nasNet({ ...args, weights: fixture('nasnet_small.h5') });
    expect(await readdir(dir)).toEqual(['nasnet_small.h5']);
    const x = tf.randomUniform([1, 96, 96, 3], -1, 1, 'float32', 7);
    const [a, b] = [fromUrl.predict(x) as tf.Tensor, fromPath.predict(x) as tf.Tensor];
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    tf.dispose([x, a, b]);
    fromUrl.dispose();
    fromPath.dispose();
    await rm(dir, { recursive: true });
  });

  it("loadImagenetModel('mobilenet_v2') fetches the official file name through the cache and sets every layer", async () => {
    const reference = buildMobileNetV2();
    served.set('/mirror/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5', await writeKerasH5(reference));
    const dir = await mkdtemp(join(tmpdir(), 'gradcam-cache-test-'));
    expect(await isImagenetWeightsCached('mobilenet_v2', { cacheDir: dir })).toBe(false);
    const before = tf.memory().numTensors;
    const model = await loadImagenetModel('mobilenet_v2', { cacheDir: dir, baseUrl: `${base}/mirror` });
    expect(await isImagenetWeightsCached('mobilenet_v2', { cacheDir: dir })).toBe(true);
    expect(model.name).toBe('mobilenetv2_1.00_224');
    for (const name of ['Conv1', 'bn_Conv1', 'block_16_project', 'predictions']) {
      const ours = model.getLayer(name).getWeights();
      const theirs = reference.getLayer(name).getWeights();
      for (const [i, w] of ours.entries()) expect(tf.tidy(() => tf.max(tf.abs(tf.sub(w, theirs[i]))).dataSync()[0])).toBe(0);
    }
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
    reference.dispose();
    await rm(dir, { recursive: true });
  }, 120_000);
});

describe('defaultCacheDir', () => {
  it('GRADCAM_CACHE first, then the platform cache folder', () => {
    expect(defaultCacheDir({ GRADCAM_CACHE: '/c' }, 'linux', '/home/u')).toBe('/c');
    expect(defaultCacheDir({}, 'linux', '/home/u')).toBe('/home/u/.cache/gradcam');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x' }, 'linux', '/home/u')).toBe('/x/gradcam');
    expect(defaultCacheDir({}, 'darwin', '/Users/u')).toBe('/Users/u/Library/Caches/gradcam');
    expect(defaultCacheDir({ LOCALAPPDATA: 'C:\\Users\\u\\AppData\\Local' }, 'win32', 'C:\\Users\\u')).toBe('C:\\Users\\u\\AppData\\Local\\gradcam');
  });
});
