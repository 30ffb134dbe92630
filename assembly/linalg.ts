// Kernels of the decompositions and of sparse products: Householder QR on columns stored
// contiguously (a matrix's transpose, row-major), and CSR × dense in both orientations. Each
// inner step is a dot product or an axpy over a contiguous column, so the SIMD helpers do the work.
import { dotRaw } from "./simd";
import { axpy_f32, norm_f32 } from "./vector";

/**
 * Reflectors applied to a column in one go: the column stays in L2 while a block of them passes
 * over it, instead of every column streaming through the cache once per reflector. A block's
 * vectors (block·len floats) should fit in L2 beside the column.
 */
function blockSize(len: i32): i32 {
  return max(1, min(16, (128 * 1024) / max(len, 1)));
}

/** col -= tau_k·(v_k·col)·v_k over entries k.. (one reflector applied to one column). */
// @ts-ignore: decorator
@inline function reflect(a: usize, rowBytes: usize, tau: usize, k: i32, col: usize, len: i32): void {
  const beta = load<f32>(tau + (<usize>k << 2));
  if (beta == 0) return;
  const v = a + <usize>k * rowBytes + (<usize>k << 2), c = col + (<usize>k << 2), n = len - k;
  axpy_f32(-beta * dotRaw(v, c, n), v, c, c, n);
}

/**
 * In-place Householder QR of the len×cols matrix A whose columns are the `cols` rows of `a`
 * (each `len` floats, cols ≤ len). Afterwards column k holds the Householder vector v_k in its
 * entries k.. (R's strictly upper part stays in entries < k of later columns: R[k][j] = a[j][k]),
 * tau[k] = 2/|v_k|² and diag[k] = R[k][k]. A zero column gets tau 0 (no reflection). Columns
 * are factored in blocks: each block's reflectors then pass over every later column together.
 */
export function householder_qr_f32(a: usize, cols: i32, len: i32, tau: usize, diag: usize): void {
  const rowBytes = <usize>len << 2, block = blockSize(len);
  for (let k0 = 0; k0 < cols; k0 += block) {
    const k1 = min(cols, k0 + block);
    for (let k = k0; k < k1; k++) {
      makeReflector(a + <usize>k * rowBytes + (<usize>k << 2), len - k, tau + (<usize>k << 2), diag + (<usize>k << 2));
      for (let j = k + 1; j < k1; j++) reflect(a, rowBytes, tau, k, a + <usize>j * rowBytes, len);
    }
    for (let j = k1; j < cols; j++) {
      const col = a + <usize>j * rowBytes;
      for (let k = k0; k < k1; k++) reflect(a, rowBytes, tau, k, col, len);
    }
  }
}

/** Turns x (n floats) into v = x − alpha·e0 with alpha = −sign(x0)·|x|; stores 2/|v|² and alpha. */
function makeReflector(x: usize, n: i32, tau: usize, diag: usize): void {
  const normx = norm_f32(x, n);
  if (normx == 0) {
    store<f32>(tau, 0);
    store<f32>(diag, 0);
    return;
  }
  const x0 = load<f32>(x);
  const alpha = x0 >= 0 ? -normx : normx; // the sign that avoids cancellation in x0 − alpha
  store<f32>(x, x0 - alpha);
  store<f32>(tau, <f32>1 / (normx * (normx + Mathf.abs(x0)))); // 2/|v|², |v|² = 2·|x|·(|x| + |x0|)
  store<f32>(diag, alpha);
}

/**
 * The thin Q (len×cols) of householder_qr_f32's output, written as its transpose: q gets `cols`
 * rows of `len` floats, the orthonormal columns of Q. Reflectors apply last to first, in
 * blocks, each only to the columns it can reach (j ≥ k).
 */
export function householder_q_f32(a: usize, cols: i32, len: i32, tau: usize, q: usize): void {
  const rowBytes = <usize>len << 2, block = blockSize(len);
  memory.fill(q, 0, <usize>cols * rowBytes);
  for (let j = 0; j < cols; j++) store<f32>(q + <usize>j * rowBytes + (<usize>j << 2), 1);
  const last = (cols - 1) / block * block;
  for (let k0 = last; k0 >= 0; k0 -= block) {
    const k1 = min(cols, k0 + block);
    for (let j = k0; j < cols; j++) {
      const col = q + <usize>j * rowBytes;
      for (let k = min(j, k1 - 1); k >= k0; k--) reflect(a, rowBytes, tau, k, col, len);
    }
  }
}

/** out (m×n) = A·B for A in CSR (m rows: indptr, i32 column indices, f32 values) and B row-major with n columns. */
export function csr_matmul_f32(indptr: usize, indices: usize, values: usize, m: i32, b: usize, n: i32, out: usize): void {
  const rowBytes = <usize>n << 2;
  for (let i = 0; i < m; i++) {
    const o = out + <usize>i * rowBytes;
    memory.fill(o, 0, rowBytes);
    const end = load<i32>(indptr + (<usize>(i + 1) << 2));
    for (let p = load<i32>(indptr + (<usize>i << 2)); p < end; p++) {
      const col = load<i32>(indices + (<usize>p << 2));
      axpy_f32(load<f32>(values + (<usize>p << 2)), b + <usize>col * rowBytes, o, o, n);
    }
  }
}

/** out (cols×n) = Aᵀ·B for A in CSR (m rows, `cols` columns) and B (m×n) row-major. */
export function csr_matmul_t_f32(indptr: usize, indices: usize, values: usize, m: i32, cols: i32, b: usize, n: i32, out: usize): void {
  const rowBytes = <usize>n << 2;
  memory.fill(out, 0, <usize>cols * rowBytes);
  for (let i = 0; i < m; i++) {
    const bi = b + <usize>i * rowBytes;
    const end = load<i32>(indptr + (<usize>(i + 1) << 2));
    for (let p = load<i32>(indptr + (<usize>i << 2)); p < end; p++) {
      const o = out + <usize>load<i32>(indices + (<usize>p << 2)) * rowBytes;
      axpy_f32(load<f32>(values + (<usize>p << 2)), bi, o, o, n);
    }
  }
}

/**
 * One-sided Jacobi SVD (Hestenes) in float64, in place: rotates pairs of the n columns of W
 * (each m doubles, stored contiguously) until every pair is orthogonal to working precision,
 * applying the same rotations to the n columns of V (each n doubles; pass the identity to get
 * W₀ = W·Vᵀ with W's columns orthogonal: their norms are the singular values). Returns the
 * number of sweeps. Each pair costs one pass for its three inner products and one per rotation.
 */
export function jacobi_svd_f64(w: usize, v: usize, n: i32, m: i32, maxSweeps: i32): i32 {
  const colW = <usize>m << 3, colV = <usize>n << 3;
  for (let sweep = 1; sweep <= maxSweeps; sweep++) {
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const wp = w + <usize>p * colW, wq = w + <usize>q * colW;
        let sa = f64x2.splat(0), sb = f64x2.splat(0), sg = f64x2.splat(0);
        let i = 0;
        for (; i + 2 <= m; i += 2) {
          const x = v128.load(wp + (<usize>i << 3)), y = v128.load(wq + (<usize>i << 3));
          sa = f64x2.add(sa, f64x2.mul(x, x));
          sb = f64x2.add(sb, f64x2.mul(y, y));
          sg = f64x2.add(sg, f64x2.mul(x, y));
        }
        let alpha = f64x2.extract_lane(sa, 0) + f64x2.extract_lane(sa, 1);
        let beta = f64x2.extract_lane(sb, 0) + f64x2.extract_lane(sb, 1);
        let gamma = f64x2.extract_lane(sg, 0) + f64x2.extract_lane(sg, 1);
        for (; i < m; i++) {
          const x = load<f64>(wp + (<usize>i << 3)), y = load<f64>(wq + (<usize>i << 3));
          alpha += x * x; beta += y * y; gamma += x * y;
        }
        if (gamma == 0 || Math.abs(gamma) <= 1e-15 * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1.0 : -1.0) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        rotatePair(wp, wq, m, c, s);
        rotatePair(v + <usize>p * colV, v + <usize>q * colV, n, c, s);
      }
    }
    if (!rotated) return sweep;
  }
  return maxSweeps;
}

/** (x, y) ← (c·x − s·y, s·x + c·y) over n doubles. */
function rotatePair(x: usize, y: usize, n: i32, c: f64, s: f64): void {
  const cv = f64x2.splat(c), sv = f64x2.splat(s);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    const a = v128.load(x + o), b = v128.load(y + o);
    v128.store(x + o, f64x2.sub(f64x2.mul(cv, a), f64x2.mul(sv, b)));
    v128.store(y + o, f64x2.add(f64x2.mul(sv, a), f64x2.mul(cv, b)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 3;
    const a = load<f64>(x + o), b = load<f64>(y + o);
    store<f64>(x + o, c * a - s * b);
    store<f64>(y + o, s * a + c * b);
  }
}
