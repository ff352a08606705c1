import { type Colormap, colormapNames, OVERLAY_DEFAULTS } from '@gradcam/format';
import sampleUrl from '../../images/chelsea.png?url';
import { backendFromQuery } from './backend-plan';
import { wireCustomModelForm } from './custom-model-form';
import { element, fillSelect } from './dom';
import { ExplainClient } from './explain-client';
import { type DecodedImage, decodeImageBlob, fetchImage } from './image-source';
import { ResultView } from './result-view';
import { megabytes, middleEllipsis, shortTitle } from './text';
import type { CatalogEntry, ModelSummary, RenderResult } from './worker-protocol';

const ui = {
  drop: element<HTMLLabelElement>('drop'),
  imageInput: element<HTMLInputElement>('image-input'),
  imageName: element<HTMLParagraphElement>('image-name'),
  model: element<HTMLSelectElement>('model'),
  modelHint: element<HTMLParagraphElement>('model-hint'),
  layer: element<HTMLSelectElement>('layer'),
  layerHint: element<HTMLParagraphElement>('layer-hint'),
  colormap: element<HTMLSelectElement>('colormap'),
  alpha: element<HTMLInputElement>('alpha'),
  alphaValue: element<HTMLOutputElement>('alpha-value'),
  backend: element<HTMLElement>('backend'),
  backendReason: element<HTMLElement>('backend-reason'),
};

/** Names longer than this are shortened in the selects (they are about 300 px wide). */
const LAYER_LABEL_CHARS = 30;

/** The image the page explains (its pixels live in the worker). */
interface PageImage {
  readonly key: string;
  readonly name: string;
}

/** What the controls ask for; `layer` and `target` undefined mean the model's defaults. */
const state: { image?: PageImage; model: string; layer?: string; target?: number; colormap: Colormap; alphaLimit: number } = {
  model: '',
  colormap: OVERLAY_DEFAULTS.colormap,
  alphaLimit: OVERLAY_DEFAULTS.alphaLimit,
};

const view = new ResultView();
const catalog = new Map<string, CatalogEntry>();
const summaries = new Map<string, ModelSummary>();
const client = new ExplainClient(new Worker(new URL('./explain-worker.ts', import.meta.url), { type: 'module', name: 'gradcam-explain' }), (summary) => {
  summaries.set(summary.key, summary);
  if (summary.key === state.model) showLayers(summary);
});
let shown: RenderResult | undefined;
let backendName = '';
let job: AbortController | undefined;
let imageCount = 0;

function describeModel(key: string): string {
  const entry = catalog.get(key);
  if (entry) return `${entry.title}; ${megabytes(entry.sizeBytes)} of weights, part of this page.`;
  const summary = summaries.get(key);
  return summary ? `${summary.title}: your model, ${summary.inputSize.join('×')} px input, ${summary.classes} classes.` : '';
}

function showLayers(summary: ModelSummary | undefined): void {
  if (!summary) {
    fillSelect(ui.layer, [{ value: '', text: 'loading the model’s layers…' }], '');
    ui.layer.disabled = true;
    ui.layerHint.textContent = '';
    return;
  }
  // Names only (long ones shortened in the middle) so that they fit the select; the hint below
  // gives the full name, the layer's type and its output shape.
  const options = summary.layers.map(({ name }) => ({ value: name, text: middleEllipsis(name, LAYER_LABEL_CHARS) }));
  fillSelect(ui.layer, options, state.layer ?? summary.defaultLayer);
  for (const option of ui.layer.options) option.title = option.value;
  ui.layer.disabled = false;
  showLayerHint(summary);
}

function showLayerHint(summary: ModelSummary): void {
  const layer = summary.layers.find((candidate) => candidate.name === ui.layer.value);
  if (!layer) {
    ui.layerHint.textContent = '';
    return;
  }
  const [h, w, c] = layer.shape;
  const which = layer.name === summary.defaultLayer ? 'the default layer (the last with a spatial output)' : `default: ${summary.defaultLayer}`;
  ui.layerHint.textContent = `${layer.name}: ${layer.className}, ${h}×${w} cells × ${c} channels; ${which}.`;
}

/** Explains (or re-draws) with the current settings; a newer call cancels an older one. */
function refresh(): void {
  job?.abort();
  const image = state.image;
  if (!image || !state.model) return;
  const controller = new AbortController();
  job = controller;
  if (shown && (shown.model !== state.model || shown.imageKey !== image.key)) view.disableClasses();
  const loading = summaries.has(state.model) ? '' : ' (loading the model first)';
  view.busy(`Explaining ${image.name} with ${state.model}${loading}…`);
  client
    .render(
      { imageKey: image.key, model: state.model, layer: state.layer, target: state.target, colormap: String(state.colormap), alphaLimit: state.alphaLimit },
      {
        signal: controller.signal,
        onProgress: (progress) => view.showProgress(progress),
      },
    )
    .then(
      (result) => {
        shown = result;
        ui.layer.value = result.layer;
        const summary = summaries.get(result.model);
        if (summary) showLayerHint(summary);
        view.showResult(result, image.name, backendName, (index) => {
          state.target = index;
          refresh();
        });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return; // superseded by a newer request
        shown = undefined;
        view.showError((error as Error).message);
      },
    );
}

/** Reads a new image and explains it; the label, the overlay and the classes follow it. */
async function useImage(name: string, load: () => Promise<DecodedImage>): Promise<void> {
  const count = ++imageCount;
  job?.abort(); // a new image cancels the explanation under way
  view.busy(`Reading ${name}…`);
  let decoded: DecodedImage;
  try {
    decoded = await load();
  } catch (error) {
    if (count !== imageCount) return;
    state.image = undefined;
    shown = undefined;
    ui.imageName.textContent = `No image: ${name} could not be used.`;
    view.showError((error as Error).message);
    return;
  }
  if (count !== imageCount) return; // an even newer image arrived while this one was decoding
  const { image, sourceWidth, sourceHeight } = decoded;
  const key = `${count}:${name}`;
  state.image = { key, name };
  state.target = undefined;
  const scaled = sourceWidth !== image.width ? `, scaled down from ${sourceWidth}×${sourceHeight}` : '';
  ui.imageName.textContent = `${name} · ${image.width}×${image.height} px${scaled}`;
  shown = undefined;
  view.showImage(image, name);
  client.sendImage(key, image);
  refresh();
}

function useFile(file: File | undefined): void {
  if (file) void useImage(file.name, () => decodeImageBlob(file, file.name));
}

function selectModel(key: string): void {
  state.model = key;
  ui.model.value = key;
  state.layer = undefined;
  state.target = undefined;
  ui.modelHint.textContent = describeModel(key);
  showLayers(summaries.get(key));
  refresh();
}

function wireControls(): void {
  fillSelect(
    ui.colormap,
    colormapNames.map((name) => ({ value: name, text: name })),
    String(state.colormap),
  );
  ui.alpha.value = String(state.alphaLimit);
  ui.alphaValue.textContent = state.alphaLimit.toFixed(2);
  ui.model.addEventListener('change', () => selectModel(ui.model.value));
  ui.layer.addEventListener('change', () => {
    state.layer = ui.layer.value;
    const summary = summaries.get(state.model);
    if (summary) showLayerHint(summary);
    refresh();
  });
  ui.colormap.addEventListener('change', () => {
    state.colormap = ui.colormap.value as Colormap;
    refresh();
  });
  ui.alpha.addEventListener('input', () => {
    state.alphaLimit = Number(ui.alpha.value);
    ui.alphaValue.textContent = state.alphaLimit.toFixed(2);
    refresh();
  });
  ui.imageInput.addEventListener('change', () => {
    useFile(ui.imageInput.files?.[0]);
    ui.imageInput.value = ''; // choosing the same file again is a change too
  });
  ui.drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    ui.drop.classList.add('over');
  });
  ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
  ui.drop.addEventListener('drop', (event) => {
    event.preventDefault();
    ui.drop.classList.remove('over');
    useFile(event.dataTransfer?.files[0]);
  });
  // A file dropped next to the drop zone must not replace the page with the file.
  window.addEventListener('dragover', (event) => event.preventDefault());
  window.addEventListener('drop', (event) => event.preventDefault());
  wireCustomModelForm(client, (summary) => {
    summaries.set(summary.key, summary);
    const option = document.createElement('option');
    option.value = summary.key;
    option.textContent = `Your model: ${middleEllipsis(summary.title, LAYER_LABEL_CHARS - 8)}`;
    ui.model.append(option);
    selectModel(summary.key);
  });
}

async function start(): Promise<void> {
  wireControls();
  const { backend: requested, notice } = backendFromQuery(location.search);
  view.setStatus('loading', 'Starting the tfjs backend in a worker…');
  try {
    const { backend, models } = await client.start(requested);
    backendName = backend.name;
    ui.backend.textContent = backend.name;
    ui.backend.dataset.fellBack = String(backend.fellBack);
    ui.backendReason.textContent = `— ${notice ? `${notice} ` : ''}${backend.reason}`;
    for (const entry of models) catalog.set(entry.key, entry);
    fillSelect(
      ui.model,
      models.map((entry, i) => ({
        value: entry.key,
        text: `${shortTitle(entry.title)} · ${entry.inputSize.join('×')}${i === 0 ? ' (default)' : ''}`,
      })),
      models[0]?.key ?? '',
    );
    ui.model.disabled = false;
  } catch (error) {
    ui.backend.textContent = 'none';
    ui.backendReason.textContent = `— ${(error as Error).message}`;
    view.showError((error as Error).message);
    return;
  }
  selectModel(ui.model.value);
  await useImage('chelsea.png', () => fetchImage(sampleUrl, 'chelsea.png'));
}

void start();
