// Kernels of the decompositions and of sparse products: blocked Householder QR on columns
// stored contiguously (a matrix's transpose, row-major) with its updates on the GEMM kernel,
// CSR × dense in both orientations (four stored entries per pass over a row), and a float64
// Jacobi SVD.
import { dotRaw, hsum, madd } from "./simd";
import { axpy4, axpyTo4, axpy_f32, norm_f32 } from "./vector";
import { gemm_accumulate, gemm_work_bytes, matmul_f32, matmul_work_bytes } from "./matmul";
import { align64 } from "./gemm";

/**
 * Blocked Householder (compact WY): a panel of PANEL reflectors is factored column by column,
 * then applied to all later columns at once as I − V·T·Vᵀ, which is three matrix products on
 * the GEMM kernel instead of a dot and an axpy per reflector and column (memory-bound).
 */
const PANEL = 32;

/** Scratch bytes householder_qr_f32 and householder_q_f32 need for `cols` columns of `len`. */
export function householder_work_bytes(cols: i32, len: i32): usize {
  const b = min(PANEL, cols);
  const mm = max(matmul_work_bytes(cols, len, b, true), max(gemm_work_bytes(cols, b, b), gemm_work_bytes(cols, b, len)));
  return align64(<usize>b * len * 4) + 2 * align64(<usize>cols * b * 4) + mm;
}

/**
 * Bytes of householder_qr_f32's `tau`: the reflectors' scalars (cols floats), then each panel's
 * T factor (PANEL² floats), which householder_q_f32 reuses instead of recomputing.
 */
export function householder_tau_bytes(cols: i32): usize {
  return <usize>(cols + (cols + PANEL - 1) / PANEL * PANEL * PANEL) << 2;
}

/** Where the T factor of the panel starting at reflector k0 lives in `tau`. */
// @ts-ignore: decorator
@inline function panelT(tau: usize, cols: i32, k0: i32): usize {
  return tau + (<usize>(cols + k0 * PANEL) << 2);
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
 * reflect on four columns (at col + r·rowBytes): one pass for their four dots with v_k, one for
 * the four updates, each loading v_k once for the four (the panel streams from L3: a third less
 * traffic than four single reflections).
 */
function reflect4(a: usize, rowBytes: usize, tau: usize, k: i32, col: usize, len: i32): void {
  const beta = load<f32>(tau + (<usize>k << 2));
  if (beta == 0) return;
  const v = a + <usize>k * rowBytes + (<usize>k << 2), n = len - k;
  const c0 = col + (<usize>k << 2), c1 = c0 + rowBytes, c2 = c1 + rowBytes, c3 = c2 + rowBytes;
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0), d2 = f32x4.splat(0), d3 = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2, x = v128.load(v + o);
    d0 = madd(x, v128.load(c0 + o), d0); d1 = madd(x, v128.load(c1 + o), d1);
    d2 = madd(x, v128.load(c2 + o), d2); d3 = madd(x, v128.load(c3 + o), d3);
  }
  let s0 = hsum(d0), s1 = hsum(d1), s2 = hsum(d2), s3 = hsum(d3);
  for (let t = i; t < n; t++) {
    const o = <usize>t << 2, x = load<f32>(v + o);
    s0 += x * load<f32>(c0 + o); s1 += x * load<f32>(c1 + o); s2 += x * load<f32>(c2 + o); s3 += x * load<f32>(c3 + o);
  }
  axpyTo4(-beta * s0, -beta * s1, -beta * s2, -beta * s3, v, c0, c1, c2, c3, n);
}

/**
 * In-place Householder QR of the len×cols matrix A whose columns are the `cols` rows of `a`
 * (each `len` floats, cols ≤ len). Afterwards column k holds the Householder vector v_k in its
 * entries k.. (R's strictly upper part stays in entries < k of later columns: R[k][j] = a[j][k]),
 * tau[k] = 2/|v_k|² and diag[k] = R[k][k]. A zero column gets tau 0 (no reflection). `tau`
 * holds householder_tau_bytes(cols), `work` householder_work_bytes(cols, len).
 */
export function householder_qr_f32(a: usize, cols: i32, len: i32, tau: usize, diag: usize, work: usize): void {
  const rowBytes = <usize>len << 2;
  for (let k0 = 0; k0 < cols; k0 += PANEL) {
    const k1 = min(cols, k0 + PANEL);
    for (let k = k0; k < k1; k++) {
      makeReflector(a + <usize>k * rowBytes + (<usize>k << 2), len - k, tau + (<usize>k << 2), diag + (<usize>k << 2));
      let j = k + 1;
      for (; j + 4 <= k1; j += 4) reflect4(a, rowBytes, tau, k, a + <usize>j * rowBytes, len);
      for (; j < k1; j++) reflect(a, rowBytes, tau, k, a + <usize>j * rowBytes, len);
    }
    const t = panelT(tau, cols, k0);
    panelFactor(a, k0, k1, len, tau, t);
    // the later columns, as rows Ct: Ct ← Ct − (Ct·V)·T·Vᵀ  (A ← Hᵀ·A with H = I − V·T·Vᵀ)
    if (k1 < cols) applyBlock(a, k0, k1, len, t, a + <usize>k1 * rowBytes, cols - k1, false, work);
  }
}

/**
 * The thin Q (len×cols) of householder_qr_f32's output, written as its transpose: q gets `cols`
 * rows of `len` floats, the orthonormal columns of Q. Blocks apply last to first (Q = H·Q per
 * block), each to the columns it can reach (j ≥ its first reflector).
 */
export function householder_q_f32(a: usize, cols: i32, len: i32, tau: usize, q: usize, work: usize): void {
  const rowBytes = <usize>len << 2;
  memory.fill(q, 0, <usize>cols * rowBytes);
  for (let j = 0; j < cols; j++) store<f32>(q + <usize>j * rowBytes + (<usize>j << 2), 1);
  const last = (cols - 1) / PANEL * PANEL;
  for (let k0 = last; k0 >= 0; k0 -= PANEL) {
    const k1 = min(cols, k0 + PANEL);
    applyBlock(a, k0, k1, len, panelT(tau, cols, k0), q + <usize>k0 * rowBytes, cols - k0, true, work);
  }
}

/**
 * −T of the panel of reflectors k0..k1 into t (kb×kb, row-major), where H_k0 ⋯ H_k1-1 = I − V·T·Vᵀ
 * with T upper triangular: T[i][i] = tau_i, T[0:i][i] = −tau_i·T[0:i][0:i]·(Vᵀv_i)[0:i]. The
 * sign is folded in so that the update can accumulate: rows += (rows·V)·(−T)·Vᵀ.
 */
function panelFactor(a: usize, k0: i32, k1: i32, len: i32, tau: usize, t: usize): void {
  const kb = k1 - k0, rowBytes = <usize>len << 2;
  memory.fill(t, 0, <usize>(kb * kb) << 2);
  for (let i = 0; i < kb; i++) {
    const taui = load<f32>(tau + (<usize>(k0 + i) << 2));
    store<f32>(t + (<usize>(i * kb + i) << 2), taui);
    const from = k0 + i; // v_i is zero before entry k0 + i; v_r (r < i) is stored in a from entry k0 + r on
    const vi = a + <usize>from * rowBytes + (<usize>from << 2);
    for (let r = 0; r < i; r++) { // z_r in column i for now
      store<f32>(t + (<usize>(r * kb + i) << 2), -taui * dotRaw(a + <usize>(k0 + r) * rowBytes + (<usize>from << 2), vi, len - from));
    }
    for (let r = 0; r < i; r++) { // T[r][i] = Σ_{c=r..i-1} T[r][c]·z_c (rows top-down: z_c for c > r still unread)
      let s: f32 = 0;
      for (let c = r; c < i; c++) s += load<f32>(t + (<usize>(r * kb + c) << 2)) * load<f32>(t + (<usize>(c * kb + i) << 2));
      store<f32>(t + (<usize>(r * kb + i) << 2), s);
    }
  }
  for (let i = 0; i < kb * kb; i++) store<f32>(t + (<usize>i << 2), -load<f32>(t + (<usize>i << 2)));
}

/**
 * rows ← rows + (rows·V)·(−T')·Vᵀ for the reflectors k0..k1 of `a` and their panel's −T (from
 * panelFactor), where T' is T (QR's update, Hᵀ) or Tᵀ (forming Q, H); `rows` holds n rows of
 * len floats.
 */
function applyBlock(a: usize, k0: i32, k1: i32, len: i32, t: usize, rows: usize, n: i32, transposeT: bool, work: usize): void {
  const kb = k1 - k0, rowBytes = <usize>len << 2;
  const vt = work, w = vt + align64(<usize>kb * rowBytes);
  const w2 = w + align64(<usize>(n * kb) << 2), mm = w2 + align64(<usize>(n * kb) << 2);
  // V as clean rows: v_k with zeros before entry k
  for (let r = 0; r < kb; r++) {
    const k = k0 + r, dst = vt + <usize>r * rowBytes;
    memory.fill(dst, 0, <usize>k << 2);
    memory.copy(dst + (<usize>k << 2), a + <usize>k * rowBytes + (<usize>k << 2), <usize>(len - k) << 2);
  }
  matmul_f32(rows, vt, w, n, len, kb, true, 0, 0, mm);       // W = rows·V
  matmul_f32(w, t, w2, n, kb, kb, transposeT, 0, 0, mm);     // W2 = −W·T (or −W·Tᵀ)
  if (n >= 2) gemm_accumulate(w2, vt, rows, n, kb, len, mm);
  else for (let r = 0; r < kb; r++) axpy_f32(load<f32>(w2 + (<usize>r << 2)), vt + <usize>r * rowBytes, rows, rows, len);
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
 * out (m×n) = A·B for A in CSR (m rows: indptr, i32 column indices, f32 values) and B row-major
 * with n columns. Four stored entries at a time: their rows of B (scattered, mostly from L3)
 * are read side by side and the output row is loaded and stored once for the four.
 */
export function csr_matmul_f32(indptr: usize, indices: usize, values: usize, m: i32, b: usize, n: i32, out: usize): void {
  const rowBytes = <usize>n << 2;
  for (let i = 0; i < m; i++) {
    const o = out + <usize>i * rowBytes;
    memory.fill(o, 0, rowBytes);
    const end = load<i32>(indptr + (<usize>(i + 1) << 2));
    let p = load<i32>(indptr + (<usize>i << 2));
    for (; p + 4 <= end; p += 4) {
      const ip = indices + (<usize>p << 2), vp = values + (<usize>p << 2);
      const b0 = b + <usize>load<i32>(ip) * rowBytes, b1 = b + <usize>load<i32>(ip, 4) * rowBytes;
      const b2 = b + <usize>load<i32>(ip, 8) * rowBytes, b3 = b + <usize>load<i32>(ip, 12) * rowBytes;
      axpy4(load<f32>(vp), load<f32>(vp, 4), load<f32>(vp, 8), load<f32>(vp, 12), b0, b1, b2, b3, o, n);
    }
    for (; p < end; p++) {
      const col = load<i32>(indices + (<usize>p << 2));
      axpy_f32(load<f32>(values + (<usize>p << 2)), b + <usize>col * rowBytes, o, o, n);
    }
  }
}

/**
 * out (cols×n) = Aᵀ·B for A in CSR (m rows, `cols` columns) and B (m×n) row-major: row i of B
 * scattered into the output rows of its stored entries, four entries per pass over it.
 */
export function csr_matmul_t_f32(indptr: usize, indices: usize, values: usize, m: i32, cols: i32, b: usize, n: i32, out: usize): void {
  const rowBytes = <usize>n << 2;
  memory.fill(out, 0, <usize>cols * rowBytes);
  for (let i = 0; i < m; i++) {
    const bi = b + <usize>i * rowBytes;
    const end = load<i32>(indptr + (<usize>(i + 1) << 2));
    let p = load<i32>(indptr + (<usize>i << 2));
    for (; p + 4 <= end; p += 4) {
      const ip = indices + (<usize>p << 2), vp = values + (<usize>p << 2);
      const o0 = out + <usize>load<i32>(ip) * rowBytes, o1 = out + <usize>load<i32>(ip, 4) * rowBytes;
      const o2 = out + <usize>load<i32>(ip, 8) * rowBytes, o3 = out + <usize>load<i32>(ip, 12) * rowBytes;
      // a repeated column aliases two outputs, which axpyTo4 allows
      axpyTo4(load<f32>(vp), load<f32>(vp, 4), load<f32>(vp, 8), load<f32>(vp, 12), bi, o0, o1, o2, o3, n);
    }
    for (; p < end; p++) {
      const o = out + <usize>load<i32>(indices + (<usize>p << 2)) * rowBytes;
      axpy_f32(load<f32>(values + (<usize>p << 2)), bi, o, o, n);
    }
  }
}

/** Columns count as orthogonal below this cosine: far below float32's resolution, which is
 *  what every result of the library is rounded to, and it saves the last sweeps of float64's. */
const JACOBI_TOL = 1e-10;

/**
 * One-sided Jacobi SVD (Hestenes) in float64, in place: rotates pairs of the n columns of W
 * (each m doubles, stored contiguously) until every pair is orthogonal (cosine ≤ JACOBI_TOL),
 * applying the same rotations to the n columns of V (each n doubles; pass the identity to get
 * W₀ = W·Vᵀ with W's columns orthogonal: their norms are the singular values). `norms` holds n
 * doubles of scratch: the columns' squared norms, recomputed each sweep and updated exactly by
 * each rotation (‖x'‖² = ‖x‖² − t·γ), so a pair costs one pass for its inner product γ.
 * Returns the number of sweeps.
 */
export function jacobi_svd_f64(w: usize, v: usize, n: i32, m: i32, maxSweeps: i32, norms: usize): i32 {
  const colW = <usize>m << 3, colV = <usize>n << 3;
  for (let sweep = 1; sweep <= maxSweeps; sweep++) {
    for (let j = 0; j < n; j++) store<f64>(norms + (<usize>j << 3), dotF64(w + <usize>j * colW, w + <usize>j * colW, m));
    let rotated = false;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const wp = w + <usize>p * colW, wq = w + <usize>q * colW;
        const alpha = load<f64>(norms + (<usize>p << 3)), beta = load<f64>(norms + (<usize>q << 3));
        const gamma = dotF64(wp, wq, m);
        if (gamma == 0 || Math.abs(gamma) <= JACOBI_TOL * Math.sqrt(alpha * beta)) continue;
        rotated = true;
        const zeta = (beta - alpha) / (2 * gamma);
        const t = (zeta >= 0 ? 1.0 : -1.0) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const c = 1 / Math.sqrt(1 + t * t), s = c * t;
        rotatePair(wp, wq, m, c, s);
        rotatePair(v + <usize>p * colV, v + <usize>q * colV, n, c, s);
        store<f64>(norms + (<usize>p << 3), alpha - t * gamma);
        store<f64>(norms + (<usize>q << 3), beta + t * gamma);
      }
    }
    if (!rotated) return sweep;
  }
  return maxSweeps;
}

/** Σ x[i]·y[i] over n doubles, two accumulators of two lanes. */
function dotF64(x: usize, y: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 3;
    s0 = f64x2.add(s0, f64x2.mul(v128.load(x + o), v128.load(y + o)));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(x + o, 16), v128.load(y + o, 16)));
  }
  s0 = f64x2.add(s0, s1);
  let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  for (; i < n; i++) s += load<f64>(x + (<usize>i << 3)) * load<f64>(y + (<usize>i << 3));
  return s;
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
