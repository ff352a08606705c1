import { type FileHandle, open, readFile, truncate } from 'node:fs/promises';
import type { CliIo } from './cli-io.js';

/** Version of the JSON report and the JSON lines; bumped only on an incompatible change (fields are only ever added). */
export const JSON_SCHEMA_VERSION = 1;

/** One explained target of an image in the report. */
export interface TargetReport {
  readonly target: number;
  readonly label: string | null;
  readonly score: number;
  readonly proba: number | null;
  readonly heatmap: number[][];
  readonly output: string;
  /** With --guided: the Guided Grad-CAM overlay PNG written (a later addition to schema 1). */
  readonly guidedOutput?: string;
}

/** One image (at one layer) in the report. */
export interface ImageReport {
  readonly image: string;
  readonly model: string;
  readonly layer: string;
  readonly method: string;
  readonly backend: string;
  readonly predictions: { target: number; label: string; score: number }[];
  readonly targets: TargetReport[];
  /** Things worth knowing, e.g. a target whose map is all zeros (a later addition to schema 1; always present). */
  readonly warnings: string[];
}

/** An input that failed, in the report. */
export interface FailureReport {
  readonly input: string;
  readonly error: string;
  /** GradcamError code ('DECODE', …), Node error code ('ENOENT', …), 'EEXIST' for an output that exists, 'EINPUT' for one that is an input. */
  readonly code: string | null;
}

/** An entry a directory walk or glob passed over, or an input done by an earlier run, in the report. */
export interface SkippedReport {
  readonly input: string;
  /** Why: a symbolic link out of the folder, the same file as an earlier input, the output folder, outputs that exist. */
  readonly reason: string;
}

/** The JSON report of `gradcam explain --json`. */
export interface ExplainReport {
  readonly schema: typeof JSON_SCHEMA_VERSION;
  /** One entry per image and layer, in input order. */
  readonly images: ImageReport[];
  /** The inputs that failed, in input order (a later addition to schema 1; always present). */
  readonly failures: FailureReport[];
  /** What the walks passed over and what an earlier run had done (a later addition to schema 1; always present). */
  readonly skipped: SkippedReport[];
}

/** A line of `--jsonl`: one JSON object per line, `type` first (see schema/explain-lines.schema.json). */
export type ReportLine =
  | { readonly type: 'run'; readonly schema: typeof JSON_SCHEMA_VERSION; readonly command: string; readonly started: string; readonly [key: string]: unknown }
  | ({ readonly type: 'image' } & ImageReport)
  | ({ readonly type: 'failure' } & FailureReport)
  | ({ readonly type: 'skipped' } & SkippedReport)
  | { readonly type: 'end'; readonly seconds: number; readonly [key: string]: unknown }
  | { readonly type: string; readonly [key: string]: unknown };

/**
 * Writes `--jsonl` lines as they come: to stdout ('-') or to a file, each call's lines with one
 * write, so an interrupted run leaves whole lines (a torn last line is dropped when resuming).
 */
export class JsonlWriter {
  private constructor(
    private readonly handle: FileHandle | undefined,
    private readonly io: CliIo,
  ) {}

  /** Opens `target` ('-' for stdout); `append` keeps what is there (resuming), else the file is replaced. */
  static async open(target: string, io: CliIo, append = false): Promise<JsonlWriter> {
    if (target === '-') return new JsonlWriter(undefined, io);
    if (append) await dropTornLine(target);
    return new JsonlWriter(await open(target, append ? 'a' : 'w'), io);
  }

  /** Writes the lines (NaN and Infinity as null, as in the JSON report). */
  async write(lines: readonly ReportLine[]): Promise<void> {
    if (lines.length === 0) return;
    const text = lines.map((line) => `${JSON.stringify(line, finiteOrNull)}\n`).join('');
    if (this.handle) await this.handle.write(text);
    else this.io.stdout(text);
  }

  async close(): Promise<void> {
    await this.handle?.close();
  }
}

/** A JSON replacer: NaN and ±Infinity become null (JSON has no such numbers). */
export function finiteOrNull(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? null : value;
}

/** Truncates a file after its last newline: a line a killed run did not finish is not kept. */
async function dropTornLine(path: string): Promise<void> {
  const bytes = await readFile(path).catch(() => undefined);
  if (bytes === undefined || bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return;
  await truncate(path, bytes.lastIndexOf(0x0a) + 1);
}

/**
 * The lines of a `--jsonl` file, in order; a torn last line (no newline at the end, not JSON) is
 * left out. Any other line that is not a JSON object is an error naming its number.
 */
export async function readJsonl(path: string): Promise<ReportLine[]> {
  const text = await readFile(path, 'utf8');
  const lines = text.split('\n');
  const torn = !text.endsWith('\n');
  const result: ReportLine[] = [];
  for (const [i, line] of lines.entries()) {
    if (line.trim() === '') continue;
    try {
      const value = JSON.parse(line);
      if (typeof value !== 'object' || value === null || typeof value.type !== 'string') throw new Error('not a report line');
      result.push(value);
    } catch (error) {
      if (torn && i === lines.length - 1) break;
      throw new Error(`line ${i + 1} of ${path} is not a report line (${(error as Error).message})`);
    }
  }
  return result;
}
