import { SingleBar } from 'cli-progress';

/** A stream the progress bar can draw on (process.stderr, or a test double). */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/** Progress of a run over several inputs. */
export interface Progress {
  /** Marks the start of one input. */
  start(input: string): void;
  /** Marks one input done. */
  done(): void;
  /** Prints a line through `write` without garbling the bar. */
  line(write: (text: string) => void, text: string): void;
  /** Removes the bar (call once, also on failure). */
  stop(): void;
}

/** Options of createProgress. */
export interface ProgressOptions {
  /** No bar and no progress lines (the caller also leaves out its per-input lines). */
  readonly quiet?: boolean;
  /** Off a terminal: at most one progress line per this many milliseconds. Default 5000. */
  readonly intervalMs?: number;
  /** The clock (tests pass their own). Default performance.now. */
  readonly now?: () => number;
}

/** '42 s', '3 min', '2 h 5 min'. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '—';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 90 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * Progress over `total` inputs on `stream`. On a terminal: a cli-progress bar with images/s and the
 * time left. Elsewhere (a log file, CI): a plain line `gradcam: 120/2000 images, 7.9 images/s,
 * about 4 min left` at most every `intervalMs`, as inputs finish. Nothing with `quiet`, with one
 * input, or without a stream.
 */
export function createProgress(total: number, stream: ProgressStream | undefined, options: ProgressOptions = {}): Progress {
  const plain: Progress = { start() {}, done() {}, line: (write, text) => write(text), stop() {} };
  if (options.quiet || total <= 1 || stream === undefined) return plain;
  const now = options.now ?? (() => performance.now());
  const started = now();
  let finished = 0;
  const rate = () => finished / Math.max((now() - started) / 1000, 1e-3);
  const left = () => (total - finished) / rate();
  if (stream.isTTY !== true) {
    const interval = options.intervalMs ?? 5000;
    let last = started;
    return {
      ...plain,
      done() {
        finished++;
        if (finished === total || now() - last < interval) return;
        last = now();
        stream.write(`gradcam: ${finished}/${total} images, ${rate().toFixed(1)} images/s, about ${formatDuration(left())} left\n`);
      },
    };
  }
  const bar = new SingleBar({
    stream,
    format: 'gradcam {bar} {value}/{total} {rate} images/s, {left} left {input}',
    barsize: 24,
    hideCursor: true,
    clearOnComplete: true,
    // The CLI handles SIGINT itself (it removes temporary files first).
    gracefulExit: false,
  });
  bar.start(total, 0, { input: '', rate: '—', left: '—' });
  let stopped = false;
  return {
    start: (input) => bar.update({ input }),
    done: () => {
      finished++;
      bar.increment({ rate: rate().toFixed(1), left: formatDuration(left()) });
    },
    line(write, text) {
      // Clear the bar's line and print; the bar redraws itself on its next update. Saving the
      // cursor below the line makes the bar's stop() (which restores the cursor it saved at
      // start) land there instead of on the first line printed.
      stream.write('\r\x1b[K');
      write(text);
      stream.write('\x1b7');
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}
