// The timing loop of `pnpm bench`, shared by Node (bench/run.mjs) and the webgl page in
// Chromium (bench/webgl-page.mjs): plain functions in, plain numbers out, no imports.

/** Median of a list of numbers. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Times `a` and `b` alternately, `runs` times each after one warm-up of each (unless `warmUp`
 * is false: the cpu backend compiles nothing), so both see the same machine load; returns
 * their medians in ms and the ratio b/a.
 */
export async function interleaved(runs, a, b, warmUp = true) {
  if (warmUp) {
    await a();
    await b();
  }
  const ta = [];
  const tb = [];
  for (let i = 0; i < runs; i++) {
    let t0 = performance.now();
    await a();
    ta.push(performance.now() - t0);
    t0 = performance.now();
    await b();
    tb.push(performance.now() - t0);
  }
  const [ma, mb] = [median(ta), median(tb)];
  return { aMs: ma, bMs: mb, ratio: mb / ma };
}

/**
 * Predict vs explain of one backend at each layer, for batch 1 and 8. `predict(batch)` runs
 * the model on the batch and reads the result; `explain(layer, batch)` explains every image of
 * the batch (one target each) at the layer. Returns one row per (layer, batch).
 */
export async function predictVersusExplain({ backend, layers, batches, runs, predict, explain, warmUp = true }) {
  const rows = [];
  for (const layer of layers) {
    for (const batch of batches) {
      const n = runs(batch);
      const { aMs, bMs, ratio } = await interleaved(
        n,
        () => predict(batch),
        () => explain(layer, batch),
        warmUp,
      );
      rows.push({ backend, layer, batch, runs: n, predictMs: aMs, explainMs: bMs, explainOverPredict: ratio });
    }
  }
  return rows;
}
