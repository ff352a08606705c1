import type { RgbaImage } from '@gradcam/core';
import { DecodeError, InvalidInputError } from '@gradcam/core/errors';
import { importNodeBuiltin } from '@gradcam/core/node-builtin';
import { boundedFetch, DEFAULT_MAX_IMAGE_BYTES, deadlineIn, readRegularFile } from '@gradcam/io';
import { type DecodeOptions, decodeImage } from './codecs';
import { type ResamplingFilter, type ResizeBox, resize, resolveResamplingFilter } from './resample';

/** Options of `loadImg`, named after Keras' `load_img` arguments, plus the bounds of reading. */
export interface LoadImgOptions extends DecodeOptions {
  /** Most bytes of a file or URL; more is refused before decoding. Default 256 MiB (DEFAULT_MAX_IMAGE_BYTES). */
  readonly maxBytes?: number;
  /** URLs: milliseconds without progress before giving up. Default 30 s. */
  readonly timeoutMs?: number;
  /** URLs: milliseconds the whole download may take. Default 10 min. */
  readonly deadlineMs?: number;
  /** Output size as Keras writes it: [height, width]. Default: keep the decoded size. */
  readonly targetSize?: readonly [number, number];
  /** Resampling filter for `targetSize`; default 'nearest' (Keras' default). */
  readonly interpolation?: ResamplingFilter;
  /** Centre-crop to the target aspect ratio before resizing (Keras' `keep_aspect_ratio`). */
  readonly keepAspectRatio?: boolean;
}

/** What `loadImg` reads: a file path or URL, the encoded bytes, or an image already decoded. */
export type ImageSource = string | URL | Uint8Array | ArrayBuffer | RgbaImage;

function isDecoded(source: ImageSource): source is RgbaImage {
  return typeof source === 'object' && 'data' in source && 'width' in source;
}

// `name` is set for paths and URLs, so errors can say which file failed.
async function readSource(source: Exclude<ImageSource, RgbaImage>, options: LoadImgOptions): Promise<{ bytes: Uint8Array; name?: string }> {
  if (source instanceof Uint8Array) return { bytes: source };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source) };
  const isUrl = source instanceof URL;
  if (typeof source !== 'string' && !isUrl) {
    throw new InvalidInputError(`loadImg needs a path, URL, Uint8Array or ArrayBuffer, got ${Object.prototype.toString.call(source)}.`);
  }
  const name = String(source);
  const limits = { error: DecodeError, maxBytes: options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES };
  if (/^(https?|data|blob):/i.test(name)) {
    const { bytes } = await boundedFetch(name, { ...limits, what: 'the image', timeoutMs: options.timeoutMs, deadline: deadlineIn(options.deadlineMs) });
    return { bytes, name };
  }
  if (isUrl && source.protocol !== 'file:') throw new InvalidInputError(`loadImg reads http(s), data, blob and file URLs; got '${name}'.`);
  let url: typeof import('node:url');
  try {
    url = await importNodeBuiltin<typeof url>('node:url');
  } catch (err) {
    throw new InvalidInputError(`Cannot read '${name}': file paths need Node.js; in a browser pass the bytes (Uint8Array) or an http(s) URL.`, { cause: err });
  }
  const path = isUrl ? url.fileURLToPath(source) : name;
  return { bytes: await readRegularFile(path, { ...limits, what: 'the image file', name }), name };
}

function checkTargetSize(targetSize: unknown): [number, number] {
  const ok = Array.isArray(targetSize) && targetSize.length === 2 && targetSize.every((v) => Number.isInteger(v) && v > 0);
  if (!ok) {
    throw new InvalidInputError(`targetSize must be [height, width] positive integers, got ${JSON.stringify(targetSize)}.`);
  }
  return targetSize as [number, number];
}

/** Keras' centre crop for `keep_aspect_ratio`, in its integer arithmetic. */
function aspectCropBox(width: number, height: number, targetW: number, targetH: number): ResizeBox {
  const cropH = Math.min(height, Math.floor((width * targetH) / targetW));
  const cropW = Math.min(width, Math.floor((height * targetW) / targetH));
  const y0 = Math.floor((height - cropH) / 2);
  const x0 = Math.floor((width - cropW) / 2);
  return [x0, y0, x0 + cropW, y0 + cropH];
}

async function decodeSource(source: Exclude<ImageSource, RgbaImage>, options: LoadImgOptions): Promise<RgbaImage> {
  const { bytes, name } = await readSource(source, options);
  try {
    return decodeImage(bytes, options);
  } catch (err) {
    if (DecodeError.isInstance(err) && name !== undefined) {
      throw new DecodeError(`${err.message.replace(/\.$/, '')} (file '${name}').`, { cause: err });
    }
    throw err;
  }
}

/**
 * Keras' `load_img(path, target_size, interpolation)`: decode, `convert('RGB')` (alpha set to
 * 255, colour kept), then Pillow's resize to [height, width] when the size differs. An already
 * decoded RgbaImage skips the decoding (and is not modified), so a caller that needs both the
 * original and the model input decodes once.
 * @throws DecodeError for unreadable files (naming the path) or undecodable data;
 * InvalidInputError for bad options.
 */
export async function loadImg(source: ImageSource, options: LoadImgOptions = {}): Promise<RgbaImage> {
  const target = options.targetSize === undefined ? undefined : checkTargetSize(options.targetSize);
  const filter = resolveResamplingFilter(options.interpolation ?? 'nearest');
  const img = isDecoded(source)
    ? { width: source.width, height: source.height, data: Uint8ClampedArray.from(source.data) }
    : await decodeSource(source, options);
  const rgb = img.data;
  for (let i = 3; i < rgb.length; i += 4) rgb[i] = 255;
  if (!target) return img;
  const [h, w] = target;
  if (img.width === w && img.height === h) return img;
  const box = options.keepAspectRatio ? aspectCropBox(img.width, img.height, w, h) : undefined;
  return resize(img, { width: w, height: h }, filter, { box });
}
