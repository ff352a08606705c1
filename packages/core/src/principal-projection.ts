import * as tf from '@tensorflow/tfjs-core';

/**
 * The leading eigenvector of a symmetric positive semi-definite m×m matrix (row-major, float64),
 * by power iteration from `start`. Deterministic; converges at the rate λ2/λ1.
 */
function leadingEigenvector(matrix: Float64Array, m: number, start: Float64Array): Float64Array {
  let v = Float64Array.from(start);
  let norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  if (!(norm > 0)) {
    v = new Float64Array(m).fill(1);
    norm = Math.sqrt(m);
  }
  for (let i = 0; i < m; i++) v[i] /= norm;
  const next = new Float64Array(m);
  for (let iteration = 0; iteration < 5000; iteration++) {
    for (let i = 0; i < m; i++) {
      let s = 0;
      const row = i * m;
      for (let j = 0; j < m; j++) s += matrix[row + j] * v[j];
      next[i] = s;
    }
    let n2 = 0;
    for (let i = 0; i < m; i++) n2 += next[i] * next[i];
    const n = Math.sqrt(n2);
    if (!(n > 0)) return v;
    let change = 0;
    for (let i = 0; i < m; i++) {
      const value = next[i] / n;
      change = Math.max(change, Math.abs(value - v[i]));
      v[i] = value;
    }
    if (change < 1e-12) break;
  }
  return v;
}

/**
 * Projects one matrix X [n, c] (rows = positions) on its first principal component, as
 * pytorch-grad-cam's `get_2d_projection`: X is centred over positions, and the map is
 * Xc·v1 with v1 the first right-singular vector. The sign of a singular vector is arbitrary
 * (pytorch-grad-cam leaves it to LAPACK); here it is chosen so that the map correlates
 * positively with X's channel sum, i.e. it is high where the (weighted) activations are.
 */
export function projectOnFirstComponent(x: Float32Array | Float64Array, n: number, c: number): Float64Array {
  const xc = new Float64Array(n * c);
  const mean = new Float64Array(c);
  for (let i = 0; i < n; i++) for (let k = 0; k < c; k++) mean[k] += x[i * c + k];
  for (let k = 0; k < c; k++) mean[k] /= n;
  const rowSum = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < c; k++) {
      xc[i * c + k] = x[i * c + k] - mean[k];
      rowSum[i] += x[i * c + k];
    }
  }
  const projection = new Float64Array(n);
  if (n <= c) {
    // The n×n Gram matrix Xc·Xcᵀ: its leading eigenvector u gives Xc·v1 = sqrt(λ)·u.
    const gram = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = i; j < n; j++) {
        let s = 0;
        for (let k = 0; k < c; k++) s += xc[i * c + k] * xc[j * c + k];
        gram[i * n + j] = s;
        gram[j * n + i] = s;
      }
    }
    const centredSum = rowSum.map((v, _, all) => v - all.reduce((a, b) => a + b, 0) / n);
    const u = leadingEigenvector(gram, n, centredSum);
    let lambda = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += gram[i * n + j] * u[j];
      lambda += u[i] * s;
    }
    const scale = Math.sqrt(Math.max(lambda, 0));
    for (let i = 0; i < n; i++) projection[i] = scale * u[i];
  } else {
    // The c×c scatter matrix Xcᵀ·Xc: its leading eigenvector is v1.
    const scatter = new Float64Array(c * c);
    for (let i = 0; i < n; i++) {
      const row = i * c;
      for (let k = 0; k < c; k++) {
        const a = xc[row + k];
        if (a === 0) continue;
        const out = k * c;
        for (let l = k; l < c; l++) scatter[out + l] += a * xc[row + l];
      }
    }
    for (let k = 0; k < c; k++) for (let l = 0; l < k; l++) scatter[k * c + l] = scatter[l * c + k];
    const v = leadingEigenvector(scatter, c, new Float64Array(c).fill(1));
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let k = 0; k < c; k++) s += xc[i * c + k] * v[k];
      projection[i] = s;
    }
  }
  let agreement = 0;
  for (let i = 0; i < n; i++) agreement += projection[i] * rowSum[i];
  if (agreement < 0) for (let i = 0; i < n; i++) projection[i] = -projection[i];
  return projection;
}

/**
 * pytorch-grad-cam's `get_2d_projection` for a batch: each [h, w, c] slice of `x` [t, h, w, c]
 * projected on its first principal component → [t, h, w]. Computed in float64 on the CPU (the
 * matrices are at most min(h·w, c) square).
 */
export async function projectMaps(x: tf.Tensor4D): Promise<tf.Tensor3D> {
  const [t, h, w, c] = x.shape;
  const data = (await x.data()) as Float32Array;
  const out = new Float32Array(t * h * w);
  for (let i = 0; i < t; i++) out.set(projectOnFirstComponent(data.subarray(i * h * w * c, (i + 1) * h * w * c), h * w, c), i * h * w);
  return tf.tensor3d(out, [t, h, w]);
}
