import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { type ExplainableModel, explainBatch, type LayerInfo, toExplainableModel } from '@gradcam/core';
import { graphExecutorFor, registerGraphExecutor } from '@gradcam/core/internals';
import { fidelityInputs } from '@gradcam/core/testing';
import { decodeImage } from '@gradcam/format';
import { LayersModelAdapter, loadBundledModel } from '@gradcam/models';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TensorflowGraphExecutor, useTensorflowBackend } from './index.js';
import { decodeSavedModelNodes } from './tf-protos.js';

// GRADCAM_SKIP_TFJS_NODE=1 (documented, never set by CI) excludes it; otherwise a missing
// tfjs-node binding fails loudly.
const skip = process.env.GRADCAM_SKIP_TFJS_NODE === '1';
const gradcamFixture = (name: string) => new URL(`../../gradcam/src/__fixtures__/${name}`, import.meta.url).pathname;
const xcheck = JSON.parse(readFileSync(new URL('./__fixtures__/tf-graph-xcheck.json', import.meta.url), 'utf8'));

function images(names: readonly string[]): tf.Tensor4D {
  return fidelityInputs(names.map((name) => ({ image: decodeImage(new Uint8Array(readFileSync(gradcamFixture(name)))), mirrored: false })));
}

const meanAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;

describe.skipIf(skip)('TensorflowGraphExecutor: explain and predict as one TensorFlow session', () => {
  let cacheDir: string;
  let executor: TensorflowGraphExecutor;
  let model: tfl.LayersModel;
  let session: ExplainableModel;
  let opByOp: LayersModelAdapter;
  let docs: tf.Tensor4D;

  beforeAll(async () => {
    await useTensorflowBackend();
    cacheDir = mkdtempSync(join(os.tmpdir(), 'gradcam-executor-test-'));
    executor = new TensorflowGraphExecutor({ cacheDir, maxSessions: 64 });
    registerGraphExecutor(executor); // replaces the default one (same name) for this test file
    model = (await loadBundledModel('nsfw_mobilenet_v2')) as tfl.LayersModel;
    session = toExplainableModel(model);
    opByOp = new LayersModelAdapter(model, { graphExecutor: false });
    docs = images(['chelsea-224.png', 'coffee-224.png', 'rocket-224.png']);
  }, 60_000);

  afterAll(() => {
    docs?.dispose();
    rmSync(cacheDir, { recursive: true, force: true });
  });

  it('is registered for the tensorflow backend when tfjs-node loads', () => {
    expect(graphExecutorFor('tensorflow')?.name).toBe('tensorflow-session');
  });

  for (const layer of ['out_relu', 'block_9_expand', 'block_2_expand']) {
    it(`explainBatch at ${layer}: what the inference form gives op by op, for top-2 and explicit targets, probabilities and logits`, async () => {
      for (const [targets, logits] of [
        [{ top: 2 }, false],
        [[1, 4], true],
      ] as const) {
        const before = tf.memory().numTensors;
        const ours = await explainBatch(session, docs, { layer, targets, logits });
        expect(tf.memory().numTensors).toBe(before);
        const theirs = await explainBatch(opByOp, docs, { layer, targets, logits });
        for (const [i, e] of ours.entries()) {
          expect(e.targets.map((t) => t.target)).toEqual(theirs[i].targets.map((t) => t.target));
          for (const [k, p] of e.outputs.entries()) expect(Math.abs(p - theirs[i].outputs[k])).toBeLessThan(1e-5);
          for (const [j, t] of e.targets.entries()) {
            expect(Math.abs(t.score - theirs[i].targets[j].score)).toBeLessThan(1e-4);
            expect(meanAbs(t.heatmap.data, theirs[i].targets[j].heatmap.data)).toBeLessThan(layer === 'out_relu' ? 1e-5 : 1e-3);
          }
        }
      }
      expect(executor.sessions.some((s) => s.key.includes(`|capture|${layer}|`))).toBe(true);
      // Plain Grad-CAM's maps come out of the graph too.
      expect(executor.sessions.some((s) => s.key.includes(`|capture|${layer}|`) && s.key.endsWith('|gradcam'))).toBe(true);
    }, 120_000);
  }

  it('every gradient CAM method reads the session’s activations and gradients', async () => {
    for (const method of ['gradcam++', 'hirescam', 'layercam', 'xgradcam', 'eigengradcam']) {
      const ours = await explainBatch(session, docs, { method, targets: [2] });
      const theirs = await explainBatch(opByOp, docs, { method, targets: [2] });
      for (const [i, e] of ours.entries()) expect(meanAbs(e.targets[0].heatmap.data, theirs[i].targets[0].heatmap.data), method).toBeLessThan(1e-5);
    }
  }, 120_000);

  it('predict through a session equals the model’s own predict; logits are the pre-softmax scores', () => {
    const before = tf.memory().numTensors;
    const [ours, own, logits] = [session.predict?.(docs, { logits: false }), model.predict(docs) as tf.Tensor, session.predict?.(docs, { logits: true })];
    expect(meanAbs((ours as tf.Tensor).dataSync(), own.dataSync())).toBeLessThan(1e-6);
    const softmaxed = tf.softmax(logits as tf.Tensor2D);
    expect(meanAbs(softmaxed.dataSync(), own.dataSync())).toBeLessThan(1e-6);
    tf.dispose([ours as tf.Tensor, own, logits as tf.Tensor, softmaxed]);
    expect(tf.memory().numTensors).toBe(before);
    expect(executor.sessions.some((s) => s.key.includes('|predict|'))).toBe(true);
  });

  it('writes one SavedModel per graph, named by its content hash, that tfjs-node reads back', async () => {
    const dirs = readdirSync(cacheDir).filter((d) => /^[0-9a-f]{24}$/.test(d));
    expect(dirs.length).toBeGreaterThanOrEqual(executor.sessions.length > 0 ? 1 : 0);
    for (const { dir } of executor.sessions.slice(0, 2)) {
      const bytes = readFileSync(join(dir, 'saved_model.pb'));
      expect(createHash('sha256').update(bytes).digest('hex').slice(0, 24)).toBe(dir.split('/').pop());
      const nodes = decodeSavedModelNodes(bytes);
      expect(nodes.some((n) => n.op === 'Conv2D')).toBe(true);
      expect(nodes.some((n) => n.op === 'FusedBatchNormV3')).toBe(false); // folded into the weights
      const { node } = await import('@tensorflow/tfjs-node');
      const [meta] = await node.getMetaGraphsFromSavedModel(dir);
      expect(meta.tags).toEqual(['serve']);
      expect(Object.keys(meta.signatureDefs)).toEqual(['serving_default']);
      expect(meta.signatureDefs.serving_default.inputs.x.dtype).toBe('float32');
    }
  }, 60_000);

  for (const c of xcheck.cases) {
    it(`runs the graph TensorFlow ran in Python to the same numbers: ${c.name}`, () => {
      // tools/golden/tf-graph-xcheck.mjs + tf_graph_xcheck.py: the same request, the same bytes.
      const x = images(c.images);
      const before = new Set(executor.sessions.map((s) => s.key));
      const info = session.layers().find((l) => l.name === c.layer) as LayerInfo;
      const outputs: Record<string, tf.Tensor> = {};
      if (c.kind === 'predict') outputs.scores = session.predict?.(x, { logits: c.logits }) as tf.Tensor;
      const capture = c.kind === 'capture' ? session.captureBatch?.(x, info, { logits: c.logits, targets: c.targets }) : undefined;
      x.dispose();
      const made = executor.sessions.filter((s) => !before.has(s.key));
      const dir = (made[0] ?? executor.sessions.find((s) => s.key.includes(c.kind === 'predict' ? '|predict|' : `|capture|${c.layer}|`)))?.dir as string;
      const sha = createHash('sha256')
        .update(readFileSync(join(dir, 'saved_model.pb')))
        .digest('hex');
      expect(sha, 'the emitted graph changed: regenerate the fixture (see __fixtures__/README.md)').toBe(c.sha256);
      const close = (ours: tf.Tensor, theirs: { shape: number[]; sum: number; sumSquares: number; indices: number[]; values: number[] }) => {
        const v = ours.dataSync();
        expect(ours.shape).toEqual(theirs.shape);
        const scale = Math.sqrt(theirs.sumSquares / v.length) || 1;
        theirs.indices.forEach((index, k) => {
          expect(Math.abs(v[index] - theirs.values[k])).toBeLessThanOrEqual(1e-5 * scale + 1e-6);
        });
        const sumSquares = Array.from(v).reduce((s, a) => s + a * a, 0);
        expect(Math.abs(sumSquares - theirs.sumSquares) / theirs.sumSquares).toBeLessThan(1e-5);
      };
      if (capture) {
        expect(capture.targets).toEqual(c.outputs.targets);
        expect(meanAbs(capture.scores.dataSync(), c.outputs.scores.flat())).toBeLessThan(1e-6);
        close(capture.activations, c.outputs.activations);
        close(capture.gradients, c.outputs.gradients);
        capture.dispose();
      } else {
        close(outputs.scores, c.outputs.scores);
        outputs.scores.dispose();
      }
    });
  }

  it('a layer with no TensorFlow op runs op by op instead, with one notice', async () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    const conv = tfl.layers
      .conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'conv', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) })
      .apply(input);
    const norm = tfl.layers.layerNormalization({ name: 'norm' }).apply(conv) as tfl.SymbolicTensor;
    const pooled = tfl.layers.globalAveragePooling2d({}).apply(norm) as tfl.SymbolicTensor;
    const out = tfl.layers
      .dense({ units: 3, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) })
      .apply(pooled) as tfl.SymbolicTensor;
    const small = tfl.model({ inputs: input, outputs: out, name: 'small' });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 3);
    const ours = await explainBatch(small, x, { layer: 'conv' });
    await explainBatch(small, x, { layer: 'conv' });
    const theirs = await explainBatch(new LayersModelAdapter(small, { graphExecutor: false }), x, { layer: 'conv' });
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(
      /tensorflow-session cannot run small \(layer class LayerNormalization has no TensorFlow op here\); running it op by op/,
    );
    warn.mockRestore();
    expect(ours[0].targets[0].heatmap.data).toEqual(theirs[0].targets[0].heatmap.data);
    x.dispose();
    small.dispose();
  });

  it('disposing the model unloads its sessions', () => {
    expect(executor.sessions.length).toBeGreaterThan(0);
    model.dispose();
    expect(executor.sessions).toEqual([]);
  });
});
