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
 * Times each function of `fns` ({ name: fn }) in turn, run by run (`runs` rounds after one
 * warm-up round), so all see the same machine load; returns { name: median ms }.
 */
export async function roundRobin(runs, fns) {
  const names = Object.keys(fns);
  for (const name of names) await fns[name]();
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < runs; i++) {
    for (const name of names) {
      const t0 = performance.now();
      await fns[name]();
      samples[name].push(performance.now() - t0);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n])]));
}

/**
 * Predict and explain with and without the inference form at each (layer, batch) case, round
 * robin: `predict.before/after(batch)` and `explain.before/after(layer, batch)`, plus any `extra`
 * functions ({ name: (layer, batch) => … }). Returns one row per case with the medians in ms.
 */
export async function formRows({ backend, cases, runs, predict, explain, extra = {} }) {
  const rows = [];
  for (const [layer, batch] of cases) {
    const n = runs(batch);
    const fns = {
      predictBefore: () => predict.before(batch),
      predictAfter: () => predict.after(batch),
      explainBefore: () => explain.before(layer, batch),
      explainAfter: () => explain.after(layer, batch),
      ...Object.fromEntries(Object.entries(extra).map(([name, fn]) => [name, () => fn(layer, batch)])),
    };
    rows.push({ backend, layer, batch, runs: n, ...(await roundRobin(n, fns)) });
  }
  return rows;
}
