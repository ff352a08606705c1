import { BUNDLED_MODEL_IDS, bundledModelInfo } from '@gradcam/models';

/** One model gradcam knows by id, as `gradcam models` lists it. */
export interface ModelListing {
  readonly id: string;
  /** 'bundled': ships inside an npm package, offline; 'imagenet': official Keras weights, downloaded and cached. */
  readonly source: 'bundled' | 'imagenet';
  /** Number of output classes. */
  readonly classes: number;
  /** Input height and width. */
  readonly inputSize: [number, number];
  /** Size of the weight files on disk, in bytes (0 when they are not there). */
  readonly sizeBytes: number;
  /** True when the weights are on this machine, so loading needs no network. */
  readonly cached: boolean;
  readonly description: string;
}

/**
 * The nsfwjs package subpath that holds each bundled model's weights; its shards live in
 * `nsfwjs/dist/models/<subpath>/group*-shard*.min.js`.
 */
const NSFWJS_SUBPATHS: Readonly<Record<string, string>> = {
  nsfw_mobilenet_v2: 'mobilenet_v2',
  nsfw_mobilenet_v2_mid: 'mobilenet_v2_mid',
  nsfw_inception_v3: 'inception_v3',
};

/** Bytes of the weight shards of one bundled model on disk; 0 when they cannot be found (or outside Node). */
async function bundledWeightBytes(id: string): Promise<number> {
  const subpath = NSFWJS_SUBPATHS[id];
  if (subpath === undefined || typeof process === 'undefined' || typeof process.versions?.node !== 'string') return 0;
  try {
    const { createRequire } = await import('node:module');
    const { readdir, realpath, stat } = await import('node:fs/promises');
    const { join } = await import('node:path');
    // nsfwjs is a dependency of @gradcam/models, not of this package, so resolve it from there.
    // @gradcam/models exports ESM only (require.resolve cannot name it) and vitest has no
    // import.meta.resolve, so look for it along node_modules the way Node does.
    const here = createRequire(import.meta.url);
    let modelsPackage: string | undefined;
    for (const dir of here.resolve.paths('@gradcam/models') ?? []) {
      const candidate = join(dir, '@gradcam', 'models', 'package.json');
      if (
        await stat(candidate).then(
          () => true,
          () => false,
        )
      ) {
        modelsPackage = await realpath(candidate);
        break;
      }
    }
    if (modelsPackage === undefined) return 0;
    const entry = createRequire(modelsPackage).resolve(`nsfwjs/models/${subpath}`); // …/nsfwjs/dist/cjs/models/<subpath>.js
    const directory = join(entry.slice(0, entry.lastIndexOf(`${join('dist', 'cjs')}`)), 'dist', 'models', subpath);
    const shards = (await readdir(directory)).filter((name) => /^group\d+-shard\d+of\d+/.test(name));
    const sizes = await Promise.all(shards.map(async (name) => (await stat(join(directory, name))).size));
    return sizes.reduce((a, b) => a + b, 0);
  } catch {
    return 0;
  }
}

/**
 * Lists the models `loadModel` knows by id, with where their weights come from and whether
 * they are on this machine. Today: the bundled offline models.
 */
export async function listModels(): Promise<ModelListing[]> {
  return Promise.all(
    BUNDLED_MODEL_IDS.map(async (id) => {
      const info = bundledModelInfo(id);
      if (info === undefined) throw new Error(`bundled model '${id}' has no description`); // cannot happen: ids come from the same table
      const sizeBytes = await bundledWeightBytes(id);
      return {
        id,
        source: 'bundled' as const,
        classes: info.labels.length,
        inputSize: [info.inputSize[0], info.inputSize[1]] as [number, number],
        sizeBytes,
        cached: sizeBytes > 0,
        description: `${info.title}; ${info.source}`,
      };
    }),
  );
}
