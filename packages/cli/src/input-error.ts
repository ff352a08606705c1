/** A per-input failure of the CLI: a message meant for the user and a code for the report. */
export class InputError extends Error {
  constructor(
    message: string,
    /** A GradcamError code ('DECODE'), a Node error code ('ENOENT'), or the CLI's own ('EEXIST', 'EINPUT'). */
    readonly code: string,
  ) {
    super(message);
  }
}
