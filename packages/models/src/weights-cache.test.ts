import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelLoadError } from '@gradcam/core';
import { silentServer } from '@gradcam/io/testing';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  buildMobileNetV2,
  cacheFileNameOf,
  defaultCacheDir,
  fetchParsedWeightFile,
  fetchWeightFile,
  isImagenetWeightsCached,
  isWeightFileCached,
  loadImagenetModel,
  nasNet,
  readKerasH5,
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
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
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

  it('sets a cached file that no longer verifies aside, says why, and downloads it again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradcam-cache-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'nasnet_small.h5');
    await writeFile(path, 'truncated');
    const notices: string[] = [];
    const file = await fetchWeightFile(spec(), { cacheDir: dir, baseUrl: `${base}/files`, onNotice: (m) => notices.push(m) });
    expect(file.fromCache).toBe(false);
    expect(md5(new Uint8Array(await readFile(path)))).toBe(md5(good));
    // The refused copy is kept, and the notice names the rule it broke, its size and what to do.
    expect(await readFile(`${path}.rejected`, 'utf8')).toBe('truncated');
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(
      /The cached weight file .*nasnet_small\.h5 was refused — it is not an HDF5 file \(9 bytes without the HDF5 signature\) \(9 bytes\) — and moved to .*nasnet_small\.h5\.rejected; downloading .* again\. Delete .*\.rejected/,
    );
    // A cached copy with the signature but the wrong hash: the notice gives both hashes.
    const damaged = good.slice();
    damaged[100] ^= 1;
    await writeFile(path, damaged);
    await fetchWeightFile(spec(), { cacheDir: dir, baseUrl: `${base}/files`, onNotice: (m) => notices.push(m) });
    expect(notices[1]).toMatch(/its md5 is [0-9a-f]{32}, Keras publishes [0-9a-f]{32} \(\d+ bytes\)/);
    expect(md5(new Uint8Array(await readFile(`${path}.rejected`)))).toBe(md5(damaged));
    await rm(dir, { recursive: true });
  });

  it('a cached file that is not a regular file (a FIFO) is set aside, not waited on; a failed new download says so too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradcam-cache-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    execFileSync('mkfifo', [join(dir, 'nasnet_small.h5')]);
    const notices: string[] = [];
    const error = await fetchWeightFile(spec(), { cacheDir: dir, baseUrl: `${base}/nowhere`, onNotice: (m) => notices.push(m) }).catch((e: unknown) => e);
    expect(notices[0]).toMatch(/was refused — it is a FIFO \(named pipe\), not a regular file — and moved to/);
    expect((error as Error).message).toMatch(/HTTP 404 Not Found\..*\(The cached weight file .* was refused — it is a FIFO/);
    expect((await readdir(dir)).sort()).toEqual(['nasnet_small.h5.rejected']);
    await rm(dir, { recursive: true });
  });

  it('a parse check: a cached file that has the signature but is not readable HDF5 is set aside when the parser refuses it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradcam-cache-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const path = join(dir, 'nasnet_small.h5');
    await writeFile(path, good.subarray(0, good.length >> 1));
    const notices: string[] = [];
    const noHash = { fileName: 'nasnet_small.h5', url: 'https://official.invalid/keras/nasnet_small.h5' };
    const { file, value } = await fetchParsedWeightFile(noHash, { cacheDir: dir, baseUrl: `${base}/files`, onNotice: (m) => notices.push(m) }, readKerasH5);
    expect(file.fromCache).toBe(false);
    expect(value.layerNames.length).toBeGreaterThan(0);
    expect(notices[0]).toMatch(/was refused — Cannot read the HDF5 file .* — and moved to/);
    await rm(dir, { recursive: true });
  });

  it('a download bounded in size and time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'gradcam-cache-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    const big = await fetchWeightFile(spec(), { cacheDir: dir, baseUrl: `${base}/files`, maxBytes: 1000 }).catch((e: unknown) => e);
    expect((big as Error).message).toMatch(/it is larger than the limit of 1000 bytes/);
    const silent = await silentServer();
    const slow = await fetchWeightFile(spec(), { cacheDir: dir, baseUrl: silent.origin, timeoutMs: 200 }).catch((e: unknown) => e);
    await silent.close();
    expect(ModelLoadError.isInstance(slow)).toBe(true);
    expect((slow as Error).message).toMatch(/nothing arrived for 0\.2 s while waiting for the server \(timeout\)/);
    expect(await readdir(dir)).toEqual([]);
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
    expect((offline as Error).message).toContain(
      `Could not download the weight file 'http://127.0.0.1:${port}/x/nasnet_small.h5': the request failed (ECONNREFUSED).`,
    );
    expect((offline as Error).message).toContain("{ weights: '/path/to/nasnet_small.h5' }");
    const missing = await fetchWeightFile({ ...spec(), fileName: 'other.h5', url: 'https://official.invalid/other.h5' }, { cacheDir, baseUrl: base }).catch(
      (e: unknown) => e,
    );
    expect((missing as Error).message).toContain(`'${base}/other.h5': HTTP 404`);
    expect(await readdir(empty)).toEqual([]);
    await rm(empty, { recursive: true });
  });

  it('a builder takes a .h5 URL like a path: downloaded into the cache, same weights', async () => {
    const args = { inputShape: [96, 96, 3] as [number, number, number], penultimateFilters: 96, numBlocks: 1, stemBlockFilters: 8, classes: 10 };
    const dir = await mkdtemp(join(tmpdir(), 'gradcam-cache-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
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
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
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

describe('cache file names from URLs', () => {
  it('never leave the cache folder: separators and dot names are made harmless', async () => {
    expect(cacheFileNameOf('https://host/keras/NASNet-mobile.h5')).toBe('NASNet-mobile.h5');
    expect(cacheFileNameOf('https://host/w/..%2F..%2Fetc%2Fcron.d%2Fevil')).toBe('.._.._etc_cron.d_evil');
    expect(cacheFileNameOf('https://host/w/%2e%2e')).toBe('weights.h5');
    expect(cacheFileNameOf('https://host/w/a%5Cb%00.h5')).toBe('a_b_.h5');
    expect(cacheFileNameOf('https://host/')).toBe('weights.h5');
    expect(cacheFileNameOf('https://host/w/%E0%A4%A.h5')).toBe('_E0_A4_A.h5'); // malformed escapes stay as they are
    const dir = await mkdtemp(join(tmpdir(), 'gradcam-cache-test-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    for (const fileName of ['../escape.h5', '..', 'a/b.h5', 'a\\b.h5', '']) {
      const error = await fetchWeightFile({ fileName, url: 'https://official.invalid/x.h5' }, { cacheDir: dir }).catch((e: unknown) => e);
      expect((error as Error).message, fileName).toMatch(/is not a plain file name/);
    }
    await rm(dir, { recursive: true });
  });
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
