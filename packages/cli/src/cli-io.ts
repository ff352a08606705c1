import type { ProgressStream } from './progress.js';

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Where the progress bar is drawn, when it is a TTY and there are several inputs; none = no bar. */
  readonly progressStream?: ProgressStream;
}

/** The process's own streams. */
export const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  progressStream: process.stderr,
};
