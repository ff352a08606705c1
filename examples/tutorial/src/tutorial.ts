#!/usr/bin/env node
/**
 * The ELI5 tutorial "Explaining Keras image classifier predictions with Grad-CAM", step by step,
 * with gradcam's public API: prints what each notebook cell prints and writes each image to the
 * output folder, then report.html. Run `node dist/tutorial.js --help`.
 */
import { basename } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
// tfjs-node, the fastest backend in Node.js (the tutorial's default 'auto' picks it when it loads).
import '@gradcam/backend-node';
import {
  arrayToImg,
  type Explanation,
  encodePng,
  expandHeatmap,
  explainPrediction,
  formatAsImage,
  GradcamError,
  type GrayImage,
  type Heatmap,
  heatmapToImage,
  InvalidInputError,
  imgToArray,
  type LayerInfo,
  type LayerRef,
  type LoadedModel,
  loadImg,
  loadModel,
  type RgbaImage,
  setBackend,
  showPrediction,
  stripSoftmax,
} from 'gradcam';
import { type ModelChoice, type ModelPlan, parseOptions, planModels, type TutorialOptions, USAGE } from './options.js';
import { OutputDir } from './output-dir.js';
import { type Figure, renderReport, type StepSection } from './report.js';

/** Python's repr of a shape: `(null, 224, 224, 3)`. */
const pyShape = (shape: readonly (number | null)[]) => `(${shape.map((d) => (d === null ? 'null' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
const fixed = (x: number | undefined, digits = 4) => (x === undefined ? 'undefined (ELI5: None)' : x.toFixed(digits));
const maxOf = (h: Heatmap) => h.data.reduce((m, v) => Math.max(m, v), 0);
const meanOf = (h: Heatmap) => h.data.reduce((s, v) => s + v, 0) / h.data.length;
const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

/** Collects what each step prints and shows, printing as it goes. */
class Run {
  readonly steps: StepSection[] = [];

  constructor(
    readonly out: OutputDir,
    private readonly log: (line: string) => void,
  ) {}

  private get current(): StepSection {
    return this.steps[this.steps.length - 1];
  }

  /** Starts step `number`: prints its heading. */
  step(number: number, title: string, sideBySide = false): void {
    this.steps.push({ number, title, text: [], figures: [], sideBySide });
    this.log(`\n== Step ${number}: ${title} ==`);
  }

  print(line = ''): void {
    this.current.text.push(line);
    this.log(line);
  }

  /** Writes an image as `file` (PNG) and adds it to the current step with its caption. */
  async image(file: string, image: RgbaImage | GrayImage, caption: string, display: Omit<Figure, 'file' | 'caption'> = {}): Promise<void> {
    await this.out.write(file, encodePng(image));
    this.current.figures.push({ file, caption, ...display });
    this.print(`  wrote ${file}: ${caption}`);
  }
}

async function load(choice: ModelChoice): Promise<LoadedModel> {
  return loadModel(choice.id, choice.weights ? { weights: choice.weights } : {});
}

/** A preprocessed batch of one image for `model`, from the photo at the model's input size. */
async function prepare(model: LoadedModel, path: string): Promise<{ img: RgbaImage; doc: tf.Tensor4D }> {
  const [, height, width] = model.inputShape as [null, number, number, number];
  const img = await loadImg(path, { targetSize: [height, width] });
  const doc = tf.tidy(() => model.preprocessInput(tf.expandDims(imgToArray(img), 0))) as tf.Tensor4D;
  return { img, doc };
}

function label(model: LoadedModel, target: number): string {
  const id = model.classIds?.[target];
  return `${target} (${model.labels[target]}${id ? `, ${id}` : ''})`;
}

/** Prints the rows of the layer table (name, type, output shape, params), as `gradcam layers` does but shorter. */
function printLayers(run: Run, layers: readonly LayerInfo[], shown: ReadonlySet<number>): void {
  const row = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 4 ? c.padStart([4, 0, 0, 0, 10][i]) : c.padEnd([0, 24, 20, 22][i]))).join('  ');
  run.print(row(['#', 'name', 'type', 'output shape', 'params']));
  let skipped = false;
  for (const l of layers) {
    if (!shown.has(l.index)) {
      if (!skipped) run.print('   …');
      skipped = true;
      continue;
    }
    skipped = false;
    run.print(row([String(l.index), l.name, l.className, pyShape(l.outputShape), l.paramCount.toLocaleString('en-US')]));
  }
}

/** Steps 1–12, recorded in `run`. */
async function tutorial(options: TutorialOptions, plan: ModelPlan, run: Run): Promise<void> {
  const imagenet = plan.kind === 'imagenet';
  const photo = basename(options.image);

  run.step(1, 'Load a classifier');
  const model = await load(plan.first);
  const [, height, width] = model.inputShape as [null, number, number, number];
  run.print(`model: ${model.id} (estimator name '${model.explainable.name}'), ${model.labels.length} classes`);
  run.print(`model.input_shape: ${pyShape(model.inputShape)}`);
  run.print(`dims = (height, width) = (${height}, ${width})`);

  run.step(2, 'Load an image (load_img with the target size)');
  const { img, doc } = await prepare(model, options.image);
  run.print(`loadImg('${photo}', { targetSize: [${height}, ${width}] }) → ${img.width}×${img.height} RGBA image (nearest, as Keras)`);
  await run.image('02-load-img.png', img, `The photo ${photo} as the model sees it: resized to ${width}×${height} with nearest-neighbour (Keras load_img).`);

  run.step(3, 'Image to array, batch axis, preprocess_input');
  const array = imgToArray(img);
  run.print(`imgToArray(img).shape: ${pyShape(array.shape)}`);
  const batch = tf.expandDims(array, 0);
  run.print(`expandDims(…, 0).shape: ${pyShape(batch.shape)}`);
  tf.dispose([array, batch]);
  const [lo, hi] = tf.tidy(() => [tf.min(doc).dataSync()[0], tf.max(doc).dataSync()[0]]);
  run.print(`model.preprocessInput → shape ${pyShape(doc.shape)}, values in [${lo.toFixed(3)}, ${hi.toFixed(3)}] (${imagenet ? 'x/127.5 − 1' : 'x/255'})`);
  await run.image('03-array-to-img.png', arrayToImg(doc), 'arrayToImg(doc): the preprocessed array shown back as an image (min..max stretched to 0..255).');

  run.step(4, 'Predict and decode the top 5');
  const preds = tf.tidy(() => model.model.predict(doc) as tf.Tensor2D);
  run.print(`model.predict(doc).shape: ${pyShape(preds.shape)}`);
  const top5 = model.decodePredictions(preds, 5)[0];
  for (const p of top5) run.print(`  ${p.classId ? `${p.classId}  ` : ''}${p.label.padEnd(20)} ${p.score.toFixed(4)}`);
  run.print(`top indices: [${top5.map((p) => p.index).join(' ')}]`);
  preds.dispose();
  const top = top5[0].index;

  run.step(5, 'show_prediction: explain the top class');
  const shown = await showPrediction(model, doc);
  run.print(`showPrediction(model, doc) explains the predicted class ${label(model, top)}`);
  await run.image(
    '05-show-prediction.png',
    shown,
    `showPrediction(model, doc): Grad-CAM of the top class ${model.labels[top]} over the image (viridis, alpha ≤ 0.65).`,
  );

  run.step(6, 'Choose the target classes');
  const targets = imagenet ? [243, 282, 904, 35] : [top5[0].index, top5[1].index, top5[3].index, top5[4].index];
  const why = imagenet
    ? ['the top class (bull mastiff in the tutorial)', 'tiger cat', 'window screen (unrelated: noisy map)', 'mud turtle (unrelated: noisy map)']
    : ['the top class', 'the second class', 'the fourth class (unlikely: expect a noisier map)', 'the least likely class'];
  run.print(`explainPrediction(model, doc, { targets: [${targets.join(', ')}] }): one call, several targets (ELI5 takes one per call)`);
  const byTarget = await explainPrediction(model, doc, { targets });
  for (const [i, t] of byTarget.targets.entries()) {
    run.print(
      `  target ${label(model, t.target)}: ${why[i]}; score ${fixed(t.score)}, heatmap max ${fixed(maxOf(t.heatmap))}, mean ${fixed(meanOf(t.heatmap))}`,
    );
  }
  for (const [i, t] of byTarget.targets.entries()) {
    await run.image(
      `06-target-${t.target}-${safe(t.label ?? String(t.target))}.png`,
      formatAsImage(byTarget, { target: t.target }),
      `targets=[${t.target}]: ${t.label}, ${why[i]} (score ${t.score.toFixed(4)}).`,
    );
  }

  run.step(7, 'Choose the layer');
  const layers = model.explainable.layers();
  const defaultLayer = model.explainable.defaultLayer();
  const indexOf = (name: string) => layers.findIndex((l) => l.name === name);
  run.print(
    `${layers.length} layers, ${layers.reduce((n, l) => n + l.paramCount, 0).toLocaleString('en-US')} parameters; default Grad-CAM layer: ${defaultLayer.name}`,
  );
  const last = layers.length - 1;
  printLayers(
    run,
    layers,
    new Set([0, 1, 2, 3, defaultLayer.index, ...Array.from({ length: last - defaultLayer.index }, (_, i) => defaultLayer.index + 1 + i)]),
  );
  const conv1 = layers[indexOf('Conv_1')];
  const byIndex = indexOf('block_13_expand');
  const refs: { ref: LayerRef | undefined; given: string; file: string; note: string }[] = [
    { ref: 'block_2_expand', given: "'block_2_expand' (a name)", file: 'block_2_expand', note: 'early layer: fine, low-level map' },
    { ref: 'block_9_expand', given: "'block_9_expand' (a name)", file: 'block_9_expand', note: 'middle layer' },
    { ref: conv1, given: 'the Conv_1 layer object (a layer instance)', file: 'Conv_1', note: 'late layer: coarse, high-level map' },
    { ref: byIndex, given: `${byIndex} (an index)`, file: `index-${byIndex}`, note: 'a layer given by its index' },
    { ref: undefined, given: 'nothing (automatic choice)', file: 'auto', note: "ELI5's automatic choice" },
  ];
  for (const { ref, given, file, note } of refs) {
    const expl = await explainPrediction(model, doc, ref === undefined ? {} : { layer: ref });
    const { heatmap } = expl.targets[0];
    run.print(`  layer=${given} → ${expl.layer}: ${heatmap.height}×${heatmap.width} map, max ${fixed(maxOf(heatmap))}`);
    await run.image(
      `07-layer-${file}.png`,
      formatAsImage(expl),
      `layer = ${given} → ${expl.layer} (${heatmap.height}×${heatmap.width} map): ${note}; top class ${model.labels[top]}.`,
    );
  }

  run.step(8, 'Under the hood: explain_prediction');
  const expl = await explainPrediction(model, doc);
  printExplanation(run, expl);

  run.step(9, 'heatmap_to_image and expand_heatmap');
  const heatmap = expl.targets[0].heatmap;
  const gray = heatmapToImage(heatmap);
  run.print(`heatmapToImage(heatmap) → ${gray.width}×${gray.height} grayscale image`);
  await run.image(
    '09-heatmap-to-image.png',
    gray,
    `heatmapToImage(heatmap): the ${heatmap.width}×${heatmap.height} map as a grayscale image (shown enlarged).`,
    { displayWidth: 224, pixelated: true },
  );
  const image = expl.image as RgbaImage;
  const expanded = expandHeatmap(heatmap, image, { resamplingFilter: 'box' });
  run.print(`expandHeatmap(heatmap, image, { resamplingFilter: 'box' }) → ${expanded.width}×${expanded.height}`);
  await run.image('09-expand-heatmap-box.png', expanded, `expandHeatmap(heatmap, image, { resamplingFilter: 'box' }): scaled to the image size.`);

  run.step(10, 'format_as_image options');
  const variants: { file: string; options: Parameters<typeof formatAsImage>[1]; caption: string }[] = [
    { file: '10-format-default.png', options: {}, caption: 'formatAsImage(expl): defaults (viridis, alphaLimit 0.65, lanczos).' },
    {
      file: '10-format-alpha1-cividis.png',
      options: { alphaLimit: 1, colormap: 'cividis' },
      caption: "formatAsImage(expl, { alphaLimit: 1.0, colormap: 'cividis' }).",
    },
    { file: '10-format-lanczos.png', options: { resamplingFilter: 'lanczos' }, caption: "resamplingFilter: 'lanczos' (the default): smooth." },
    { file: '10-format-box.png', options: { resamplingFilter: 'box' }, caption: "resamplingFilter: 'box': blocky, one block per heatmap cell." },
  ];
  for (const v of variants) {
    run.print(`formatAsImage(expl, ${JSON.stringify(v.options)})`);
    await run.image(v.file, formatAsImage(expl, v.options), v.caption);
  }

  run.step(11, 'Remove softmax (logits)');
  if (!('layers' in model.model)) throw new InvalidInputError(`${model.id} is a graph model; stripSoftmax needs a layers model.`);
  const stripped = await loadModel(await stripSoftmax(model.model), { labels: model.labels });
  run.print('stripSoftmax(model.model): a new model whose last layer is linear, built in memory (no save and reload)');
  const logits = await explainPrediction(stripped, doc, { targets: [top] });
  const viaOption = await explainPrediction(model, doc, { targets: [top], logits: true });
  const soft = expl.targets[0];
  const raw = logits.targets[0];
  const diff = raw.heatmap.data.reduce((m, v, i) => Math.max(m, Math.abs(v - viaOption.targets[0].heatmap.data[i])), 0);
  run.print(`  softmax: target ${label(model, top)} score ${fixed(soft.score)} (a probability), heatmap mean ${fixed(meanOf(soft.heatmap))}`);
  run.print(`  logits:  target ${label(model, top)} score ${fixed(raw.score)} (pre-softmax), heatmap mean ${fixed(meanOf(raw.heatmap))}`);
  run.print(`  { logits: true } on the original model gives the same map (max |Δ| ${diff.toExponential(2)})`);
  await run.image(
    '11-softmax.png',
    formatAsImage(expl),
    `With softmax: score = probability ${soft.score.toFixed(4)} (heatmap mean ${meanOf(soft.heatmap).toFixed(3)}).`,
  );
  await run.image(
    '11-logits.png',
    formatAsImage(logits),
    `stripSoftmax: score = logit ${raw.score.toFixed(4)} (heatmap mean ${meanOf(raw.heatmap).toFixed(3)}).`,
  );

  run.step(12, 'Compare models', true);
  const second = await load(plan.second);
  const other = await prepare(second, options.image);
  const otherTop = second.decodePredictions(tf.tidy(() => second.model.predict(other.doc) as tf.Tensor2D))[0];
  run.print(
    `${second.id} (${second.explainable.name}): input ${pyShape(second.inputShape)}, its own preprocessInput; top: ${otherTop
      .slice(0, 3)
      .map((p) => `${p.label} ${p.score.toFixed(4)}`)
      .join(', ')}`,
  );
  // As the tutorial does: each model explains its own prediction (its own top class).
  const secondExpl = await explainPrediction(second, other.doc);
  other.doc.dispose();
  for (const [m, e] of [
    [model, expl],
    [second, secondExpl],
  ] as const) {
    const h = e.targets[0].heatmap;
    run.print(`  ${m.id}: layer ${e.layer} (${h.height}×${h.width}), target ${label(m, e.targets[0].target)} score ${fixed(e.targets[0].score)}`);
  }
  await run.image(`12-model-${safe(model.id)}.png`, formatAsImage(expl), `${model.id}, layer ${expl.layer}, target ${model.labels[top]}.`, {
    displayWidth: 299,
  });
  await run.image(
    `12-model-${safe(second.id)}.png`,
    formatAsImage(secondExpl),
    `${second.id}, layer ${secondExpl.layer}, target ${second.labels[secondExpl.targets[0].target]}.`,
    {
      displayWidth: 299,
    },
  );
  doc.dispose();
}

function printExplanation(run: Run, expl: Explanation): void {
  const t = expl.targets[0];
  run.print(`explainPrediction(model, doc) → Explanation {`);
  run.print(`  estimator: '${expl.estimator}'`);
  run.print(`  method:    '${expl.method}'`);
  run.print(`  layer:     '${expl.layer}' (backend ${expl.backend})`);
  run.print(`  image:     ${expl.image?.width}×${expl.image?.height} RGBA`);
  run.print(`  targets[0]: target ${t.target} (${t.label}), score ${fixed(t.score)}, proba ${fixed(t.proba)}`);
  run.print(`              heatmap ${t.heatmap.height}×${t.heatmap.width}, values in [0, 1], max ${maxOf(t.heatmap)}`);
  run.print('}');
  run.print('showPrediction(model, doc) is formatAsImage(explainPrediction(model, doc)).');
}

/** Runs the tutorial; resolves to the exit code (0 ok, 1 failed, 2 usage). */
export async function main(argv: readonly string[]): Promise<number> {
  let options: TutorialOptions | undefined;
  try {
    options = parseOptions(argv);
  } catch (error) {
    process.stderr.write(`tutorial: ${(error as Error).message}\n`);
    return 2;
  }
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  const started = Date.now();
  try {
    const backend = await setBackend(options.backend, { onNotice: (m) => process.stderr.write(`${m}\n`) });
    const plan = await planModels(options);
    const out = new OutputDir(options.out);
    await out.prepare();
    const log = (line: string) => process.stdout.write(`${line}\n`);
    log(`ELI5 Grad-CAM tutorial: image ${options.image}, backend ${backend}, output ${options.out}`);
    if (plan.notice) log(plan.notice);
    const run = new Run(out, log);
    await tutorial(options, plan, run);
    const intro = [
      `Image: ${basename(options.image)}. Models: ${plan.first.id} (steps 1–11) and ${plan.second.id} (step 12). Backend: ${backend}.`,
      ...(plan.notice ? [plan.notice] : []),
    ];
    await out.write('report.html', renderReport('The ELI5 Grad-CAM tutorial, step by step (gradcam)', intro, run.steps));
    log(`\nWrote ${out.written.length} files to ${options.out}; open report.html (${((Date.now() - started) / 1000).toFixed(1)} s).`);
    return 0;
  } catch (error) {
    const code = GradcamError.isInstance(error) ? ` [${(error as GradcamError).code}]` : '';
    process.stderr.write(`tutorial: ${(error as Error).message}${code}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
