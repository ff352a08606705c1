// Decoder fuzzing through the built binary: 200 damaged PNG/JPEG files in one `gradcam explain`
// run. Each file is explained or reported on one typed error line; the run ends with exit code
// 1 — no crash, no hang. A toy 24×24 model keeps the explanations of the files that still decode
// cheap. On the tensorflow backend JPEGs go through libjpeg-turbo in tfjs-node, a second decoder.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type MutatedImage, mutateImages } from '@gradcam/format/testing';
import { decodeImage } from 'gradcam';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBin } from './test-support.js';

const TOY_MODEL = fileURLToPath(new URL('../../models/src/__fixtures__/residual-toy/model.json', import.meta.url));
// A generous bound against hangs (the run takes seconds), not a speed target.
const RUN_LIMIT_MS = 150_000;

interface Report {
  images: { image: string }[];
  failures: { input: string; error: string; code: string | null }[];
}

describe('gradcam explain on 200 damaged image files (built binary)', () => {
  let dir: string;
  const corpus: MutatedImage[] = mutateImages(200, { seed: 42 });
  const path = (f: MutatedImage) => join(dir, 'in', f.name);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gradcam-cli-fuzz-'));
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'in'));
    await Promise.all(corpus.map((f) => writeFile(path(f), f.bytes)));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const backends = process.env.GRADCAM_SKIP_TFJS_NODE === '1' ? ['cpu'] : ['cpu', 'tensorflow'];
  for (const backend of backends) {
    it(`--backend ${backend}: exit code 1, one DECODE error line per bad file, every other file explained`, async () => {
      const json = join(dir, `${backend}.json`);
      const result = await startBin(['explain', join(dir, 'in'), '--model', TOY_MODEL, '--backend', backend, '--out', join(dir, backend), '--json', json], {
        timeoutMs: RUN_LIMIT_MS,
      });
      expect(result.signal, `the run ended by itself within ${RUN_LIMIT_MS} ms`).toBeNull();
      expect(result.code, result.stderr.slice(-2000)).toBe(1);
      const report: Report = JSON.parse(await readFile(json, 'utf8'));
      expect(report.images.length + report.failures.length).toBe(corpus.length);
      expect(report.failures.filter((f) => f.code !== 'DECODE')).toEqual([]);
      const errorLines = result.stderr.split('\n').filter((line) => line.startsWith(`gradcam: ${dir}`));
      expect(errorLines).toHaveLength(report.failures.length);
      for (const f of report.failures) expect(errorLines).toContain(`gradcam: ${f.input}: ${f.error}`);
      // Every line of ours is one of those or the summary; the rest (tfjs' banner suggesting
      // tfjs-node, the warnings libjpeg-turbo inside TensorFlow prints by itself) must not be a
      // stack trace, an uncaught error or a native abort.
      const ours = result.stderr.split('\n').filter((line) => line.startsWith('gradcam: '));
      expect(ours.filter((line) => !errorLines.includes(line) && !/^gradcam: \d+ of 200 input\(s\) failed/.test(line))).toEqual([]);
      expect(result.stderr).not.toMatch(/^\s+at |Error:|Uncaught|Abort|core dumped|FATAL|Check failed/m);
      if (backend === 'cpu') {
        // jpeg-js and pngjs, as in-process: the same files fail.
        const failing = corpus.filter((f) => {
          try {
            decodeImage(f.bytes);
            return false;
          } catch {
            return true;
          }
        });
        expect(report.failures.map((f) => f.input).sort()).toEqual(failing.map(path).sort());
      }
      expect(report.failures.length).toBeGreaterThan(corpus.length / 4);
      expect(report.images.length).toBeGreaterThan(0);
    }, 180_000);
  }
});
