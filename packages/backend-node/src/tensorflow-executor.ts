import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { BatchCapture } from '@gradcam/core';
import { type GraphCaptureRequest, type GraphExecutor, type InferenceGraph, scoreNode } from '@gradcam/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import { type EmittedGraph, emitCapture, emitPredict, unsupportedNode } from './explain-graph.js';
import { encodeSavedModel } from './tf-protos.js';
import { type NodeBackendInternals, nodeBackendInternals, type SessionInput } from './tfjs-node-internals.js';

/** TensorFlow 2.21's GRAPH_DEF_VERSION, the producer version of the graphs written here. */
const GRAPH_DEF_VERSION = 2474;

/** Options of the TensorFlow session executor. */
export interface TensorflowExecutorOptions {
  /**
   * Where SavedModels are written, one folder per graph named by its content hash: default
   * `$GRADCAM_CACHE/tf-graphs`, else `<tmpdir>/gradcam-tf-graphs`.
   */
  readonly cacheDir?: string;
  /** Sessions kept loaded (least recently used first out); default 8. */
  readonly maxSessions?: number;
  /** SavedModel folders kept in `cacheDir` (least recently used first out); default 32. */
  readonly maxCached?: number;
}

interface Session {
  readonly id: number;
  readonly graphId: string;
  /** The SavedModel folder. */
  readonly dir: string;
  readonly inputs: Record<string, SessionInput>;
  readonly outputs: string[];
}

/** The default SavedModel folder. */
export function defaultGraphCacheDir(env: Record<string, string | undefined> = process.env): string {
  return env.GRADCAM_CACHE ? join(env.GRADCAM_CACHE, 'tf-graphs') : join(os.tmpdir(), 'gradcam-tf-graphs');
}

/**
 * Runs inference graphs on the 'tensorflow' backend as TensorFlow graphs: each (graph,
 * explained node, targets, logits) becomes one GraphDef — the forward pass, TensorFlow's own
 * gradient ops back to the explained node, the weights as constants — saved as a TF1-style
 * SavedModel (tag 'serve', signature 'serving_default') in a cache folder named by its content
 * hash, and loaded once into a session, where Grappler folds, fuses (Conv2D + BiasAdd + Relu6 →
 * _FusedConv2D) and schedules it. One session run per explain or predict call.
 */
export class TensorflowGraphExecutor implements GraphExecutor {
  readonly name = 'tensorflow-session';
  readonly backend = 'tensorflow';
  readonly #cacheDir: string;
  readonly #maxSessions: number;
  readonly #maxCached: number;
  /** Loaded sessions by key, least recently used first. */
  readonly #sessions = new Map<string, Session>();

  constructor(options: TensorflowExecutorOptions = {}) {
    this.#cacheDir = options.cacheDir ?? defaultGraphCacheDir();
    this.#maxSessions = options.maxSessions ?? 8;
    this.#maxCached = options.maxCached ?? 32;
  }

  unsupported(graph: InferenceGraph): string | undefined {
    const internals = nodeBackendInternals();
    if ('reason' in internals) return internals.reason;
    const byName = new Map(graph.nodes.map((n) => [n.name, n]));
    for (const node of graph.nodes) {
      const reason = unsupportedNode(node, byName);
      if (reason) return reason;
    }
    return undefined;
  }

  #internals(): NodeBackendInternals {
    const internals = nodeBackendInternals();
    if ('reason' in internals) throw new Error(internals.reason);
    return internals.backend;
  }

  /** The session for `key`, built by `emit` (and written to the cache folder) on first use. */
  #session(key: string, graphId: string, emit: () => EmittedGraph): Session {
    const known = this.#sessions.get(key);
    if (known) {
      this.#sessions.delete(key);
      this.#sessions.set(key, known);
      return known;
    }
    const backend = this.#internals();
    const emitted = emit();
    const bytes = encodeSavedModel({ nodes: emitted.nodes, producer: GRAPH_DEF_VERSION, inputs: emitted.inputs, outputs: emitted.outputs });
    const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 24);
    const dir = join(this.#cacheDir, hash);
    if (existsSync(join(dir, 'saved_model.pb'))) {
      const now = new Date();
      utimesSync(dir, now, now); // most recently used: pruned last
    } else {
      // Written under a temporary name and renamed: a reader never sees half a file.
      const partial = `${dir}.${process.pid}.partial`;
      mkdirSync(partial, { recursive: true });
      writeFileSync(join(partial, 'saved_model.pb'), bytes);
      try {
        renameSync(partial, dir);
      } catch (error) {
        rmSync(partial, { recursive: true, force: true });
        if (!existsSync(join(dir, 'saved_model.pb'))) throw error;
      }
      this.#prune(dir);
    }
    const id = backend.loadSavedModelMetaGraph(dir, 'serve');
    const inputs = Object.fromEntries(
      Object.entries(emitted.inputs).map(([k, v]) => [k, { name: v.name, tfDtype: v.dtype === 1 ? 'DT_FLOAT' : 'DT_INT32' } as SessionInput]),
    );
    const session: Session = { id, graphId, dir, inputs, outputs: Object.values(emitted.outputs).map((o) => o.name) };
    this.#sessions.set(key, session);
    while (this.#sessions.size > this.#maxSessions) {
      const [oldest, evicted] = this.#sessions.entries().next().value as [string, Session];
      this.#sessions.delete(oldest);
      backend.deleteSavedModel(evicted.id);
    }
    return session;
  }

  /** Deletes the least recently used SavedModel folders beyond maxCached (never `keep`). */
  #prune(keep: string): void {
    const entries = readdirSync(this.#cacheDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && /^[0-9a-f]{24}$/.test(e.name))
      .map((e) => ({ path: join(this.#cacheDir, e.name), used: statSync(join(this.#cacheDir, e.name)).mtimeMs }))
      .sort((a, b) => a.used - b.used);
    for (const old of entries.slice(0, Math.max(0, entries.length - this.#maxCached))) {
      if (old.path !== keep) rmSync(old.path, { recursive: true, force: true });
    }
  }

  /** The loaded sessions, least recently used first: their keys and SavedModel folders (for diagnostics). */
  get sessions(): { key: string; dir: string }[] {
    return [...this.#sessions].map(([key, session]) => ({ key, dir: session.dir }));
  }

  #run(session: Session, feeds: Record<string, tf.Tensor>): tf.Tensor[] {
    const names = Object.keys(session.inputs);
    return this.#internals().runSavedModel(
      session.id,
      names.map((n) => feeds[n]),
      names.map((n) => session.inputs[n]),
      session.outputs,
    );
  }

  predict(graph: InferenceGraph, batch: tf.Tensor4D, options: { readonly logits: boolean }): tf.Tensor2D {
    const score = scoreNode(graph, options.logits) as string;
    const session = this.#session(`${graph.id}|predict|${score}|n${batch.shape[0]}`, graph.id, () => emitPredict(graph, score, batch.shape[0]));
    return this.#run(session, { x: batch })[0] as tf.Tensor2D;
  }

  captureBatch(graph: InferenceGraph, docs: tf.Tensor4D, request: GraphCaptureRequest): BatchCapture {
    const score = scoreNode(graph, request.logits) as string;
    const ids = Array.isArray(request.targets) ? (request.targets as readonly number[]) : undefined;
    const k = ids?.length ?? (request.targets as { top: number }).top;
    const n = docs.shape[0];
    const key = `${graph.id}|capture|${request.node}|${score}|${ids ? 'ids' : 'top'}${k}|n${n}${request.maps ? `|${request.maps}` : ''}`;
    const session = this.#session(key, graph.id, () =>
      emitCapture(graph, { node: request.node, score, k, top: ids === undefined, batch: n, maps: request.maps }),
    );
    const feeds: Record<string, tf.Tensor> = { x: docs };
    if (ids)
      feeds.targets = tf.tensor2d(
        Int32Array.from({ length: n * k }, (_, i) => ids[i % k]),
        [n, k],
        'int32',
      );
    let outputs: tf.Tensor[];
    try {
      outputs = this.#run(session, feeds);
    } finally {
      feeds.targets?.dispose();
    }
    const [activations, scores, targetTensor, gradients, maps] = outputs as [tf.Tensor4D, tf.Tensor2D, tf.Tensor2D, tf.Tensor4D, tf.Tensor3D | undefined];
    const picked = targetTensor.dataSync();
    targetTensor.dispose();
    const targets = Array.from({ length: n }, (_, i) => Array.from(picked.subarray(i * k, (i + 1) * k)));
    const modelOutputs = request.logits ? tf.softmax(scores) : scores.clone();
    return {
      activations,
      scores,
      outputs: modelOutputs,
      targets,
      gradients,
      ...(maps ? { maps } : {}),
      dispose: () => tf.dispose([activations, scores, modelOutputs, gradients, ...(maps ? [maps] : [])]),
    };
  }

  /** Unloads the sessions of a graph, and of the per-layer graphs whose ids extend it ('m0.1' → 'm0.1:out_relu'). */
  release(graphId: string): void {
    const backend = nodeBackendInternals();
    for (const [key, session] of [...this.#sessions]) {
      if (session.graphId !== graphId && !session.graphId.startsWith(`${graphId}:`)) continue;
      this.#sessions.delete(key);
      if ('backend' in backend) backend.backend.deleteSavedModel(session.id);
    }
  }
}
