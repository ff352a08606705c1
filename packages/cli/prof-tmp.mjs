import { readFileSync } from 'node:fs';
import { decodeImage, encodePng, formatHeatmap, loadImg } from '@gradcam/format';

const bytes = new Uint8Array(readFileSync('/tmp/f52/a-astronaut.png'));
const heat = { width: 7, height: 7, data: Float32Array.from({ length: 49 }, (_, k) => (k % 10) / 9) };
const t = (name, fn, n = 10) => {
  fn();
  const t0 = performance.now();
  let r;
  for (let i = 0; i < n; i++) r = fn();
  console.log(name, ((performance.now() - t0) / n).toFixed(1), 'ms');
  return r;
};
const img = t('decode png', () => decodeImage(bytes));
t('loadImg 224', () => loadImg(img, { targetSize: [224, 224] }));
const over = t('formatHeatmap', () => formatHeatmap(heat, img));
t('encodePng', () => encodePng(over));
