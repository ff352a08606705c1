// Test support (not exported): the TensorFlow GradientTape fixtures of __fixtures__/README.md.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FidelityGolden } from '@gradcam/core/testing';
import { expect } from 'vitest';

/** One reference heatmap: ELI5's Grad-CAM of `target` at `layer`. */
export interface GoldenCase {
  layer: string;
  target: number;
  logits: boolean;
  score: number;
  heatmap: number[][];
}

/** One sample image with its predictions and reference cases. */
export interface GoldenImage {
  file: string;
  resized: string;
  predictions: number[];
  logits: number[];
  cases: GoldenCase[];
}

/** Absolute path of a file in __fixtures__. */
export const fixture = (name: string): string => fileURLToPath(new URL(`./__fixtures__/${name}`, import.meta.url));

/** The nsfw_mobilenet_v2 reference set. */
export const golden: { versions: Record<string, string>; images: GoldenImage[] } = JSON.parse(
  await readFile(fixture('nsfw-mobilenet-v2-gradcam.json'), 'utf8'),
);

/** Max and mean absolute difference between our map and a reference (same size asserted). */
export function differences(actual: Float32Array, expected: number[][]): { max: number; mean: number } {
  const flat = expected.flat();
  expect(actual.length).toBe(flat.length);
  let max = 0;
  let sum = 0;
  flat.forEach((v, i) => {
    const d = Math.abs(v - actual[i]);
    max = Math.max(max, d);
    sum += d;
  });
  return { max, mean: sum / flat.length };
}

/** The float64 golden set of tools/golden/fidelity_golden.py (see __fixtures__/README.md, "Fidelity"). */
export async function fidelityGolden(): Promise<FidelityGolden> {
  const index = JSON.parse(await readFile(fixture('nsfw-mobilenet-v2-fidelity.json'), 'utf8'));
  const bytes = await readFile(fixture('nsfw-mobilenet-v2-fidelity-f64.bin'));
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { ...index, values };
}
