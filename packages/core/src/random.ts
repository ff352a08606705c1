/**
 * Seeded random numbers that a Python reference can reproduce exactly (tools/golden): mulberry32
 * for uniforms, Box–Muller for normals. tf.randomNormal's seed is not honoured by every backend
 * (tfjs-node ignores it), and the noise of SmoothGrad and ROAD must be the same everywhere.
 */

/** mulberry32: a function returning uniform numbers in [0, 1), 2⁻³² apart, from a 32-bit seed. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * `count` standard normal numbers from mulberry32(seed), by Box–Muller on consecutive pairs of
 * uniforms (u₁, u₂): r = √(−2 ln(1 − u₁)), then r·cos(2πu₂) and r·sin(2πu₂), in that order.
 */
export function gaussianNoise(count: number, seed: number): Float32Array {
  const next = mulberry32(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(1 - next()));
    const angle = 2 * Math.PI * next();
    out[i] = r * Math.cos(angle);
    if (i + 1 < count) out[i + 1] = r * Math.sin(angle);
  }
  return out;
}
