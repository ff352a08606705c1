// Test support (not exported): the TensorFlow GradientTape fixtures of __fixtures__/README.md.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
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
