import * as tf from '@tensorflow/tfjs-core';
import { explainPrediction, imgToArray, loadImg, loadModel, setBackend } from 'gradcam';

await setBackend(process.argv[2]);
const model = await loadModel('nsfw_mobilenet_v2');
const img = await loadImg(new URL('../examples/images/chelsea.png', import.meta.url).pathname, { targetSize: [224, 224] });
const doc = tf.tidy(() => model.preprocessInput(tf.expandDims(imgToArray(img), 0)));
for (const layer of process.argv.slice(3)) {
  await explainPrediction(model, doc, { layer });
  const prof = await tf.profile(async () => {
    await explainPrediction(model, doc, { layer });
  });
  const by = {};
  for (const k of prof.kernels) {
    by[k.name] ??= [0, 0];
    by[k.name][0] += k.kernelTimeMs;
    by[k.name][1]++;
  }
  const tot = Object.values(by).reduce((a, b) => a + b[0], 0);
  console.log(layer, 'kernels', prof.kernels.length, 'total kernel ms', tot.toFixed(1));
  console.log(
    Object.entries(by)
      .sort((a, b) => b[1][0] - a[1][0])
      .slice(0, 12)
      .map(([n, [t, c]]) => `${n} ${t.toFixed(1)}ms x${c}`)
      .join('\n'),
  );
  const pp = await tf.profile(async () => {
    const y = model.model.predict(doc);
    await y.data();
    y.dispose();
  });
  console.log('predict kernels', pp.kernels.length, pp.kernels.reduce((a, k) => a + k.kernelTimeMs, 0).toFixed(1));
}
