import * as tf from '@tensorflow/tfjs-core';
import { explainPrediction, imgToArray, loadImg, loadModel, setBackend } from 'gradcam';

await setBackend('wasm');
const model = await loadModel('nsfw_mobilenet_v2');
const img = await loadImg(new URL('../examples/images/chelsea.png', import.meta.url).pathname, { targetSize: [224, 224] });
const doc = tf.tidy(() => model.preprocessInput(tf.expandDims(imgToArray(img), 0)));
await explainPrediction(model, doc, { layer: 'out_relu' });
const eng = tf.engine();
const orig = eng.runKernel.bind(eng);
const stacks = {};
eng.runKernel = (name, ...rest) => {
  if (name === 'Identity') {
    const s = new Error().stack
      .split('\n')
      .slice(2, 9)
      .map((l) => l.trim().replace(/\(.*node_modules\/.pnpm\/[^/]+\/node_modules\//, '('))
      .join(' | ');
    stacks[s] = (stacks[s] ?? 0) + 1;
  }
  return orig(name, ...rest);
};
await explainPrediction(model, doc, { layer: 'out_relu' });
for (const [s, n] of Object.entries(stacks)
  .sort((a, b) => b[1] - a[1])
  .slice(0, 4))
  console.log(n, s, '\n');
