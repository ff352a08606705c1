import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { type Decoded, type DecodeTask, decodeInput, prepareNative, type StageResult } from './decode-stage.js';
import { type DrawTask, drawOverlays } from './draw-stage.js';

/** Where the image stages run: a pool of worker threads, or this thread (`workers` 0). */
export interface ImagePool {
  /** Worker threads (0: in-process). */
  readonly workers: number;
  decode(task: DecodeTask): Promise<StageResult<Decoded>>;
  /** Draws and encodes; the photo's pixels are moved to the worker (the caller must not use them after). */
  draw(task: DrawTask): Promise<StageResult<Uint8Array[]>>;
  /** Loads the native (tfjs-node) decoders in every thread now, while the model loads, not at the first image. */
  prepareNative(): Promise<void>;
  /** Stops the threads (idempotent). */
  close(): Promise<void>;
}

/** `--workers` default: one thread per core but one (the model's), at least one. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

/**
 * A pool of `workers` threads for the image stages (decode and resize; draw and PNG encode), with
 * piscina; `workers` 0 runs them on this thread. Tasks queue in the order given.
 */
export function createImagePool(workers: number): ImagePool {
  if (workers === 0) {
    return { workers, decode: decodeInput, draw: async (task) => drawOverlays(task), prepareNative, close: async () => undefined };
  }
  const pool = new Piscina({ filename: new URL('./image-worker.js', import.meta.url).href, minThreads: workers, maxThreads: workers });
  let closed: Promise<void> | undefined;
  return {
    workers,
    decode: (task) => pool.run(task, { name: 'decode' }),
    draw: (task) => pool.run(task, { name: 'draw', transferList: [task.original.data.buffer as ArrayBuffer] }),
    prepareNative: async () => {
      await Promise.all(Array.from({ length: workers }, () => pool.run(undefined, { name: 'prepare' })));
    },
    close: () => {
      closed ??= pool.destroy();
      return closed;
    },
  };
}
