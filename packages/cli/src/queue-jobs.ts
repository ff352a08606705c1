import { stat } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import type { ExplainJobData, QueueJob } from '@gradcam/queue';
import { type LoadedModel, loadModel } from 'gradcam';
import type { AtomicWriter } from './atomic-write.js';
import { type Decoded, failureOf } from './decode-stage.js';
import type { ExplainCommandOptions } from './explain-command.js';
import { type Explained, explainInputs, resolveLayers } from './explain-stage.js';
import type { ImagePool } from './image-pool.js';
import { InputError } from './input-error.js';
import type { InputFile } from './inputs.js';
import { checkTargetOptions } from './options.js';
import { type OutputPlan, overlayPath } from './output-plan.js';
import { runPipeline } from './pipeline.js';
import type { ImageReport } from './report.js';
import { writeOutputs } from './write-stage.js';

/** The options that make an explanation besides the model and layers, carried by every job as they are. */
const SETTING_KEYS = [
  'mergeLayers',
  'target',
  'top',
  'logits',
  'method',
  'relu',
  'counterfactual',
  'normalize',
  'eigenSmooth',
  'augSmooth',
  'guided',
  'colormap',
  'alphaLimit',
  'resample',
] as const;

/** The options that make an explanation, as a job carries them (JSON; resolved once by `queue add`). */
export type JobSettings = Pick<ExplainCommandOptions, 'model' | 'weights' | 'layer' | (typeof SETTING_KEYS)[number]>;

/**
 * The settings of `queue add`'s options: the model as every worker can find it (a model.json path
 * made absolute; ids and URLs as they are) and the layers by name, as resolved on the adder.
 */
export function jobSettingsOf(options: ExplainCommandOptions, layers: readonly string[]): JobSettings {
  const isPath = /\.(json|keras|h5|hdf5)$/i.test(options.model) && !/^https?:\/\//i.test(options.model);
  const rest = Object.fromEntries(SETTING_KEYS.map((key) => [key, options[key]])) as Pick<ExplainCommandOptions, (typeof SETTING_KEYS)[number]>;
  const local = (path: string) => (isAbsolute(path) || /^https?:\/\//i.test(path) ? path : resolve(path));
  return {
    model: isPath ? local(options.model) : options.model,
    ...(options.weights === undefined ? {} : { weights: local(options.weights) }),
    layer: [...layers],
    ...rest,
  };
}

/** What a completed job stores in Redis: its report entries, one per layer. */
export interface JobResult {
  readonly reports: ImageReport[];
}

/** What a worker keeps between batches. */
export interface WorkerContext {
  readonly pool: ImagePool;
  /** The active backend (native decoders on 'tensorflow'). */
  readonly backend: string;
  /** Images per batched explanation pass; undefined: explainBatch's default. */
  readonly batchSize?: number;
  readonly timeoutMs: number;
  /** Loaded models by `settings.model` and `settings.weights`. */
  readonly models: Map<string, Promise<LoadedModel>>;
  readonly writer: AtomicWriter;
}

/** Failures that another try cannot mend: the input itself (not an image, missing, refused) or the options. */
const PERMANENT = new Set([
  'DECODE',
  'ENOENT',
  'EISDIR',
  'EACCES',
  'EPERM',
  'EINPUT',
  'INVALID_INPUT',
  'INVALID_TARGET',
  'NO_SUCH_LAYER',
  'NOT_DIFFERENTIABLE',
]);

/** The failure of one job: permanent (the queue fails it at once) or not (the queue retries it). */
function jobFailure(error: unknown, permanent: (message: string, code: string | null) => Error): Error {
  const { message, code } = failureOf(error);
  return code !== null && PERMANENT.has(code) ? permanent(message, code) : error instanceof Error ? error : new Error(message);
}

/**
 * Explains a batch of jobs with equal settings (the worker's handler): the same stages as
 * `gradcam explain` — decode in the pool, one batched explanation, draw in the pool — then each
 * job's overlays written atomically where `queue add` named them (`outputBase`), replacing what an
 * earlier try of the job left, never the job's input. Returns per job its report entries, or the
 * error (`permanent` for failures another try cannot mend).
 */
export async function explainJobs(
  ctx: WorkerContext,
  jobs: readonly QueueJob<ExplainJobData>[],
  permanent: (message: string, code: string | null) => Error,
): Promise<(JobResult | Error)[]> {
  const settings = jobs[0].data.settings as unknown as JobSettings;
  const modelKey = `${settings.model}\n${settings.weights ?? ''}`;
  let loaded: LoadedModel;
  let layers: ReturnType<typeof resolveLayers>;
  try {
    if (!ctx.models.has(modelKey))
      ctx.models.set(modelKey, loadModel(settings.model, { timeoutMs: ctx.timeoutMs, ...(settings.weights ? { weights: settings.weights } : {}) }));
    loaded = await (ctx.models.get(modelKey) as Promise<LoadedModel>);
    layers = resolveLayers(loaded, settings.layer ?? []);
    checkTargetOptions(loaded, settings.target, settings.top);
  } catch (error) {
    ctx.models.delete(modelKey); // a model that failed to load is tried again with the next batch
    return jobs.map(() => jobFailure(error, permanent));
  }
  const several = layers.length > 1 && settings.mergeLayers !== true;
  const files = new Map<InputFile, QueueJob<ExplainJobData>>();
  for (const job of jobs) {
    const file: InputFile = { path: job.data.input, display: job.data.display, subdir: '', name: basename(job.data.input), key: job.data.display };
    files.set(file, job);
  }
  const baseOf = (file: InputFile) => (files.get(file) as QueueJob<ExplainJobData>).data.outputBase;
  const plan: OutputPlan = {
    outputBase: baseOf,
    outputPath: (file, layer, target, guided) => overlayPath(baseOf(file), several ? layer : undefined, target, guided),
    guard: async () => undefined, // replaced per job below
    existingTargets: async () => [],
  };
  const results = new Map<InputFile, JobResult | Error>();
  const [height, width] = loaded.inputShape.slice(1, 3) as [number, number];
  const options = { ...settings, batchSize: ctx.batchSize } as ExplainCommandOptions;
  await runPipeline<InputFile, Decoded, Explained, { explained: Explained; pngs: Uint8Array[] }>(
    [...files.keys()],
    {
      decode: async (file) => {
        const result = await ctx.pool.decode({ path: file.path, display: file.display, size: [height, width], native: ctx.backend === 'tensorflow' });
        if (!result.ok) throw new InputError(result.message, result.code ?? 'DECODE');
        return result.value;
      },
      weigh: (decoded) => decoded.original.data.byteLength,
      explain: (batch) => explainInputs({ loaded, layers, options, plan }, batch),
      draw: async (_file, decoded, explained) => {
        const result = await ctx.pool.draw({ original: decoded.original, overlays: explained.overlays.map((o) => o.spec) });
        if (!result.ok) throw new InputError(result.message, result.code ?? 'DRAW');
        return { explained, pngs: result.value };
      },
      finish: async (file, outcome) => {
        try {
          if (!outcome.ok) throw outcome.error;
          const { explained, pngs } = outcome.value;
          const input = await inputIdentity(file.path as string);
          const guarded: OutputPlan = { ...plan, guard: (path) => refuseInput(path, input) };
          await writeOutputs(
            { writer: ctx.writer, plan: guarded, overwrite: true, written: new Map() },
            file.display,
            explained.overlays.map((o, i) => ({ path: o.path, png: pngs[i] })),
          );
          results.set(file, { reports: explained.reports });
        } catch (error) {
          results.set(file, jobFailure(error, permanent));
        }
      },
    },
    { window: jobs.length, batchSize: jobs.length, maxBytes: Number.POSITIVE_INFINITY },
  );
  return [...files.keys()].map((file) => results.get(file) ?? new Error('not processed'));
}

async function inputIdentity(path: string): Promise<string | undefined> {
  return stat(path).then(
    (s) => `${s.dev}:${s.ino}`,
    () => undefined,
  );
}

/** Throws when `path` is the job's input (the one input a worker knows of). */
async function refuseInput(path: string, input: string | undefined): Promise<void> {
  if (input !== undefined && (await inputIdentity(path)) === input) {
    throw new InputError(`writing ${path} would replace the job's input; nothing was written for it`, 'EINPUT');
  }
}
