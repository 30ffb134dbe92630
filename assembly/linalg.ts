// Kernels of the decompositions and of sparse products: Householder QR on columns stored
// contiguously (a matrix's transpose, row-major), and CSR × dense in both orientations. Each
// inner step is a dot product or an axpy over a contiguous column, so the SIMD helpers do the work.
import { dotRaw } from "./simd";
import { axpy_f32, norm_f32 } from "./vector";

/**
 * In-place Householder QR of the len×cols matrix A whose columns are the `cols` rows of `a`
 * (each `len` floats, cols ≤ len). Afterwards column k holds the Householder vector v_k in its
 * entries k.. (R's strictly upper part stays in entries < k of later columns: R[k][j] = a[j][k]),
 * tau[k] = 2/|v_k|² and diag[k] = R[k][k]. A zero column gets tau 0 (no reflection).
 */
export function householder_qr_f32(a: usize, cols: i32, len: i32, tau: usize, diag: usize): void {
  const rowBytes = <usize>len << 2;
  for (let k = 0; k < cols; k++) {
    const v = a + <usize>k * rowBytes + (<usize>k << 2), n = len - k;
    const normx = norm_f32(v, n);
    if (normx == 0) {
      store<f32>(tau + (<usize>k << 2), 0);
      store<f32>(diag + (<usize>k << 2), 0);
      continue;
    }
    const x0 = load<f32>(v);
    const alpha = x0 >= 0 ? -normx : normx; // the sign that avoids cancellation in x0 − alpha
    store<f32>(v, x0 - alpha);
    const beta: f32 = 1 / (normx * (normx + Mathf.abs(x0))); // 2/|v|², |v|² = 2·|x|·(|x| + |x0|)
    store<f32>(tau + (<usize>k << 2), beta);
    store<f32>(diag + (<usize>k << 2), alpha);
    for (let j = k + 1; j < cols; j++) {
      const col = a + <usize>j * rowBytes + (<usize>k << 2);
      axpy_f32(-beta * dotRaw(v, col, n), v, col, col, n);
    }
  }
}

/**
 * The thin Q (len×cols) of householder_qr_f32's output, written as its transpose: q gets `cols`
 * rows of `len` floats, the orthonormal columns of Q. Reflectors apply last to first, so each
 * only touches the columns it can reach.
 */
export function householder_q_f32(a: usize, cols: i32, len: i32, tau: usize, q: usize): void {
  const rowBytes = <usize>len << 2;
  memory.fill(q, 0, <usize>cols * rowBytes);
  for (let j = 0; j < cols; j++) store<f32>(q + <usize>j * rowBytes + (<usize>j << 2), 1);
  for (let k = cols - 1; k >= 0; k--) {
    const beta = load<f32>(tau + (<usize>k << 2));
    if (beta == 0) continue;
    const v = a + <usize>k * rowBytes + (<usize>k << 2), n = len - k;
    for (let j = k; j < cols; j++) {
      const col = q + <usize>j * rowBytes + (<usize>k << 2);
      axpy_f32(-beta * dotRaw(v, col, n), v, col, col, n);
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
