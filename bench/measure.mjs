// The timing loop of `pnpm bench`, shared by Node (bench/run.mjs) and the webgl page in
// Chromium (bench/webgl-page.mjs): plain functions in, plain numbers out, no imports.

/** Median of a list of numbers. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median time of `fn` in ms over `runs` runs, after one warm-up run. */
export async function medianOf(runs, fn) {
  await fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return median(samples);
}

/**
 * Times `a` and `b` alternately, `runs` times each after one warm-up of each, so both see the
 * same machine load; returns their medians in ms and the ratio b/a.
 */
export async function interleaved(runs, a, b) {
  await a();
  await b();
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
 * Predict vs explain of one backend at each (layer, batch) case: `cases`, or every layer with
 * every batch. `predict(batch)` runs the model on the batch and reads the result;
 * `explain(layer, batch)` explains every image of the batch (one target each) at the layer.
 * Returns one row per case.
 */
export async function predictVersusExplain({ backend, layers, batches, cases, runs, predict, explain }) {
  const rows = [];
  for (const [layer, batch] of cases ?? layers.flatMap((l) => batches.map((b) => [l, b]))) {
    const n = runs(batch);
    const { aMs, bMs, ratio } = await interleaved(
      n,
      () => predict(batch),
      () => explain(layer, batch),
    );
    rows.push({ backend, layer, batch, runs: n, predictMs: aMs, explainMs: bMs, explainOverPredict: ratio });
  }
  return rows;
}
