// Row-wise normalisation layers.
import { hsum, sumRaw } from "./simd";

/** Σ (x − c)² over a row: the centred second pass keeps the variance accurate when |mean| ≫ std. */
// @ts-ignore: decorator
@inline function rowSquares(p: usize, n: i32, c: f32): f32 {
  const cv = f32x4.splat(c);
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const d0 = f32x4.sub(v128.load(p + o), cv), d1 = f32x4.sub(v128.load(p + o, 16), cv);
    s0 = f32x4.add(s0, f32x4.mul(d0, d0));
    s1 = f32x4.add(s1, f32x4.mul(d1, d1));
  }
  let s = hsum(f32x4.add(s0, s1));
  for (; i < n; i++) {
    const d = load<f32>(p + (<usize>i << 2)) - c;
    s += d * d;
  }
  return s;
}

/** out[r,:] = (x − c)·inv·gamma + beta for one row; gamma and beta may be 0 (1 and 0). */
// @ts-ignore: decorator
@inline function affineRow(x: usize, y: usize, n: i32, c: f32, inv: f32, gamma: usize, beta: usize): void {
  const cv = f32x4.splat(c), iv = f32x4.splat(inv);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    let v = f32x4.mul(f32x4.sub(v128.load(x + o), cv), iv);
    if (gamma) v = f32x4.mul(v, v128.load(gamma + o));
    if (beta) v = f32x4.add(v, v128.load(beta + o));
    v128.store(y + o, v);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let v = (load<f32>(x + o) - c) * inv;
    if (gamma) v *= load<f32>(gamma + o);
    if (beta) v += load<f32>(beta + o);
    store<f32>(y + o, v);
  }
}

/** Layer normalisation of each row of a (rows×n): (x − mean)/√(var + eps)·gamma + beta (biased variance, as PyTorch). */
export function layer_norm_f32(a: usize, gamma: usize, beta: usize, out: usize, rows: i32, n: i32, eps: f32): void {
  if (n == 0) return;
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < rows; r++) {
    const x = a + <usize>r * rowBytes;
    const mean = sumRaw(x, n) / <f32>n;
    const variance = rowSquares(x, n, mean) / <f32>n;
    affineRow(x, out + <usize>r * rowBytes, n, mean, <f32>1 / Mathf.sqrt(variance + eps), gamma, beta);
  }
}

/** RMS normalisation of each row: x / √(mean(x²) + eps)·gamma. */
export function rms_norm_f32(a: usize, gamma: usize, out: usize, rows: i32, n: i32, eps: f32): void {
  if (n == 0) return;
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < rows; r++) {
    const x = a + <usize>r * rowBytes;
    const ms = rowSquares(x, n, 0) / <f32>n;
    affineRow(x, out + <usize>r * rowBytes, n, 0, <f32>1 / Mathf.sqrt(ms + eps), gamma, 0);
  }
}
