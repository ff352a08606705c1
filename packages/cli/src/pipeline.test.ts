import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { type Outcome, type PipelineStages, runPipeline } from './pipeline.js';

/** Resolves after `ticks` turns of the event loop: stages that finish out of order, without clocks. */
const after = (ticks: number) =>
  new Promise<void>((resolve) => {
    const step = (left: number) => (left <= 0 ? resolve() : setImmediate(() => step(left - 1)));
    step(ticks);
  });

interface Trace {
  started: number[];
  batches: number[][];
  finished: { item: number; ok: boolean; value?: string; error?: string }[];
  maxInFlight: number;
  maxBytes: number;
}

/** Stages over numbers: decode takes (7·i mod 5) ticks, draw (3·i mod 4); `fail` picks items that fail at a stage. */
function stages(
  fail: { decode?: number[]; explain?: number[]; draw?: number[] } = {},
  bytesOf = (_i: number) => 1,
): { stages: PipelineStages<number, number, string, string>; trace: Trace } {
  const trace: Trace = { started: [], batches: [], finished: [], maxInFlight: 0, maxBytes: 0 };
  let inFlight = 0;
  let bytes = 0;
  return {
    trace,
    stages: {
      async decode(i) {
        trace.started.push(i);
        inFlight++;
        trace.maxInFlight = Math.max(trace.maxInFlight, inFlight);
        await after((7 * i) % 5);
        if (fail.decode?.includes(i)) throw new Error(`decode ${i}`);
        bytes += bytesOf(i);
        trace.maxBytes = Math.max(trace.maxBytes, bytes);
        return i;
      },
      weigh: (i) => bytesOf(i),
      async explain(batch) {
        trace.batches.push(batch.map((b) => b.item));
        await after(2);
        return batch.map((b) => (fail.explain?.includes(b.item) ? new Error(`explain ${b.item}`) : `e${b.decoded}`));
      },
      async draw(i, _d, e) {
        await after((3 * i) % 4);
        if (fail.draw?.includes(i)) throw new Error(`draw ${i}`);
        return `${e}d`;
      },
      async finish(i, outcome: Outcome<string>) {
        trace.finished.push(outcome.ok ? { item: i, ok: true, value: outcome.value } : { item: i, ok: false, error: (outcome.error as Error).message });
        inFlight--;
        // (an item that failed to decode never added its bytes)
        if (!fail.decode?.includes(i)) bytes -= bytesOf(i);
      },
    },
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('runPipeline', () => {
  it('finishes every item once, in input order, though stages complete out of order', async () => {
    const { stages: s, trace } = stages();
    expect(await runPipeline(range(23), s, { window: 6, batchSize: 4, maxBytes: 100 })).toBe(23);
    expect(trace.finished.map((f) => f.item)).toEqual(range(23));
    expect(trace.finished.every((f) => f.ok && f.value === `e${f.item}d`)).toBe(true);
  });

  it('batches by position, never by timing: [0..3], [4..7], … less the items that failed to decode', async () => {
    const { stages: s, trace } = stages({ decode: [5, 8, 9, 10, 11] });
    await runPipeline(range(14), s, { window: 8, batchSize: 4, maxBytes: 100 });
    expect(trace.batches).toEqual([
      [0, 1, 2, 3],
      [4, 6, 7],
      [12, 13],
    ]);
  });

  it('keeps at most `window` items in flight, and decoded bytes under maxBytes (one batch always goes through)', async () => {
    const small = stages();
    await runPipeline(range(40), small.stages, { window: 5, batchSize: 2, maxBytes: 1000 });
    expect(small.trace.maxInFlight).toBe(5);
    // Items of 10 bytes, 25 allowed: no more than three decoded at once, except what one batch needs.
    const heavy = stages({}, () => 10);
    await runPipeline(range(12), heavy.stages, { window: 8, batchSize: 2, maxBytes: 25, decoding: 1 });
    expect(heavy.trace.maxBytes).toBeLessThanOrEqual(30);
    expect(heavy.trace.finished).toHaveLength(12);
    // A single item larger than the bound, and a batch larger than the window, still move.
    const huge = stages({}, () => 1000);
    expect(await runPipeline(range(9), huge.stages, { window: 2, batchSize: 4, maxBytes: 10 })).toBe(9);
    expect(huge.trace.batches).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8]]);
  });

  it('a failure at any stage fails that item only, with its error, and the rest go on', async () => {
    const { stages: s, trace } = stages({ decode: [1], explain: [4], draw: [6] });
    await runPipeline(range(8), s, { window: 4, batchSize: 3, maxBytes: 100 });
    expect(trace.finished.filter((f) => !f.ok)).toEqual([
      { item: 1, ok: false, error: 'decode 1' },
      { item: 4, ok: false, error: 'explain 4' },
      { item: 6, ok: false, error: 'draw 6' },
    ]);
    expect(trace.finished.filter((f) => f.ok).map((f) => f.item)).toEqual([0, 2, 3, 5, 7]);
  });

  it('a whole batch fails with the error of its explain call', async () => {
    const { stages: s, trace } = stages();
    s.explain = async (batch) => {
      if (batch.some((b) => b.item === 3)) throw new Error('the model failed');
      return batch.map((b) => `e${b.decoded}`);
    };
    await runPipeline(range(6), s, { window: 4, batchSize: 2, maxBytes: 100 });
    expect(trace.finished.map((f) => (f.ok ? 'ok' : f.error))).toEqual(['ok', 'ok', 'the model failed', 'the model failed', 'ok', 'ok']);
  });

  it('stops starting items when aborted; those in flight finish, nothing hangs', async () => {
    const controller = new AbortController();
    const { stages: s, trace } = stages();
    const finish = s.finish;
    s.finish = async (i, outcome) => {
      await finish(i, outcome);
      if (i === 5) controller.abort();
    };
    const count = await runPipeline(range(100), s, { window: 4, batchSize: 2, maxBytes: 100, signal: controller.signal });
    expect(count).toBeLessThan(100);
    expect(count).toBeGreaterThanOrEqual(6);
    expect(trace.finished.map((f) => f.item)).toEqual(range(count));
    expect(trace.started.length).toBeLessThanOrEqual(count + 4);
  });

  it('holds no finished item: what decode and draw made is garbage once the item is finished', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const decodedRefs: WeakRef<object>[] = [];
    const drawnRefs: WeakRef<object>[] = [];
    let alive = -1;
    await runPipeline<number, { pixels: Uint8Array }, number, { png: Uint8Array }>(
      Array.from({ length: 40 }, (_, i) => i),
      {
        async decode(i) {
          const value = { pixels: new Uint8Array(1024) };
          decodedRefs[i] = new WeakRef(value);
          return value;
        },
        weigh: (d) => d.pixels.byteLength,
        explain: async (batch) => batch.map((b) => b.item),
        async draw(i) {
          const value = { png: new Uint8Array(1024) };
          drawnRefs[i] = new WeakRef(value);
          return value;
        },
        async finish(i) {
          if (i !== 39) return;
          await after(2); // WeakRefs read in an earlier turn stay alive until it ends
          gc();
          alive = [...decodedRefs, ...drawnRefs].slice(0, 30).filter((r) => r.deref() !== undefined).length;
        },
      },
      { window: 4, batchSize: 2, maxBytes: Number.POSITIVE_INFINITY },
    );
    expect(alive).toBe(0);
  });
});
