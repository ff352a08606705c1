import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type BackendName, InvalidInputError, imagenetModelInfo, listModels } from 'gradcam';

/** The command line of the tutorial script, parsed. */
export interface TutorialOptions {
  /** The photo every step explains. */
  readonly image: string;
  /** Folder the PNGs and report.html are written to. */
  readonly out: string;
  readonly backend: BackendName;
  /** Use the ImageNet models even when their weights are not cached (downloads them once). */
  readonly imagenet: boolean;
  readonly weightsMobilenet?: string;
  readonly weightsNasnet?: string;
}

/** One model the tutorial loads, with what loadModel needs. */
export interface ModelChoice {
  readonly id: string;
  /** `weights` for the ImageNet ids: 'imagenet' (cache or download) or a local .h5 path. */
  readonly weights?: string;
}

/** Which models the run uses, and why. */
export interface ModelPlan {
  readonly kind: 'imagenet' | 'bundled';
  /** Steps 1–11 (MobileNetV2 in the tutorial). */
  readonly first: ModelChoice;
  /** Step 12's second model (NASNetMobile in the tutorial). */
  readonly second: ModelChoice;
  /** Printed once when the bundled models stand in for the ImageNet ones. */
  readonly notice?: string;
}

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** The sample photo (Chelsea the cat) used when no --image is given. */
export const DEFAULT_IMAGE = resolve(HERE, '../../images/chelsea.png');
/** The default output folder, examples/tutorial/out. */
export const DEFAULT_OUT = resolve(HERE, '../out');
/** Environment variable naming a folder that holds the official Keras .h5 files. */
export const WEIGHTS_DIR_ENV = 'GRADCAM_TUTORIAL_WEIGHTS_DIR';

/** The usage text of `node dist/tutorial.js --help`. */
export const USAGE = `Usage: node dist/tutorial.js [options]

Follows the ELI5 Grad-CAM tutorial step by step, printing what each step prints and writing
its images and report.html to the output folder.

Options:
  --image PATH             photo to explain (default examples/images/chelsea.png)
  --out DIR                output folder (default examples/tutorial/out); its step PNGs and
                           report.html from an earlier run are replaced
  --backend NAME           auto (default), tensorflow, wasm, cpu
  --imagenet               use mobilenet_v2 and nasnet_mobile like the tutorial: official Keras
                           weights from the cache, downloaded once when missing
  --weights-mobilenet PATH mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224.h5
  --weights-nasnet PATH    NASNet-mobile.h5
  -h, --help               this text

${WEIGHTS_DIR_ENV}=DIR: a folder holding both official .h5 files (same as the two --weights-*).
Without ImageNet weights (cached, given or --imagenet) the bundled offline models are used.
`;

const BACKENDS: readonly BackendName[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/**
 * Parses the command line; returns undefined for --help.
 * @throws InvalidInputError for an unknown option, a bad backend, or a missing image.
 */
export function parseOptions(argv: readonly string[]): TutorialOptions | undefined {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new InvalidInputError(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (values.help) return undefined;
  const backend = (values.backend ?? 'auto') as BackendName;
  if (!BACKENDS.includes(backend)) throw new InvalidInputError(`Unknown backend '${backend}'. Valid: ${BACKENDS.join(', ')}.`);
  const image = resolve(values.image ?? DEFAULT_IMAGE);
  if (!existsSync(image)) throw new InvalidInputError(`The image '${image}' does not exist.`);
  return {
    image,
    out: resolve(values.out ?? DEFAULT_OUT),
    backend,
    imagenet: values.imagenet ?? false,
    ...(values['weights-mobilenet'] ? { weightsMobilenet: resolve(values['weights-mobilenet']) } : {}),
    ...(values['weights-nasnet'] ? { weightsNasnet: resolve(values['weights-nasnet']) } : {}),
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    // `pnpm tutorial -- --image x` passes the `--` on.
    args: argv[0] === '--' ? argv.slice(1) : [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      image: { type: 'string' },
      out: { type: 'string' },
      backend: { type: 'string' },
      imagenet: { type: 'boolean' },
      'weights-mobilenet': { type: 'string' },
      'weights-nasnet': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

/** The official Keras weight file of an ImageNet id inside `dir`; it must exist. */
function weightsIn(dir: string, id: string): string {
  const fileName = imagenetModelInfo(id)?.weights.fileName as string;
  const path = join(dir, fileName);
  if (!existsSync(path)) throw new InvalidInputError(`${WEIGHTS_DIR_ENV}=${dir} has no ${fileName} (the official Keras weights of ${id}).`);
  return path;
}

/**
 * Decides between the tutorial's ImageNet models and the bundled offline ones: ImageNet when
 * asked (--imagenet, a --weights-* path, the weights folder variable) or when both weight files
 * are already cached; otherwise the bundled models, with a notice saying why.
 */
export async function planModels(options: TutorialOptions, env: NodeJS.ProcessEnv = process.env): Promise<ModelPlan> {
  const dir = env[WEIGHTS_DIR_ENV];
  const explicit = options.imagenet || options.weightsMobilenet !== undefined || options.weightsNasnet !== undefined || Boolean(dir);
  const listing = await listModels();
  const cached = (id: string) => listing.some((m) => m.id === id && m.cached);
  if (explicit || (cached('mobilenet_v2') && cached('nasnet_mobile'))) {
    const weights = (id: string, path: string | undefined) => path ?? (dir ? weightsIn(dir, id) : 'imagenet');
    return {
      kind: 'imagenet',
      first: { id: 'mobilenet_v2', weights: weights('mobilenet_v2', options.weightsMobilenet) },
      second: { id: 'nasnet_mobile', weights: weights('nasnet_mobile', options.weightsNasnet) },
    };
  }
  return {
    kind: 'bundled',
    first: { id: 'nsfw_mobilenet_v2' },
    second: { id: 'nsfw_inception_v3' },
    notice:
      "Note: using the bundled offline models nsfw_mobilenet_v2 (steps 1-11) and nsfw_inception_v3 (step 12) instead of the tutorial's " +
      'ImageNet mobilenet_v2 and nasnet_mobile, because their official Keras weight files are not in the weight cache and none were given. ' +
      'The bundled models classify content type (Drawing, Hentai, Neutral, Porn, Sexy), not the 1000 ImageNet classes, so the targets ' +
      `below are chosen by rank. To follow the tutorial exactly pass --imagenet (downloads the weights once), --weights-mobilenet/--weights-nasnet PATH, or set ${WEIGHTS_DIR_ENV}.`,
  };
}
