import { mulberry32 } from '@gradcam/core/internals';
import jpeg from 'jpeg-js';
import pngjs from 'pngjs';

/** How a fuzzed file was damaged. */
export type Mutation = 'bit-flip' | 'truncate' | 'zero-bytes' | 'giant-size' | 'random-bytes';

/** A named encoded image, the input of `mutateImages`. */
export interface SeedImage {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** One damaged file of the corpus. */
export interface MutatedImage extends SeedImage {
  /** The seed image it was made from. */
  readonly seed: string;
  readonly mutation: Mutation;
}

/** Options of `mutateImages`. */
export interface MutateOptions {
  /** PRNG seed: the same seed gives the same corpus. Default 1. */
  readonly seed?: number;
  /** Images to damage; default `fuzzSeedImages()`. */
  readonly seeds?: readonly SeedImage[];
}

const MUTATIONS: readonly Mutation[] = ['bit-flip', 'truncate', 'zero-bytes', 'giant-size', 'random-bytes'];

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const isPng = (bytes: Uint8Array) => bytes[0] === 0x89 && bytes[1] === 0x50;

/**
 * Rewrites every PNG chunk's CRC, so a mutation reaches the inflater and the filters instead of
 * stopping at the checksum. Stops at the first chunk whose length runs past the end.
 */
function fixPngCrcs(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  while (p + 12 <= bytes.length) {
    const len = view.getUint32(p);
    if (p + 12 + len > bytes.length) return;
    view.setUint32(p + 8 + len, crc32(bytes.subarray(p + 4, p + 8 + len)));
    p += 12 + len;
  }
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A little-endian TIFF block with one IFD entry: Orientation = `value`. */
function exifOrientation(value: number): Uint8Array {
  const tiff = new Uint8Array(26);
  const view = new DataView(tiff.buffer);
  tiff.set([0x49, 0x49, 0x2a, 0x00]);
  view.setUint32(4, 8, true);
  view.setUint16(8, 1, true);
  view.setUint16(10, 0x0112, true);
  view.setUint16(12, 3, true);
  view.setUint32(14, 1, true);
  view.setUint16(18, value, true);
  return tiff;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function pattern(width: number, height: number, channels: number, max: number, random: () => number): number[] {
  const out: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) out.push(Math.floor(((x * 7 + y * 13 + c * 50) % 256) * (max / 255) * (0.8 + 0.2 * random())));
    }
  }
  return out;
}

function encodePngVariant(width: number, height: number, colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16, random: () => number): Uint8Array {
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  const png = new pngjs.PNG({ width, height, colorType, inputColorType: colorType, bitDepth, inputHasAlpha: colorType >= 4 });
  const values = pattern(width, height, channels, bitDepth === 16 ? 65535 : 255, random);
  if (bitDepth === 16) {
    const data = Buffer.alloc(values.length * 2);
    for (const [i, v] of values.entries()) data.writeUInt16BE(v, i * 2);
    png.data = data;
  } else {
    png.data = Buffer.from(values);
  }
  const written = pngjs.PNG.sync.write(png, { colorType, inputColorType: colorType, bitDepth, inputHasAlpha: colorType >= 4 });
  return new Uint8Array(written.buffer, written.byteOffset, written.byteLength);
}

function encodeJpeg(width: number, height: number, quality: number, random: () => number): Uint8Array {
  const data = Buffer.from(pattern(width, height, 4, 255, random));
  const { data: out } = jpeg.encode({ data, width, height }, quality);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Small valid PNG (RGB, RGBA, 16-bit gray, gray+alpha, one with an eXIf orientation chunk) and
 * JPEG (two sizes and qualities, one with an EXIF orientation segment) files to damage: small,
 * so thousands decode in seconds, and varied, so the damage reaches every decoder path.
 */
export function fuzzSeedImages(): SeedImage[] {
  const random = mulberry32(7);
  const rgb = encodePngVariant(40, 30, 2, 8, random);
  // eXIf goes before IDAT: right after IHDR (8-byte signature + 25-byte IHDR chunk).
  const withExif = concat(rgb.subarray(0, 33), pngChunk('eXIf', exifOrientation(6)), rgb.subarray(33));
  const jpg = encodeJpeg(40, 30, 90, random);
  const exifSegment = concat(Uint8Array.of(0xff, 0xe1, 0, 8 + 26), new TextEncoder().encode('Exif\0\0'), exifOrientation(8));
  return [
    { name: 'rgb8.png', bytes: rgb },
    { name: 'rgba8.png', bytes: encodePngVariant(33, 17, 6, 8, random) },
    { name: 'gray16.png', bytes: encodePngVariant(24, 24, 0, 16, random) },
    { name: 'graya8.png', bytes: encodePngVariant(16, 20, 4, 8, random) },
    { name: 'exif6.png', bytes: withExif },
    { name: 'q90.jpg', bytes: jpg },
    { name: 'q50-odd.jpg', bytes: encodeJpeg(17, 9, 50, random) },
    { name: 'exif8.jpg', bytes: concat(jpg.subarray(0, 2), exifSegment, jpg.subarray(2)) },
  ];
}

/** Offsets of the width and height fields: PNG IHDR, or the JPEG SOF segment. */
function sizeFields(bytes: Uint8Array): { at: number; bytes: 2 | 4 } | undefined {
  if (isPng(bytes)) return bytes.length >= 24 ? { at: 16, bytes: 4 } : undefined;
  let p = 2;
  while (p + 9 <= bytes.length && bytes[p] === 0xff) {
    const marker = bytes[p + 1];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { at: p + 5, bytes: 2 };
    p += 2 + ((bytes[p + 2] << 8) | bytes[p + 3]);
  }
  return undefined;
}

// Declared [width, height]: far over any limit, just under Pillow's default limit, empty, absurd.
const PNG_SIZES: readonly [number, number][] = [
  [65535, 65535],
  [0x7fffffff, 1],
  [1, 0xffffffff],
  [9000, 9000],
  [0, 30],
  [100000, 100000],
];
const JPEG_SIZES: readonly [number, number][] = [
  [65535, 65535],
  [9000, 9000],
  [0, 0],
  [65535, 1],
  [1, 65535],
];

function mutate(seed: Uint8Array, mutation: Mutation, random: () => number): Uint8Array {
  const int = (n: number) => Math.floor(random() * n);
  // Headers hold most of the structure: aim half the damage at the first 128 bytes.
  const offset = () => (random() < 0.5 ? int(Math.min(128, seed.length)) : int(seed.length));
  let out = Uint8Array.from(seed);
  switch (mutation) {
    case 'bit-flip':
      for (let k = 1 + int(8); k > 0; k--) out[offset()] ^= 1 << int(8);
      break;
    case 'truncate':
      out = out.slice(0, int(seed.length));
      break;
    case 'zero-bytes': {
      const at = offset();
      out.fill(0, at, at + 1 + int(64));
      break;
    }
    case 'random-bytes': {
      const at = offset();
      for (let i = at; i < Math.min(out.length, at + 1 + int(16)); i++) out[i] = int(256);
      break;
    }
    case 'giant-size': {
      const field = sizeFields(out);
      if (!field) break;
      const view = new DataView(out.buffer);
      if (field.bytes === 4) {
        const [w, h] = PNG_SIZES[int(PNG_SIZES.length)];
        view.setUint32(field.at, w >>> 0);
        view.setUint32(field.at + 4, h >>> 0);
      } else {
        // SOF: precision(1) height(2) width(2)
        const [w, h] = JPEG_SIZES[int(JPEG_SIZES.length)];
        view.setUint16(field.at, h);
        view.setUint16(field.at + 2, w);
      }
      break;
    }
  }
  // Half of the damaged PNGs get valid CRCs again, so the damage gets past the checksums.
  if (isPng(out) && random() < 0.5) fixPngCrcs(out);
  return out;
}

/**
 * A deterministic corpus of `count` damaged image files for decoder fuzzing: each seed image in
 * turn, with bit flips, truncation, runs of zero bytes, giant (or zero) declared sizes, or runs
 * of random bytes. Names are `<index>-<mutation>-<seed name>`, keeping the seed's extension.
 */
export function mutateImages(count: number, options: MutateOptions = {}): MutatedImage[] {
  const random = mulberry32(options.seed ?? 1);
  const seeds = options.seeds ?? fuzzSeedImages();
  return Array.from({ length: count }, (_, i) => {
    const seed = seeds[i % seeds.length];
    const mutation = MUTATIONS[Math.floor(i / seeds.length) % MUTATIONS.length];
    const name = `${String(i).padStart(4, '0')}-${mutation}-${seed.name}`;
    return { name, seed: seed.name, mutation, bytes: mutate(seed.bytes, mutation, random) };
  });
}
