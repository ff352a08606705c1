// The timing loop of `pnpm bench`, shared by Node (bench/run.mjs) and the webgl page in
// Chromium (bench/webgl-page.mjs): plain functions in, plain numbers out, no imports.

/** Median of a list of numbers. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The time of one call of `fn` in ms (awaited). */
export async function timed(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Median time of `fn` in ms over `runs` runs, after one warm-up run. */
export async function medianOf(runs, fn) {
  await fn();
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await timed(fn));
  return median(samples);
}

/**
 * The median of the run-by-run ratios a[i] / b[i]: on a machine whose load drifts, each ratio
 * compares two runs made moments apart, where a ratio of medians can compare different loads.
 */
export const pairedRatio = (a, b) => median(a.map((x, i) => x / b[i]));

/**
 * Times `a` and `b` alternately, `runs` times each after one warm-up of each, so both see the
 * same machine load; returns their medians in ms and the ratio b/a (median of run-by-run ratios).
 */
export async function interleaved(runs, a, b) {
  const { medians, samples } = await roundRobinSamples(runs, { a, b });
  return { aMs: medians.a, bMs: medians.b, ratio: pairedRatio(samples.b, samples.a) };
}

/**
 * Times each function of `fns` ({ name: fn }) in turn, run by run (`runs` rounds after one
 * warm-up round), so all see the same machine load; returns every run's time and the medians:
 * { medians: { name: ms }, samples: { name: ms[] } }. With `warm`, each turn calls the function
 * twice in a row and times both: the first call (right after another function's, with its caches
 * cold) goes to `coldSamples`/`coldMedians`, the second (the steady state of calling it again, as
 * a folder of images does) to `samples`/`medians`.
 */
export async function roundRobinSamples(runs, fns, { warm = false } = {}) {
  const names = Object.keys(fns);
  for (const name of names) await fns[name]();
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const coldSamples = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < runs; i++) {
    for (const name of names) {
      if (warm) coldSamples[name].push(await timed(fns[name]));
      samples[name].push(await timed(fns[name]));
    }
  }
  const medians = (of) => Object.fromEntries(names.map((n) => [n, median(of[n])]));
  return { medians: medians(samples), samples, ...(warm ? { coldMedians: medians(coldSamples), coldSamples } : {}) };
}

/**
 * Predict and explain with and without the inference form at each (layer, batch) case, round
 * robin: `predict.before/after(batch)` and `explain.before/after(layer, batch)`, plus any `extra`
 * functions ({ name: (layer, batch) => … }). Returns one row per case with the medians in ms and
 * the ratios as medians of run-by-run ratios: predictSpeedup (before / after), explainSpeedup,
 * explainOverPredict (after / after), and for `extra` pairs predictOpByOp/explainOpByOp the same
 * for them (opByOpExplainOverPredict). `warm`: see roundRobinSamples (the ratios are then the warm
 * runs'; coldExplainOverPredict and coldExplainSpeedup the first calls'). For the cases where
 * `overhead(layer, batch)` holds, explainOverPredict (and its cold twin) come from a pair of their
 * own after the round robin (`overheadRuns(batch)` turns each, default `runs`) — predict and
 * explain after the form, alternately, in warm turns — so
 * that the other functions' runs (other forms, other weights) do not sit between the two; the
 * round robin's value stays as explainOverPredictInRound.
 */
export async function formRows({ backend, cases, runs, predict, explain, extra = {}, warm = false, overhead = () => false, overheadRuns = runs }) {
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
    const { medians, samples, coldSamples } = await roundRobinSamples(n, fns, { warm });
    const ratios = {
      predictSpeedup: pairedRatio(samples.predictBefore, samples.predictAfter),
      explainSpeedup: pairedRatio(samples.explainBefore, samples.explainAfter),
      explainOverPredict: pairedRatio(samples.explainAfter, samples.predictAfter),
      ...(samples.explainOpByOp
        ? {
            opByOpPredictSpeedup: pairedRatio(samples.predictBefore, samples.predictOpByOp),
            opByOpExplainSpeedup: pairedRatio(samples.explainBefore, samples.explainOpByOp),
            opByOpExplainOverPredict: pairedRatio(samples.explainOpByOp, samples.predictOpByOp),
          }
        : {}),
    };
    if (coldSamples) {
      ratios.coldExplainOverPredict = pairedRatio(coldSamples.explainAfter, coldSamples.predictAfter);
      ratios.coldExplainSpeedup = pairedRatio(coldSamples.explainBefore, coldSamples.explainAfter);
    }
    if (overhead(layer, batch)) {
      const pair = await roundRobinSamples(overheadRuns(batch), { predictAfter: fns.predictAfter, explainAfter: fns.explainAfter }, { warm: true });
      ratios.explainOverPredictInRound = ratios.explainOverPredict;
      ratios.explainOverPredict = pairedRatio(pair.samples.explainAfter, pair.samples.predictAfter);
      ratios.coldExplainOverPredict = pairedRatio(pair.coldSamples.explainAfter, pair.coldSamples.predictAfter);
      ratios.overheadPair = { predictMs: pair.medians.predictAfter, explainMs: pair.medians.explainAfter };
    }
    rows.push({ backend, layer, batch, runs: n, warm, ...medians, ...ratios });
  }
  return rows;
}
