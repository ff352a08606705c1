/** An item's outcome at one stage: its value, or why it failed. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** The stages of an ordered pipeline: decode and draw may run in parallel; explain takes batches; finish sees items in input order. */
export interface PipelineStages<T, D, E, R> {
  /** Per item, as soon as the window has room (runs concurrently). Throwing fails the item. */
  decode(item: T): Promise<D>;
  /** The bytes a decoded item holds until it is finished (bounded by `maxBytes` in flight). */
  weigh(decoded: D): number;
  /** Decoded items in input order, up to `batchSize` at a time; one result per item (an Error fails that item). */
  explain(batch: readonly { item: T; decoded: D }[]): Promise<(E | Error)[]>;
  /** Per explained item (runs concurrently). Throwing fails the item. */
  draw(item: T, decoded: D, explained: E): Promise<R>;
  /** Strictly in input order, once per item, with its outcome. */
  finish(item: T, outcome: Outcome<R>): Promise<void>;
}

/** Bounds of a pipeline run. */
export interface PipelineOptions {
  /** Most items between the start of their decode and the end of their finish. */
  readonly window: number;
  /** Most items per explain call. */
  readonly batchSize: number;
  /** Most decoded bytes in flight: no item starts while they are over it (the items of the batch being finished always start). */
  readonly maxBytes: number;
  /** Most items decoding at once (started, not yet decoded); keeps the decoded bytes near `maxBytes`. Default: unbounded. */
  readonly decoding?: number;
  /** Stops launching new items (those in flight still finish). */
  readonly signal?: AbortSignal;
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T | PromiseLike<T>): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T | PromiseLike<T>) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const settle = <T>(p: Promise<T>): Promise<Outcome<T>> =>
  p.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  );

/**
 * Runs items through decode → explain (batched) → draw → finish with a bounded window, so memory
 * does not grow with the number of items: a new item starts only while fewer than `window` are in
 * flight and their decoded bytes are under `maxBytes`. Explain batches are fixed by position —
 * items [k·batchSize, (k+1)·batchSize) less those that failed to decode — never by timing, so a
 * run's numbers do not depend on how fast each stage was (a batched pass rounds differently from a
 * single one); the items of the batch being finished always start, whatever the bounds. `finish` sees every item exactly once, in
 * input order, even when stages fail. Resolves to the number of items finished (fewer than all
 * only when `signal` aborted).
 */
export async function runPipeline<T, D, E, R>(items: readonly T[], stages: PipelineStages<T, D, E, R>, options: PipelineOptions): Promise<number> {
  const n = items.length;
  // Each slot is emptied once its stage has been read, so a run holds only the items in flight.
  const decoded: (Deferred<Outcome<D>> | undefined)[] = items.map(() => deferred<Outcome<D>>());
  const drawn: (Deferred<Outcome<R>> | undefined)[] = items.map(() => deferred<Outcome<R>>());
  const weights: number[] = items.map(() => 0);
  let inFlight = 0;
  let bytes = 0;
  let launched = 0;
  let wake: (() => void) | undefined;
  let finished = 0;
  // A batch waits for all its items, so the items of the batch the next item to finish belongs to
  // always start, whatever the bounds say (or nothing would move).
  const batchOfNext = () => (Math.floor(finished / options.batchSize) + 1) * options.batchSize;
  let decoding = 0;
  const hasRoom = (i: number) =>
    i < batchOfNext() || (inFlight < options.window && bytes < options.maxBytes && decoding < (options.decoding ?? Number.POSITIVE_INFINITY));
  const aborted = () => options.signal?.aborted === true;
  /** Lets the launcher look again (an item finished or decoded, or the run was aborted). */
  const poke = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  options.signal?.addEventListener('abort', poke, { once: true });

  const launch = async () => {
    for (let i = 0; i < n; i++) {
      while (!hasRoom(i) && !aborted()) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (aborted()) {
        // Items never started: settled as failures so the explain loop does not wait for them;
        // finish stops before them.
        for (let k = i; k < n; k++) decoded[k]?.resolve({ ok: false, error: new Error('interrupted') });
        return;
      }
      inFlight++;
      decoding++;
      launched = i + 1;
      void settle(stages.decode(items[i])).then((outcome) => {
        decoding--;
        poke();
        if (outcome.ok) {
          weights[i] = stages.weigh(outcome.value);
          bytes += weights[i];
        }
        decoded[i]?.resolve(outcome);
      });
    }
  };

  const explainAll = async () => {
    for (let i = 0; i < n; i += options.batchSize) {
      const batch: { index: number; outcome: Outcome<D> }[] = [];
      for (let j = i; j < Math.min(n, i + options.batchSize); j++) {
        batch.push({ index: j, outcome: await (decoded[j] as Deferred<Outcome<D>>).promise });
        decoded[j] = undefined;
      }
      const good = batch.filter((b) => b.outcome.ok);
      for (const b of batch) if (!b.outcome.ok) drawn[b.index]?.resolve({ ok: false, error: b.outcome.error });
      if (good.length === 0) continue;
      const values = good.map((b) => ({ item: items[b.index], decoded: (b.outcome as { value: D }).value }));
      const results = await settle(stages.explain(values));
      good.forEach((b, k) => {
        const result = results.ok ? results.value[k] : results.error;
        if (!results.ok || result instanceof Error) {
          drawn[b.index]?.resolve({ ok: false, error: result });
          return;
        }
        drawn[b.index]?.resolve(settle(stages.draw(items[b.index], values[k].decoded, result as E)));
      });
    }
  };

  const finishAll = async () => {
    for (let i = 0; i < n; i++) {
      const outcome = await (drawn[i] as Deferred<Outcome<R>>).promise;
      drawn[i] = undefined;
      if (i >= launched) break; // never started: the run was interrupted
      await stages.finish(items[i], outcome);
      finished++;
      inFlight--;
      bytes -= weights[i];
      poke();
    }
    return finished;
  };

  const [, , count] = await Promise.all([launch(), explainAll(), finishAll()]);
  return count;
}
