#!/usr/bin/env node
// Smoke test for a native @tensorflow/tfjs-node install (see scripts/offline-tfjs-node).
// Usage: node scripts/offline-tfjs-node.verify.cjs [dir-whose-node_modules-has-tfjs-node]
'use strict';
const assert = require('node:assert');
const zlib = require('node:zlib');

const from = require('node:path').resolve(process.argv[2] || '.');
const tf = require(require.resolve('@tensorflow/tfjs-node', { paths: [from] }));
assert.strictEqual(tf.getBackend(), 'tensorflow');

// conv2d forward
const x = tf.randomNormal([1, 8, 8, 3]);
const w = tf.randomNormal([3, 3, 3, 4]);
assert.deepStrictEqual(tf.conv2d(x, w, 1, 'same').shape, [1, 8, 8, 4]);

// gradient through conv2d + depthwiseConv2d (what Grad-CAM needs)
const dw = tf.randomNormal([3, 3, 4, 1]);
const f = (inp) => tf.depthwiseConv2d(tf.relu(tf.conv2d(inp, w, 1, 'same')), dw, 1, 'same').mean();
const g = tf.grad(f)(x);
assert.deepStrictEqual(g.shape, [1, 8, 8, 3]);
assert.ok(g.abs().sum().dataSync()[0] > 0, 'gradient is all zeros');

// decodeImage on a PNG written here by hand (2x1 RGB: red, blue)
const crc = (buf) => {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
};
const chunk = (type, data) => {
  const td = Buffer.concat([Buffer.from(type), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const sum = Buffer.alloc(4);
  sum.writeUInt32BE(crc(td));
  return Buffer.concat([len, td, sum]);
};
const ihdr = Buffer.from([0, 0, 0, 2, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
const raw = Buffer.from([0, 255, 0, 0, 0, 0, 255]);
const png = Buffer.concat([
  Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
  chunk('IHDR', ihdr),
  chunk('IDAT', zlib.deflateSync(raw)),
  chunk('IEND', Buffer.alloc(0)),
]);
const img = tf.node.decodeImage(png, 3);
assert.deepStrictEqual(img.shape, [1, 2, 3]);
assert.deepStrictEqual(Array.from(img.dataSync()), [255, 0, 0, 0, 0, 255]);

console.log(`tfjs-node OK: backend=${tf.getBackend()} tfjs=${tf.version.tfjs} ` + `libtensorflow=${tf.backend().binding.TF_Version}`);
