/**
 * Lets timers and I/O run — one macrotask turn. tfjs-node resolves `data()` at once, so a long
 * computation made of awaits never leaves the microtask queue; calling this between chunks keeps
 * a server answering, a queue worker renewing its job locks and a progress bar moving.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}
