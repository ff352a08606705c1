import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMobileNetV2, buildNASNet, NASNET_MOBILE, writeKerasH5 } from '@gradcam/models';
import * as tf from '@tensorflow/tfjs-core';
import { decodeImage, imagenetModelInfo, type RgbaImage } from 'gradcam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The built script (turbo builds before testing). */
const SCRIPT = fileURLToPath(new URL('../dist/tutorial.js', import.meta.url));
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/tutorial.js …args` on the wasm backend, with no ImageNet weights unless `env` gives some. */
function runTutorial(args: readonly string[], env: Record<string, string> = {}): Promise<Result> {
  if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: build first (npx -y pnpm@10 --filter @gradcam/example-tutorial build).`);
  const { GRADCAM_TUTORIAL_WEIGHTS_DIR: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, [SCRIPT, ...args], {
    env: { ...inherited, TF_CPP_MIN_LOG_LEVEL: '2', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Mean absolute difference of two same-size images over R, G, B (0 … 255). */
function meanDifference(a: RgbaImage, b: RgbaImage): number {
  expect([a.width, a.height]).toEqual([b.width, b.height]);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) if (i % 4 !== 3) sum += Math.abs(a.data[i] - b.data[i]);
  return sum / (a.width * a.height * 3);
}

async function readPng(dir: string, name: string): Promise<RgbaImage> {
  const bytes = new Uint8Array(await readFile(join(dir, name)));
  expect([...bytes.subarray(0, 8)], name).toEqual(PNG_SIGNATURE);
  return decodeImage(bytes);
}

/** The `src` of every <img> in the report, in order. */
function imageSources(html: string): string[] {
  return [...html.matchAll(/<img src="([^"]+)"/g)].map((m) => decodeURI(m[1]));
}

const STEP_TITLES = [
  'Load a classifier',
  'Load an image',
  'Image to array',
  'Predict and decode',
  'show_prediction',
  'Choose the target',
  'Choose the layer',
  'Under the hood',
  'heatmap_to_image',
  'format_as_image',
  'Remove softmax',
  'Compare models',
];

const TARGET_FILES = ['06-target-2-Neutral.png', '06-target-3-Porn.png', '06-target-0-Drawing.png', '06-target-1-Hentai.png'];
const LAYER_FILES = ['07-layer-block_2_expand.png', '07-layer-block_9_expand.png', '07-layer-Conv_1.png', '07-layer-index-117.png', '07-layer-auto.png'];
const BUNDLED_FILES = [
  '02-load-img.png',
  '03-array-to-img.png',
  '05-show-prediction.png',
  ...TARGET_FILES,
  ...LAYER_FILES,
  '09-heatmap-to-image.png',
  '09-expand-heatmap-box.png',
  '10-format-default.png',
  '10-format-alpha1-cividis.png',
  '10-format-lanczos.png',
  '10-format-box.png',
  '11-softmax.png',
  '11-logits.png',
  '12-model-nsfw_mobilenet_v2.png',
  '12-model-nsfw_inception_v3.png',
];

describe('the tutorial on the bundled models (offline)', () => {
  let dir: string;
  let result: Result;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradcam-tutorial-'));
    // What an earlier run (and the user) left there.
    await writeFile(join(dir, '99-stale.png'), 'old');
    await writeFile(join(dir, 'notes.txt'), 'keep me');
    result = await runTutorial(['--backend', 'wasm', '--out', dir], { GRADCAM_CACHE: join(dir, '.empty-cache') });
  }, 90_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exits 0, prints the twelve step headings in order and says once why it uses the bundled models', () => {
    expect(result.code, result.stderr).toBe(0);
    const headings = [...result.stdout.matchAll(/^== Step (\d+): (.*) ==$/gm)];
    expect(headings.map((m) => Number(m[1]))).toEqual(STEP_TITLES.map((_, i) => i + 1));
    headings.forEach((m, i) => {
      expect(m[2]).toContain(STEP_TITLES[i]);
    });
    expect(result.stdout.match(/using the bundled offline models/g)).toHaveLength(1);
    expect(result.stdout).toContain('model.input_shape: (null, 224, 224, 3)');
    expect(result.stdout).toContain('model.predict(doc).shape: (1, 5)');
    expect(result.stdout).toMatch(/top indices: \[\d \d \d \d \d\]/);
    expect(result.stdout).toMatch(/estimator: 'model_1'\n\s+method: +'Grad-CAM'/);
    expect(result.stdout).toMatch(/0 +input_1 +InputLayer +\(null, 224, 224, 3\) +0/);
    expect(result.stdout).toMatch(/161 +dense_3 +Dense +\(null, 5\) +645/);
  });

  it("step 12: the second model explains its own top class, as the tutorial's comparison does", () => {
    const own = /nsfw_inception_v3 \([^)]*\): input .*?; top: (\w+) /.exec(result.stdout);
    const explained = /^ {2}nsfw_inception_v3: layer \S+ \(\d+×\d+\), target \d+ \((\w+)\) /m.exec(result.stdout);
    expect(own?.[1]).toBeDefined();
    expect(explained?.[1]).toBe(own?.[1]);
  });

  it('writes every step image as a valid PNG of the expected size, and nothing else', async () => {
    const pngs = (await readdir(dir)).filter((n) => n.endsWith('.png')).sort();
    expect(pngs).toEqual([...BUNDLED_FILES].sort());
    for (const name of BUNDLED_FILES) {
      const image = await readPng(dir, name);
      const size = name === '09-heatmap-to-image.png' ? 7 : name.includes('inception') ? 299 : 224;
      expect([image.width, image.height], name).toEqual([size, size]);
    }
  });

  it("replaces the previous run's step files and keeps the folder's other files", async () => {
    expect(existsSync(join(dir, '99-stale.png'))).toBe(false);
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('keep me');
    expect((await readdir(dir)).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('draws a different map for each target (step 6), and for logits vs softmax (step 11)', async () => {
    const images = await Promise.all(TARGET_FILES.map((n) => readPng(dir, n)));
    for (let i = 0; i < images.length; i++) {
      for (let j = i + 1; j < images.length; j++) expect(meanDifference(images[i], images[j]), `${TARGET_FILES[i]} vs ${TARGET_FILES[j]}`).toBeGreaterThan(2);
    }
    expect(meanDifference(await readPng(dir, '11-softmax.png'), await readPng(dir, '11-logits.png'))).toBeGreaterThan(2);
  });

  it('draws a different map for each layer (step 7)', async () => {
    const images = await Promise.all(LAYER_FILES.map((n) => readPng(dir, n)));
    for (let i = 0; i < images.length; i++) {
      for (let j = i + 1; j < images.length; j++) expect(meanDifference(images[i], images[j]), `${LAYER_FILES[i]} vs ${LAYER_FILES[j]}`).toBeGreaterThan(2);
    }
  });

  it('report.html shows every image written, in step order, each with a caption, and one section per step', async () => {
    const html = await readFile(join(dir, 'report.html'), 'utf8');
    const sources = imageSources(html);
    expect(sources).toEqual(BUNDLED_FILES);
    for (const src of sources) expect(existsSync(join(dir, src)), src).toBe(true);
    expect([...html.matchAll(/<section id="step-(\d+)">/g)].map((m) => Number(m[1]))).toEqual(STEP_TITLES.map((_, i) => i + 1));
    const figures = [...html.matchAll(/<figure>.*?<figcaption>(.*?)<br>/g)];
    expect(figures).toHaveLength(BUNDLED_FILES.length);
    for (const f of figures) expect(f[1].length).toBeGreaterThan(20);
  });
});

describe('the tutorial with ImageNet weights given by path', () => {
  let dir: string;
  let result: Result;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradcam-tutorial-imagenet-'));
    // Weight files in the official layout, with random weights: the real ones cannot be downloaded here.
    const weights = join(dir, 'weights');
    await mkdir(weights);
    await tf.setBackend('cpu');
    for (const [id, model] of [
      ['mobilenet_v2', buildMobileNetV2()],
      ['nasnet_mobile', buildNASNet({ ...NASNET_MOBILE })],
    ] as const) {
      await writeFile(join(weights, imagenetModelInfo(id)?.weights.fileName as string), await writeKerasH5(model));
      model.dispose();
    }
    result = await runTutorial(['--backend', 'wasm', '--out', join(dir, 'out')], { GRADCAM_TUTORIAL_WEIGHTS_DIR: weights, GRADCAM_CACHE: join(dir, 'cache') });
  }, 90_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("follows the tutorial's models and targets: mobilenet_v2, targets 243/282/904/35, nasnet_mobile in step 12", async () => {
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).not.toContain('using the bundled offline models');
    expect(result.stdout).toContain("model: mobilenet_v2 (estimator name 'mobilenetv2_1.00_224'), 1000 classes");
    expect(result.stdout).toContain('model.predict(doc).shape: (1, 1000)');
    expect(result.stdout).toContain('targets: [243, 282, 904, 35]');
    expect(result.stdout).toContain('target 243 (bull_mastiff, n02108422)');
    expect(result.stdout).toMatch(/155 +predictions +Dense +\(null, 1000\) +1,281,000/);
    expect(result.stdout).toContain('nasnet_mobile: layer activation_187 (7×7)');
    const out = join(dir, 'out');
    const sources = imageSources(await readFile(join(out, 'report.html'), 'utf8'));
    expect(sources).toContain('06-target-243-bull_mastiff.png');
    expect(sources).toContain('12-model-nasnet_mobile.png');
    expect(sources.sort()).toEqual((await readdir(out)).filter((n) => n.endsWith('.png')).sort());
  });
});

describe('the command line', () => {
  it('--help prints the usage and exits 0; an unknown option exits 2', async () => {
    const help = await runTutorial(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--weights-mobilenet PATH');
    const bad = await runTutorial(['--no-such-option']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--no-such-option'");
  });

  it('a weights folder without the official files fails, naming the missing file', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'gradcam-tutorial-noweights-'));
    try {
      const result = await runTutorial(['--backend', 'cpu', '--out', join(empty, 'out')], { GRADCAM_TUTORIAL_WEIGHTS_DIR: empty });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
