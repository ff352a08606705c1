import { element } from './dom';
import type { ExplainClient } from './explain-client';
import type { CustomModelSource, ModelSummary, PreprocessChoice } from './worker-protocol';

/**
 * Wires "Use your own model": a model.json URL or the model's files, loaded in the worker.
 * `onLoaded` receives the model's summary once it is ready to explain with.
 */
export function wireCustomModelForm(client: ExplainClient, onLoaded: (model: ModelSummary) => void): void {
  const form = element<HTMLFormElement>('model-url-form');
  const url = element<HTMLInputElement>('model-url');
  const files = element<HTMLInputElement>('model-files');
  const preprocess = element<HTMLSelectElement>('preprocess');
  const status = element<HTMLParagraphElement>('custom-model-status');

  const load = async (source: CustomModelSource, what: string) => {
    status.dataset.state = 'busy';
    status.textContent = `Loading ${what}…`;
    try {
      const model = await client.loadModel(source, preprocess.value as PreprocessChoice);
      status.dataset.state = 'done';
      status.textContent = `Loaded ${model.title}: ${model.classes} classes, ${model.inputSize.join('×')} px input, ${model.layers.length} layers to explain.`;
      onLoaded(model);
    } catch (error) {
      status.dataset.state = 'error';
      status.textContent = `Error: ${(error as Error).message}`;
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    // Relative URLs are relative to the page (the worker lives elsewhere).
    let absolute: string;
    try {
      absolute = new URL(url.value, document.baseURI).href;
    } catch {
      status.dataset.state = 'error';
      status.textContent = `Error: '${url.value}' is not a URL.`;
      return;
    }
    void load({ kind: 'url', url: absolute }, absolute);
  });
  files.addEventListener('change', () => {
    const chosen = [...(files.files ?? [])];
    files.value = '';
    if (chosen.length > 0) void load({ kind: 'files', files: chosen }, chosen.map((file) => file.name).join(', '));
  });
}
