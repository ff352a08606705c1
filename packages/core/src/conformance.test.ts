import { describe, expect, it } from 'vitest';
import type { ConformanceMaps } from './conformance.js';
import { compareConformance } from './testing.js';

function maps(backend: string, shift = 0, leaked = 0): ConformanceMaps {
  return {
    backend,
    targets: [2, 4],
    cases: [
      {
        layer: 'a',
        logits: false,
        outputs: [0.1, 0.9],
        heatmaps: [
          [0, 0.5 + shift, 1],
          [1, 0.2, 0],
        ],
        leakedTensors: leaked,
      },
      {
        layer: 'a',
        logits: true,
        outputs: [-1, 3],
        heatmaps: [
          [0.3, 1],
          [1, 0.4],
        ],
        leakedTensors: 0,
      },
    ],
  };
}

describe('compareConformance', () => {
  it('passes identical maps and maps within the tolerance', () => {
    expect(compareConformance(maps('cpu'), maps('wasm')).failures).toEqual([]);
    const report = compareConformance(maps('cpu'), maps('wasm', 0.004));
    expect(report.failures).toEqual([]);
    expect(report.cases[0].maxHeatmapDiff).toBeCloseTo(0.004, 6);
  });

  it('reports a map beyond the tolerance, naming the case', () => {
    const { failures } = compareConformance(maps('cpu'), maps('webgl', 0.01));
    expect(failures).toEqual([expect.stringMatching(/^a softmax: heatmaps differ by 0\.01\d* \(allowed 0\.005\)/)]);
  });

  it('reports leaked tensors, NaN, missing cases and different targets', () => {
    expect(compareConformance(maps('cpu'), maps('wasm', 0, 3)).failures).toEqual(['a softmax: 3 tensors leaked']);
    expect(compareConformance(maps('cpu'), maps('wasm', Number.NaN)).failures[0]).toMatch(/heatmaps differ by Infinity/);
    const missing = { ...maps('wasm'), cases: maps('wasm').cases.slice(0, 1) };
    expect(compareConformance(maps('cpu'), missing).failures).toEqual(['a logits: missing']);
    expect(compareConformance(maps('cpu'), { ...maps('wasm'), targets: [2, 3] }).failures[0]).toMatch(/targets \[2,3\] differ/);
  });

  it('refuses all-zero reference maps, which would prove nothing', () => {
    const zeros = maps('cpu');
    zeros.cases[1] = {
      ...zeros.cases[1],
      heatmaps: [
        [0, 0],
        [0, 0],
      ],
    };
    expect(compareConformance(zeros, zeros).failures).toEqual([expect.stringMatching(/all zeros/)]);
  });
});
