import { NotDifferentiableError } from '@gradcam/core';
import type { InferenceGraph } from '@gradcam/core/internals';
import { describe, expect, it } from 'vitest';
import { emitCapture } from './explain-graph.js';

describe('emitCapture', () => {
  it('refuses a node the scores do not depend on with the typed error the tfjs path gives (NotDifferentiableError)', () => {
    // x → side (relu), x → out (softmax): the output does not read 'side'.
    const graph: InferenceGraph = {
      specificationVersion: 'v1',
      name: 'branch',
      id: 'branch-test',
      input: 'x',
      output: 'out',
      nodes: [
        { name: 'x', op: { kind: 'input' }, inputs: [], layers: ['x'], outputShape: [null, 4] },
        { name: 'side', op: { kind: 'activation', activation: 'relu' }, inputs: ['x'], layers: ['side'], outputShape: [null, 4] },
        { name: 'out', op: { kind: 'activation', activation: 'softmax' }, inputs: ['x'], layers: ['out'], outputShape: [null, 4] },
      ],
    };
    expect(() => emitCapture(graph, { node: 'side', score: 'out', k: 1, top: true, batch: 1 })).toThrow(NotDifferentiableError);
    expect(() => emitCapture(graph, { node: 'side', score: 'out', k: 1, top: true, batch: 1 })).toThrow(/does not reach 'side'/);
  });
});
