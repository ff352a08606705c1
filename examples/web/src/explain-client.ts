import type { RgbaImage } from '@gradcam/core';
import { GradcamError, type GradcamErrorCode } from '@gradcam/core/errors';
import type {
  BackendReport,
  CatalogEntry,
  CustomModelSource,
  ErrorInfo,
  FromWorker,
  ModelSummary,
  PageBackend,
  PreprocessChoice,
  Progress,
  RenderRequest,
  RenderResult,
  ToWorker,
} from './worker-protocol';

/** Callbacks and cancellation of one job. */
export interface JobOptions {
  /** Aborting cancels the job: its promise rejects at once with the signal's reason. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: Progress) => void;
}

interface Pending {
  readonly resolve: (value: never) => void;
  readonly reject: (error: unknown) => void;
  readonly options: JobOptions;
}

/** A failure reported by the worker, as a GradcamError with the worker's code. */
function toError(info: ErrorInfo): GradcamError {
  const code = (info.code === 'ERROR' ? 'GRADCAM_ERROR' : info.code) as GradcamErrorCode;
  return new GradcamError(info.message, code);
}

/**
 * The page's side of the explain worker: sends it the image and requests, and turns its
 * messages back into promises, progress callbacks and typed errors.
 */
export class ExplainClient {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private starting?: { resolve: (value: { backend: BackendReport; models: readonly CatalogEntry[] }) => void; reject: (error: unknown) => void };

  /**
   * @param onModel receives the summary of each model the worker loads, once, whichever job
   * loaded it (also one cancelled since).
   */
  constructor(
    private readonly worker: Worker,
    private readonly onModel: (model: ModelSummary) => void = () => {},
  ) {
    worker.addEventListener('message', (event: MessageEvent<FromWorker>) => this.receive(event.data));
    worker.addEventListener('error', (event) => this.fail(new GradcamError(`The explain worker stopped: ${event.message || 'it could not load'}.`)));
  }

  /** Starts the tfjs backend in the worker; resolves with the backend report and the bundled models. */
  start(backend: PageBackend): Promise<{ backend: BackendReport; models: readonly CatalogEntry[] }> {
    return new Promise((resolve, reject) => {
      this.starting = { resolve, reject };
      this.send({ type: 'start', backend });
    });
  }

  /** Hands the worker the image later requests refer to by `key`. The image's buffer is transferred: copy it first to keep it. */
  sendImage(key: string, image: RgbaImage): void {
    this.send({ type: 'image', key, image }, [image.data.buffer]);
  }

  /** Explains and draws; the result's images are the worker's, transferred. */
  render(request: RenderRequest, options: JobOptions = {}): Promise<RenderResult> {
    return this.job((id) => ({ type: 'render', id, request }), options);
  }

  /** Loads the user's model in the worker; resolves with its summary (its key goes into render requests). */
  loadModel(source: CustomModelSource, preprocess: PreprocessChoice, options: JobOptions = {}): Promise<ModelSummary> {
    return this.job((id) => ({ type: 'load-model', id, source, preprocess }), options);
  }

  private job<T>(message: (id: number) => ToWorker, options: JobOptions): Promise<T> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: never) => void, reject, options });
      signal?.addEventListener(
        'abort',
        () => {
          if (!this.pending.delete(id)) return;
          this.send({ type: 'cancel', id });
          reject(signal.reason);
        },
        { once: true },
      );
      this.send(message(id));
    });
  }

  private send(message: ToWorker, transfer: Transferable[] = []): void {
    this.worker.postMessage(message, transfer);
  }

  private receive(message: FromWorker): void {
    if (message.type === 'started') {
      this.starting?.resolve({ backend: message.backend, models: message.models });
      return;
    }
    if (message.type === 'start-failed') {
      this.starting?.reject(toError(message.error));
      return;
    }
    if (message.type === 'model') {
      this.onModel(message.model);
      return;
    }
    const job = this.pending.get(message.id);
    if (!job) return; // a job this page no longer waits for
    switch (message.type) {
      case 'progress':
        job.options.onProgress?.(message.progress);
        return;
      case 'rendered':
        this.pending.delete(message.id);
        job.resolve(message.result as never);
        return;
      case 'model-loaded':
        this.pending.delete(message.id);
        job.resolve(message.model as never);
        return;
      case 'failed':
        this.pending.delete(message.id);
        job.reject(toError(message.error));
        return;
      case 'cancelled':
        this.pending.delete(message.id);
        job.reject(new DOMException('The job was cancelled.', 'AbortError'));
        return;
    }
  }

  private fail(error: GradcamError): void {
    this.starting?.reject(error);
    for (const job of this.pending.values()) job.reject(error);
    this.pending.clear();
  }
}
