import { copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { packageConfig } from '../../tsup.config.base';

const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];

export default {
  ...packageConfig(['src/index.ts']),
  // dist/ carries the .wasm binaries beside index.js, where src/wasm-files.ts points bundlers.
  async onSuccess() {
    const from = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
    await Promise.all(WASM_FILES.map((name) => copyFile(join(from, name), join('dist', name))));
  },
};
