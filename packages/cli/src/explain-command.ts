import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  type BackendName,
  decodeImage,
  type Explanation,
  encodePng,
  explainPrediction,
  formatAsImage,
  GradcamError,
  imgToArray,
  type LoadedModel,
  loadImg,
  loadModel,
  setBackend,
} from 'gradcam';
import type { CliIo } from './cli.js';

/** Version of the JSON report format; bumped on any incompatible change. */
export const JSON_SCHEMA_VERSION = 1;

/** Parsed options of `gradcam explain`. */
export interface ExplainCommandOptions {
  readonly model: string;
  readonly layer?: string;
  readonly target: readonly number[];
  readonly top?: number;
  readonly logits: boolean;
  readonly out: string;
  readonly json?: string;
  readonly backend: string;
}

/** One image's entry in the JSON report. */
export interface ImageReport {
  readonly image: string;
  readonly model: string;
  readonly layer: string;
  readonly method: string;
  readonly backend: string;
  readonly predictions: { target: number; label: string; score: number }[];
  readonly targets: { target: number; label: string | null; score: number; proba: number | null; heatmap: number[][]; output: string }[];
}

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg']);

async function expandInputs(inputs: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const input of inputs) {
    const info = await stat(input).catch(() => undefined);
    if (info?.isDirectory()) {
      const entries = (await readdir(input)).filter((name) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase())).sort();
      files.push(...entries.map((name) => join(input, name)));
    } else {
      files.push(input); // a missing file is reported when it is read
    }
  }
  return files;
}

/** Writes to a temporary name and renames, so an interrupted run leaves no half-written file. */
async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function heatmapRows(t: Explanation['targets'][number]): number[][] {
  const { width, height, data } = t.heatmap;
  return Array.from({ length: height }, (_, y) => Array.from(data.subarray(y * width, (y + 1) * width)));
}

async function explainFile(path: string, loaded: LoadedModel, options: ExplainCommandOptions): Promise<{ report: ImageReport; written: string[] }> {
  const bytes = new Uint8Array(await readFile(path));
  const [height, width] = loaded.inputShape.slice(1, 3) as [number, number];
  const original = decodeImage(bytes);
  const resized = await loadImg(original, { targetSize: [height, width] }); // decoded once
  const doc = tf.tidy(() => loaded.preprocessInput(tf.expandDims(imgToArray(resized), 0)));
  let expl: Explanation;
  try {
    const targets = options.top !== undefined ? { top: options.top } : options.target.length > 0 ? options.target : undefined;
    const layer = options.layer !== undefined && /^-?\d+$/.test(options.layer) ? Number(options.layer) : options.layer;
    // The overlay is drawn on the original image, at its own resolution.
    expl = await explainPrediction(loaded, doc, { targets, layer, logits: options.logits, image: original });
  } finally {
    doc.dispose();
  }
  const stem = basename(path, extname(path));
  const written: string[] = [];
  const targets: ImageReport['targets'] = [];
  for (const t of expl.targets) {
    const output = join(options.out, `${stem}-${t.target}.png`);
    await writeAtomically(output, encodePng(formatAsImage(expl, { target: t.target })));
    written.push(output);
    targets.push({ target: t.target, label: t.label ?? null, score: t.score, proba: t.proba ?? null, heatmap: heatmapRows(t), output });
  }
  const predictions = loaded.decodePredictions(expl.outputs, 5)[0].map((p) => ({ target: p.index, label: p.label, score: p.score }));
  return {
    report: { image: path, model: loaded.id, layer: expl.layer, method: expl.method, backend: expl.backend, predictions, targets },
    written,
  };
}

function describe(error: unknown): string {
  if (GradcamError.isInstance(error)) return error.message;
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return 'no such file';
  if (e?.code === 'EISDIR') return 'is a directory';
  if (e?.code === 'EACCES') return 'permission denied';
  return e?.message ?? String(error);
}

/** Runs `gradcam explain`; resolves to the exit code (0 all ok, 1 some inputs failed). */
export async function runExplain(inputs: readonly string[], options: ExplainCommandOptions, io: CliIo): Promise<number> {
  const log = options.json === '-' ? io.stderr : io.stdout;
  const backend = await setBackend(options.backend as BackendName, { onNotice: (m) => io.stderr(`${m}\n`) });
  const loaded = await loadModel(options.model);
  log(`gradcam: explaining with ${loaded.id} on the '${backend}' backend\n`);
  await mkdir(options.out, { recursive: true });
  const files = await expandInputs(inputs);
  const reports: ImageReport[] = [];
  const failed: string[] = [];
  for (const file of files) {
    try {
      const { report, written } = await explainFile(file, loaded, options);
      reports.push(report);
      const top = report.predictions
        .slice(0, 3)
        .map((p) => `${p.label} ${p.score.toFixed(3)}`)
        .join(', ');
      log(`${file}: ${top} → ${written.join(', ')}\n`);
    } catch (error) {
      failed.push(file);
      io.stderr(`gradcam: ${file}: ${describe(error)}\n`);
    }
  }
  if (options.json !== undefined) {
    const text = `${JSON.stringify({ schema: JSON_SCHEMA_VERSION, images: reports }, null, 2)}\n`;
    if (options.json === '-') io.stdout(text);
    else await writeAtomically(options.json, text);
  }
  if (failed.length > 0) {
    io.stderr(`gradcam: ${failed.length} of ${files.length} input(s) failed: ${failed.join(', ')}\n`);
    return 1;
  }
  return 0;
}
