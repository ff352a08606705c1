import type { RgbaImage } from '@gradcam/core';
import { DecodeError } from '@gradcam/core/errors';
import { type DecodeOptions, decodeImage, loadImg } from '@gradcam/format';
import { DEFAULT_MAX_IMAGE_BYTES, type FilePath, readRegularFile } from '@gradcam/io';
import { InputError } from './input-error.js';

/** A stage's answer across a thread boundary: a value, or a failure that keeps its code for the report. */
export type StageResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string; readonly code: string | null };

/** What decoding an input needs: where it is, how to name it, and the model's input size. */
export interface DecodeTask {
  readonly path: FilePath;
  readonly display: string;
  /** [height, width] of the model input. */
  readonly size: readonly [number, number];
  /** Decode with tfjs-node's libjpeg-turbo and libpng (Pillow's pixels, faster) instead of jpeg-js and pngjs. */
  readonly native: boolean;
  readonly maxBytes?: number;
}

/** The decoded photo (overlays are drawn on it, at its own size) and the model's view of it. */
export interface Decoded {
  readonly original: RgbaImage;
  /** Keras load_img: RGB (alpha 255), NEAREST to the model's input size. */
  readonly small: RgbaImage;
}

/**
 * An input's bytes: a regular file of at most `maxBytes` (a FIFO or a device is refused at once,
 * not waited on). Failures say the rule, without repeating the name; errors of the file system
 * keep their Node code for the report ('ENOENT' → "no such file").
 */
export async function readInput(file: { path: FilePath; display: string }, maxBytes: number = DEFAULT_MAX_IMAGE_BYTES): Promise<Uint8Array> {
  try {
    return await readRegularFile(file.path, { error: DecodeError, what: 'the image file', name: file.display, maxBytes });
  } catch (error) {
    const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
    const known: Record<string, string> = { ENOENT: 'no such file', EISDIR: 'is a directory', EACCES: 'permission denied', EPERM: 'permission denied' };
    if (cause?.code !== undefined && known[cause.code] !== undefined) throw new InputError(known[cause.code], cause.code);
    const prefix = `Cannot read the image file '${file.display}': `;
    const message = (error as Error).message;
    throw new InputError(message.startsWith(prefix) ? message.slice(prefix.length).replace(/\.$/, '') : message, 'DECODE');
  }
}

/** A failure as the report shows it: its message and code (GradcamError code, Node error code, the CLI's own). */
export function failureOf(error: unknown): { message: string; code: string | null } {
  const e = error as { message?: string; code?: unknown };
  return { message: e?.message ?? String(error), code: typeof e?.code === 'string' ? e.code : null };
}

let nativeDecoders: Promise<DecodeOptions> | undefined;

/** tfjs-node's JPEG and PNG decoders, loaded once per thread (only asked for when the 'tensorflow' backend runs). */
function native(): Promise<DecodeOptions> {
  nativeDecoders ??= (async () => {
    const { tensorflowDecodeOptions, useTensorflowBackend } = await import('@gradcam/backend-node');
    await useTensorflowBackend();
    return tensorflowDecodeOptions();
  })();
  return nativeDecoders;
}

/** Reads, decodes and resizes one input (the decode stage; runs in a worker or in-process). */
export async function decodeInput(task: DecodeTask): Promise<StageResult<Decoded>> {
  try {
    const bytes = await readInput(task, task.maxBytes);
    const original = decodeImage(bytes, task.native ? await native() : {});
    const small = await loadImg(original, { targetSize: [task.size[0], task.size[1]] });
    return { ok: true, value: { original, small } };
  } catch (error) {
    return { ok: false, ...failureOf(error) };
  }
}

/** Loads the native decoders in this thread ahead of the first image (a worker's warm-up). */
export async function prepareNative(): Promise<void> {
  await native();
}
