/**
 * Runs `cleanup` on SIGINT or SIGTERM, then ends the process with that signal (its default
 * action), so an interrupted run leaves no temporary files and still reports how it ended.
 * Returns a function that removes the handlers.
 */
export function onInterrupt(cleanup: () => void): () => void {
  const handler = (signal: NodeJS.Signals) => {
    cleanup();
    process.kill(process.pid, signal); // our once-listener is gone, so the default action ends the process
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
