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

/**
 * A cli-progress bar on `stream` when there is more than one input and `stream` is a TTY;
 * otherwise nothing but the lines themselves (one per input, printed by the caller).
 */
export function createProgress(total: number, stream: ProgressStream | undefined): Progress {
  if (total <= 1 || stream === undefined || stream.isTTY !== true) {
    return { start() {}, done() {}, line: (write, text) => write(text), stop() {} };
  }
  const bar = new SingleBar({
    stream,
    format: 'gradcam {bar} {value}/{total} {input}',
    barsize: 24,
    hideCursor: true,
    clearOnComplete: true,
    // The CLI handles SIGINT itself (it removes temporary files first).
    gracefulExit: false,
  });
  bar.start(total, 0, { input: '' });
  let stopped = false;
  return {
    start: (input) => bar.update({ input }),
    done: () => bar.increment(),
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
