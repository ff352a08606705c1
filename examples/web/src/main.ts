import { drawRgba } from '@gradcam/backend-webgl';
import * as tf from '@tensorflow/tfjs-core';
import { BUNDLED_MODEL_IDS, bundledModelInfo, type Colormap, colormapNames, formatAsImage, type LoadedModel, type Prediction, type RgbaImage } from 'gradcam';
import sampleUrl from '../../images/chelsea.png?url';
import { requestedBackend, startBackend } from './backend';
import { cellScale, rawHeatmapImage } from './heatmap-view';
import { decodeImageBlob, fetchImage } from './image-source';
import { ExplainSession, spatialLayers } from './session';

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}.`);
  return found as T;
}

const ui = {
  status: element<HTMLParagraphElement>('status'),
  backend: element<HTMLElement>('backend'),
  drop: element<HTMLLabelElement>('drop'),
  imageInput: element<HTMLInputElement>('image-input'),
  model: element<HTMLSelectElement>('model'),
  layer: element<HTMLSelectElement>('layer'),
  colormap: element<HTMLSelectElement>('colormap'),
  alpha: element<HTMLInputElement>('alpha'),
  alphaValue: element<HTMLOutputElement>('alpha-value'),
  classes: element<HTMLOListElement>('classes'),
  overlay: element<HTMLCanvasElement>('overlay'),
  overlayCaption: element<HTMLElement>('overlay-caption'),
  heatmap: element<HTMLCanvasElement>('heatmap'),
  heatmapCaption: element<HTMLElement>('heatmap-caption'),
};

/** What the controls ask for; `layer` and `target` undefined mean the model's defaults. */
const state: {
  image?: RgbaImage;
  imageKey: string;
  imageName: string;
  modelId: string;
  layer?: string;
  target?: number;
  colormap: Colormap;
  alphaLimit: number;
} = { imageKey: '', imageName: '', modelId: BUNDLED_MODEL_IDS[0], colormap: 'viridis', alphaLimit: 0.65 };

const session = new ExplainSession();
let backendName = '';
let layersShownFor = '';
let imageCount = 0;

function setStatus(kind: 'loading' | 'explaining' | 'done' | 'error', text: string): void {
  ui.status.dataset.state = kind;
  ui.status.textContent = text;
}

/** Lets the browser paint the status line before a long computation. */
function yieldToBrowser(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function fillSelect(select: HTMLSelectElement, options: readonly { value: string; text: string }[], selected: string): void {
  select.replaceChildren(
    ...options.map(({ value, text }) => {
      const option = document.createElement('option');
      option.value = value;
      option.textContent = text;
      return option;
    }),
  );
  select.value = selected;
}

function showLayers(model: LoadedModel, selected: string): void {
  const fallback = model.explainable.defaultLayer().name;
  const options = spatialLayers(model).map((layer) => {
    const [, h, w, c] = layer.outputShape;
    const mark = layer.name === fallback ? ' (default)' : '';
    return { value: layer.name, text: `${layer.name} — ${layer.className} ${h}×${w}×${c}${mark}` };
  });
  fillSelect(ui.layer, options, selected);
  layersShownFor = model.id;
}

function showClasses(top: readonly Prediction[], target: number): void {
  ui.classes.replaceChildren(
    ...top.map((prediction) => {
      const item = document.createElement('li');
      const button = document.createElement('button');
      button.type = 'button';
      button.dataset.testid = 'class-option';
      button.dataset.target = String(prediction.index);
      button.setAttribute('aria-pressed', String(prediction.index === target));
      const label = document.createElement('span');
      label.className = 'label';
      label.textContent = prediction.label;
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = prediction.score.toFixed(3);
      button.append(label, score);
      button.addEventListener('click', () => {
        state.target = prediction.index;
        refresh();
      });
      item.append(button);
      return item;
    }),
  );
}

async function renderOnce(): Promise<void> {
  const { image, imageKey, imageName } = state;
  if (!image) return;
  setStatus('loading', `Loading ${state.modelId}…`);
  await yieldToBrowser();
  const model = await session.model(state.modelId);
  if (layersShownFor !== model.id) {
    // A new model: its own default layer and predicted class.
    state.layer = undefined;
    state.target = undefined;
    showLayers(model, model.explainable.defaultLayer().name);
  }
  setStatus('explaining', `explaining… ${imageName} with ${model.id} at ${state.layer ?? ui.layer.value}`);
  await yieldToBrowser();
  const result = await session.explain({ image, imageKey, modelId: model.id, layer: state.layer, target: state.target });

  showClasses(result.top, result.target);
  const overlay = formatAsImage(result.explanation, { colormap: state.colormap, alphaLimit: state.alphaLimit });
  drawRgba(ui.overlay, overlay);
  const explained = result.explanation.targets[0];
  Object.assign(ui.overlay.dataset, {
    image: imageName,
    model: result.model.id,
    layer: result.layer,
    target: String(result.target),
    colormap: String(state.colormap),
  });
  ui.overlayCaption.textContent = `${explained.label ?? `class ${explained.target}`} (score ${explained.score.toFixed(3)}) · ${result.explanation.method} at ${result.layer}`;
  const { heatmap } = explained;
  drawRgba(ui.heatmap, rawHeatmapImage(heatmap, cellScale(Math.max(heatmap.width, heatmap.height), 224)));
  ui.heatmapCaption.textContent = `Raw heatmap, ${heatmap.width}×${heatmap.height} (black 0 … white 1)`;

  const timing = result.cached ? 'cached' : `${Math.round(result.ms)} ms`;
  ui.status.dataset.tensors = String(tf.memory().numTensors);
  setStatus('done', `${backendName} · ${result.model.id} · ${result.layer} · ${explained.label} · ${timing}`);
}

let running = false;
let dirty = false;

/** Re-renders from the current state; changes made while rendering trigger one more pass. */
function refresh(): void {
  dirty = true;
  if (running) return;
  running = true;
  void (async () => {
    try {
      while (dirty) {
        dirty = false;
        try {
          await renderOnce();
        } catch (error) {
          console.error(error);
          setStatus('error', `Error: ${(error as Error).message}`);
        }
      }
    } finally {
      running = false;
    }
  })();
}

async function useImage(name: string, load: () => Promise<RgbaImage>): Promise<void> {
  setStatus('loading', `Reading ${name}…`);
  try {
    state.image = await load();
  } catch (error) {
    setStatus('error', `Error: ${(error as Error).message}`);
    return;
  }
  state.imageName = name;
  state.imageKey = `${++imageCount}:${name}`;
  state.target = undefined;
  refresh();
}

function wireControls(): void {
  fillSelect(
    ui.model,
    BUNDLED_MODEL_IDS.map((id) => ({ value: id, text: `${id} — ${bundledModelInfo(id)?.title ?? ''}` })),
    state.modelId,
  );
  fillSelect(
    ui.colormap,
    colormapNames.map((name) => ({ value: name, text: name })),
    String(state.colormap),
  );
  ui.model.addEventListener('change', () => {
    state.modelId = ui.model.value;
    refresh();
  });
  ui.layer.addEventListener('change', () => {
    state.layer = ui.layer.value;
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
    const file = ui.imageInput.files?.[0];
    if (file) void useImage(file.name, () => decodeImageBlob(file));
  });
  ui.drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    ui.drop.classList.add('over');
  });
  ui.drop.addEventListener('dragleave', () => ui.drop.classList.remove('over'));
  ui.drop.addEventListener('drop', (event) => {
    event.preventDefault();
    ui.drop.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) void useImage(file.name, () => decodeImageBlob(file));
  });
}

async function start(): Promise<void> {
  wireControls();
  setStatus('loading', 'Starting the tfjs backend…');
  let notice = '';
  try {
    backendName = await startBackend(requestedBackend(location.search), (message) => {
      notice = message;
    });
  } catch (error) {
    setStatus('error', `Error: ${(error as Error).message}`);
    return;
  }
  ui.backend.textContent = backendName;
  if (notice) ui.backend.title = notice;
  await useImage('chelsea.png', () => fetchImage(sampleUrl));
}

void start();
