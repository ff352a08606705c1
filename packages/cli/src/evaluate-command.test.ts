import { describe, expect, it } from 'vitest';
import { type EvaluationEntry, formatEvaluation, summarize } from './evaluate-command.js';
import { runBin, sample } from './test-support.js';

const entry = (deletion: number, random: number, rho: number): EvaluationEntry => ({
  image: 'a.png',
  target: 1,
  label: 'cat',
  score: 0.9,
  deletion: { auc: deletion, randomAuc: random },
  insertion: { auc: 0.8, randomAuc: 0.5 },
  confidence: { original: 0.9, masked: 0.45, drop: 0.5, increase: false },
  randomization: { blocks: ['dense_3', 'Conv_1'], correlations: [0.9, rho], absCorrelations: [0.9, rho] },
});

describe('gradcam evaluate', () => {
  it('summarizes the pairs: share below random, Average Drop, randomization after the last block', () => {
    const summary = summarize([entry(0.2, 0.5, 0.1), entry(0.6, 0.5, 0.7)]);
    expect(summary).toMatchObject({ pairs: 2, deletionBelowRandom: 0.5, insertionAboveRandom: 1, averageDropPercent: 50, increaseInConfidencePercent: 0 });
    expect(summary.randomization).toMatchObject({ blocks: ['dense_3', 'Conv_1'], belowHalf: 0.5, maxCorrelation: 0.7 });
    expect(summary.randomization?.meanCorrelation).toBeCloseTo(0.4, 12);
    const text = formatEvaluation({
      schema: 1,
      model: 'm',
      method: 'Grad-CAM',
      layer: 'out_relu',
      backend: 'cpu',
      options: { steps: 20, baseline: 'blur', randomMaps: 3, randomizeBlocks: 2, seed: 0 },
      entries: [entry(0.2, 0.5, 0.1)],
      summary: summarize([entry(0.2, 0.5, 0.1)]),
    });
    expect(text).toMatch(/^image\s+target\s+score\s+deletion\s+del\.random/);
    expect(text).toMatch(/a\.png\s+1 cat\s+0\.900\s+0\.200\s+0\.500/);
    expect(text).toMatch(/deletion AUC below the random maps': 100% of pairs/);
    expect(text).toMatch(/randomization \(re-initialised dense_3, Conv_1\): Spearman rho mean 0\.100/);
  });

  it('prints the table and writes the JSON report (built binary, wasm, a cheap setting)', async () => {
    const args = ['evaluate', sample('coffee.png'), '--steps', '4', '--random-maps', '1', '--randomize-blocks', '1', '--backend', 'wasm', '--json', '-'];
    const { code, stdout, stderr } = await runBin(args);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/coffee\.png\s+2 Neutral/);
    expect(stderr).toMatch(/Grad-CAM at out_relu \(nsfw_mobilenet_v2, wasm\), 1 \(image, target\) pair/);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ schema: 1, model: 'nsfw_mobilenet_v2', method: 'Grad-CAM', layer: 'out_relu', backend: 'wasm' });
    expect(report.entries).toHaveLength(1);
    expect(report.entries[0].randomization.blocks).toEqual(['dense_3']);
    expect(report.summary.pairs).toBe(1);
    // --jsonl: a line per (image, target) as each image is done, with the same numbers.
    const streamed = await runBin([...args.slice(0, -2), '--jsonl', '-', sample('missing.png')]);
    expect(streamed.code).toBe(1);
    const lines = streamed.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.type)).toEqual(['run', 'entry', 'failure', 'end']);
    expect(lines[1]).toMatchObject({ image: sample('coffee.png'), layer: 'out_relu', target: report.entries[0].target, deletion: report.entries[0].deletion });
    expect(lines[2]).toMatchObject({ input: sample('missing.png'), error: 'no such file', code: 'ENOENT' });
    expect(lines[3].summary.pairs).toBe(1);
    const bad = await runBin(['evaluate', sample('coffee.png'), '--method', 'eigencam', '--counterfactual']);
    expect(bad.code).toBe(2);
  }, 120_000);
});
