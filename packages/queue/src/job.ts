import { createHash } from 'node:crypto';

/** One image to explain, as a job carries it: everything a worker on another machine needs. */
export interface ExplainJobData {
  /** The input's position when it was added (reports come out in this order). */
  readonly index: number;
  /** Absolute path of the image (on storage every worker sees at the same path). */
  readonly input: string;
  /** The input as the adder named it, for reports and messages. */
  readonly display: string;
  /** The SHA-256 of the file's bytes when it was added. */
  readonly sha256: string;
  /** Absolute path of the outputs without their `-<class>.png` (`/out/sub/cat`). */
  readonly outputBase: string;
  /** The explain options (JSON): the same for a whole `queue add`, so jobs of one add batch together. */
  readonly settings: Record<string, unknown>;
}

/** A permanent failure: the job fails at once, without retries (a file that is not an image). */
export class PermanentJobError extends Error {
  constructor(
    message: string,
    /** The code for the report ('DECODE', 'ENOENT', …). */
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'PermanentJobError';
  }
}

/** JSON with object keys sorted, so equal settings give equal text whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A job's id: the SHA-256 of the image's bytes, where its outputs go and the explain options — so
 * adding the same image with the same options twice adds it once, while the same bytes under two
 * names (two outputs) are two jobs.
 */
export function jobIdOf(data: Pick<ExplainJobData, 'sha256' | 'outputBase' | 'settings'>): string {
  return createHash('sha256')
    .update(`${data.sha256}\n${data.outputBase}\n${canonicalJson(data.settings)}`)
    .digest('hex');
}
