// Decompositions: Householder QR (in the backend's kernels), a randomized truncated SVD built on
// matmul and QR, a symmetric eigen-decomposition, and PCA. Large products run in the backend;
// the small dense problems at the core (an l×l SVD, a d×d eigenproblem) run in float64 JS by
// Jacobi rotations, which are simple and accurate to the last digits.
import type { Backend, TensorLike } from "./backend";
import { InputError, ShapeError } from "./errors";
import { formatShape } from "./shape";
import { CsrMatrix } from "./sparse";
import { Tensor } from "./tensor";

/** Options of `svd`. */
export interface SvdOptions {
  /** Number of singular triplets wanted (default: min(rows, cols), capped at 100). */
  rank?: number;
  /** Extra random directions sampled beyond `rank` (default 10): they make the top `rank` accurate. */
  oversample?: number;
  /** Power iterations (default 2): each sharpens the decay of the spectrum the sketch sees. */
  powerIters?: number;
  /** Seed of the random projection (default 1): the same seed gives the same result. */
  seed?: number;
  /** Called after each of the 3 + 2·powerIters products with A or Aᵀ (each followed by a QR). */
  onProgress?: (done: number, total: number) => void;
}

/** A truncated SVD A ≈ U·diag(S)·Vt: U [rows, rank], S descending, Vt [rank, cols]. Signs are arbitrary, as in every SVD. */
export interface SvdResult {
  U: Tensor;
  S: Float64Array;
  Vt: Tensor;
}

/** A QR decomposition A = Q·R of a tall matrix: Q [m, n] with orthonormal columns, R [n, n] upper triangular. */
export interface QrResult {
  Q: Tensor;
  R: Tensor;
}

/** Options of `eigh`. */
export interface EighOptions {
  /** Order of the eigenvalues: "ascending" (default, as numpy.linalg.eigh) or "descending". */
  order?: "ascending" | "descending";
}

/** Eigenvalues and eigenvectors (column i of `vectors` belongs to values[i]). */
export interface EighResult {
  values: Float64Array;
  vectors: Tensor;
}

/**
 * Householder QR of the l×len matrix whose columns are the rows of `Xt`: returns Qᵀ [l, len]
 * (orthonormal rows) and R (l×l, float64, row-major). With `inPlace` the factorisation
 * overwrites Xt (a temporary of the caller's) instead of a copy of it.
 */
function qrColumns(be: Backend, Xt: Tensor, inPlace = false): { Qt: Tensor; R: Float64Array } {
  const [l, len] = Xt.shape;
  const heap = be.heap, k = be.kernels;
  let a = 0, tau = 0, diag = 0;
  try {
    if (inPlace) a = Xt.ptr();
    else {
      a = heap.alloc(l * len * 4);
      heap.f32(a, l * len).set(heap.f32(Xt.ptr(), l * len));
    }
    tau = heap.alloc(k.householder_tau_bytes(l));
    diag = heap.alloc(l * 4);
    be.withWork(k.householder_work_bytes(l, len), (work) => k.householder_qr_f32(a, l, len, tau, diag, work));
    const R = new Float64Array(l * l), cols = heap.f32(a, l * len), d = heap.f32(diag, l);
    for (let j = 0; j < l; j++) {
      for (let i = 0; i < j; i++) R[i * l + j] = cols[j * len + i];
      R[j * l + j] = d[j];
    }
    const Qt = be.withWork(k.householder_work_bytes(l, len), (work) => be.produce([l, len], (q) => k.householder_q_f32(a, l, len, tau, q, work)));
    return { Qt, R };
  } finally {
    for (const p of [inPlace ? 0 : a, tau, diag]) if (p) heap.free(p);
  }
}

/** QR of a tall matrix A [m, n] (m ≥ n) by Householder reflections: A = Q·R. */
export function qr(be: Backend, a: TensorLike): QrResult {
  return be.run("qr", [a], ([A]) => {
    if (A.rank !== 2 || A.shape[0] < A.shape[1]) throw new ShapeError(`qr: expected a tall matrix [m, n] with m ≥ n, got ${formatShape(A.shape)}`);
    using At = be.transpose(A);
    const { Qt, R } = qrColumns(be, At, true);
    using q = Qt;
    return { Q: be.transpose(q), R: be.tensor(R, [A.shape[1], A.shape[1]]) };
  });
}

/** A NaN or an infinity would make every rotation of the decompositions NaN: refuse it up front. */
function checkFinite(op: string, A: Tensor): void {
  const data = A.backend.heap.f32(A.ptr(), A.size), cols = A.shape[1];
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new InputError(`${op}: the matrix has a non-finite value (${data[i]}) at [${Math.floor(i / cols)},${i % cols}]`);
  }
}

/** A as the two products a randomized SVD needs, both on transposed (row-major) panels. */
interface Operator {
  rows: number;
  cols: number;
  /** (A·X)ᵀ from Xᵀ [l, cols] → [l, rows] */
  times(Xt: Tensor): Tensor;
  /** (Aᵀ·Y)ᵀ from Yᵀ [l, rows] → [l, cols] */
  transposeTimes(Yt: Tensor): Tensor;
}

function denseOperator(be: Backend, A: Tensor): Operator {
  return {
    rows: A.shape[0], cols: A.shape[1],
    times: (Xt) => be.matmul(Xt, A, { transposeB: true }),
    transposeTimes: (Yt) => be.matmul(Yt, A),
  };
}

function sparseOperator(be: Backend, A: CsrMatrix): Operator {
  const through = (Xt: Tensor, product: (X: Tensor) => Tensor) => {
    using X = be.transpose(Xt);
    using P = product(X);
    return be.transpose(P);
  };
  return {
    rows: A.shape[0], cols: A.shape[1],
    times: (Xt) => through(Xt, (X) => A.matmul(X)),
    transposeTimes: (Yt) => through(Yt, (Y) => A.tmatmul(Y)),
  };
}

/**
 * Randomized truncated SVD (Halko, Martinsson & Tropp): sketch the range of A with
 * rank + oversample random directions, sharpen it by power iterations (re-orthogonalised by
 * Householder QR each half-step), then take the exact SVD of the small projected matrix (by QR
 * and one-sided Jacobi). A may be dense or a CsrMatrix; the work is matrix products with A and
 * Aᵀ, never a dense Aᵀ.
 */
export function svd(be: Backend, a: TensorLike | CsrMatrix, options: SvdOptions = {}): SvdResult {
  if (a instanceof CsrMatrix) {
    if (a.backend !== be) throw new InputError("svd: the CSR matrix lives on another backend");
    return randomizedSvd(be, sparseOperator(be, a), options, true);
  }
  return be.run("svd", [a], ([A]) => {
    if (A.rank !== 2) throw new ShapeError(`svd: expected a matrix, got shape ${formatShape(A.shape)}`);
    checkFinite("svd", A);
    return randomizedSvd(be, denseOperator(be, A), options, true);
  });
}

function randomizedSvd(be: Backend, op: Operator, options: SvdOptions, wantU: true): SvdResult;
function randomizedSvd(be: Backend, op: Operator, options: SvdOptions, wantU: false): Omit<SvdResult, "U">;
function randomizedSvd(be: Backend, op: Operator, options: SvdOptions, wantU: boolean): Omit<SvdResult, "U"> & { U?: Tensor } {
  const full = Math.min(op.rows, op.cols);
  const { rank = Math.min(full, 100), oversample = 10, powerIters = 2, seed = 1, onProgress } = options;
  if (!Number.isInteger(rank) || rank < 1 || rank > full) throw new InputError(`svd: rank must be an integer in 1..${full} for a ${op.rows}×${op.cols} matrix, got ${rank}`);
  if (!Number.isInteger(oversample) || oversample < 0) throw new InputError(`svd: oversample must be a non-negative integer, got ${oversample}`);
  if (!Number.isInteger(powerIters) || powerIters < 0) throw new InputError(`svd: powerIters must be a non-negative integer, got ${powerIters}`);
  const l = Math.min(full, rank + oversample);
  let step = 0;
  const steps = 3 + 2 * powerIters;
  const orthonormal = (panel: Tensor) => {
    using p = panel;
    const { Qt } = qrColumns(be, p, true);
    onProgress?.(++step, steps);
    return Qt;
  };
  let Qt: Tensor;
  {
    using sketch = be.produce([l, op.cols], (ptr, size) => fillSketch(be.heap.f32(ptr, size), seed)); // written in place: no JS copy
    Qt = orthonormal(op.times(sketch));
  }
  for (let it = 0; it < powerIters; it++) {
    using Zt = orthonormal(op.transposeTimes(Qt)); // an orthonormal basis of Aᵀ's range sketch
    Qt.dispose();
    Qt = orthonormal(op.times(Zt));
  }
  try {
    // B = Qᵀ·A [l, cols]; Bᵀ = Q2·R, R = Ur·Σ·Vrᵀ, so A ≈ (Q·Vr)·Σ·(Q2·Ur)ᵀ
    using B = op.transposeTimes(Qt);
    const { Qt: Q2t, R } = qrColumns(be, B, true);
    using q2t = Q2t;
    onProgress?.(++step, steps);
    const { U: Ur, S, V: Vr } = jacobiSvd(be, R, l);
    const order = [...S.keys()].sort((i, j) => S[j] - S[i]).slice(0, rank);
    const pick = (M: Float64Array) => { // rows of Mᵀ for the kept columns: [rank, l]
      const out = new Float32Array(rank * l);
      order.forEach((c, r) => { for (let i = 0; i < l; i++) out[r * l + i] = M[i * l + c]; });
      return be.tensor(out, [rank, l]);
    };
    using UrT = pick(Ur);
    const sorted = Float64Array.from(order, (c) => S[c]);
    if (!wantU) return { S: sorted, Vt: be.matmul(UrT, q2t) };
    using VrT = pick(Vr);
    using Ut = be.matmul(VrT, Qt); // (Q·Vr)ᵀ
    const U = be.transpose(Ut);
    try {
      return { U, S: sorted, Vt: be.matmul(UrT, q2t) };
    } catch (e) {
      U.dispose(); // nothing half-made outlives a failure
      throw e;
    }
  } finally {
    Qt.dispose();
  }
}

/** svd of a CSR matrix without U: the singular values and right vectors (all LSA needs). */
export function svdRight(be: Backend, a: CsrMatrix, options: SvdOptions = {}): Omit<SvdResult, "U"> {
  if (a.backend !== be) throw new InputError("svd: the CSR matrix lives on another backend");
  return randomizedSvd(be, sparseOperator(be, a), options, false);
}

/**
 * SVD of a small square matrix M (n×n, row-major, float64): M = U·diag(S)·Vᵀ (U, V row-major
 * n×n; columns are the singular vectors; S unsorted), by the backend's one-sided Jacobi kernel
 * in float64: rotations orthogonalise pairs of columns until every pair is orthogonal to
 * working precision.
 */
function jacobiSvd(be: Backend, M: Float64Array, n: number): { U: Float64Array; S: Float64Array; V: Float64Array } {
  const heap = be.heap, w = heap.alloc(n * n * 8);
  let v = 0, norms = 0;
  try {
    v = heap.alloc(n * n * 8);
    norms = heap.alloc(n * 8);
    const W = new Float64Array(heap.memory.buffer, w, n * n), Vi = new Float64Array(heap.memory.buffer, v, n * n);
    for (let j = 0; j < n; j++) for (let i = 0; i < n; i++) { W[j * n + i] = M[i * n + j]; Vi[j * n + i] = i === j ? 1 : 0; } // columns
    be.kernels.jacobi_svd_f64(w, v, n, n, 60, norms);
    const Wc = new Float64Array(heap.memory.buffer, w, n * n), Vc = new Float64Array(heap.memory.buffer, v, n * n);
    const S = Float64Array.from({ length: n }, (_, j) => Math.hypot(...Wc.subarray(j * n, (j + 1) * n)));
    const U = new Float64Array(n * n), V = new Float64Array(n * n);
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < n; i++) {
        U[i * n + j] = S[j] > 0 ? Wc[j * n + i] / S[j] : 0;
        V[i * n + j] = Vc[j * n + i];
      }
    }
    return { U, S, V };
  } finally {
    for (const p of [w, v, norms]) if (p) heap.free(p);
  }
}

/**
 * Eigen-decomposition of a symmetric matrix S [n, n] by cyclic Jacobi rotations in float64:
 * S = V·diag(values)·Vᵀ. Accurate to a few ulps of the largest eigenvalue; O(n³) per sweep,
 * fine up to a few hundred rows. A matrix that is not symmetric (beyond rounding) is an error.
 */
export function eigh(be: Backend, s: TensorLike, { order = "ascending" }: EighOptions = {}): EighResult {
  if (order !== "ascending" && order !== "descending") throw new InputError(`eigh: order must be "ascending" or "descending", got ${JSON.stringify(order)}`);
  const [n, data] = be.run("eigh", [s], ([S]) => {
    if (S.rank !== 2 || S.shape[0] !== S.shape[1]) throw new ShapeError(`eigh: expected a square matrix, got shape ${formatShape(S.shape)}`);
    return [S.shape[0], S.toFloat32Array()] as const;
  });
  let max = 0;
  for (const x of data) {
    if (!Number.isFinite(x)) throw new InputError(`eigh: the matrix has a non-finite value (${x})`);
    max = Math.max(max, Math.abs(x));
  }
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (Math.abs(data[i * n + j] - data[j * n + i]) > 1e-5 * max) {
        throw new InputError(`eigh: the matrix is not symmetric: [${i},${j}] = ${data[i * n + j]} but [${j},${i}] = ${data[j * n + i]}`);
      }
    }
  }
  const A = Float64Array.from({ length: n * n }, (_, k) => (data[k] + data[(k % n) * n + Math.floor(k / n)]) / 2);
  const { values, vectors } = jacobiEigen(A, n);
  const idx = [...values.keys()].sort((i, j) => (order === "ascending" ? values[i] - values[j] : values[j] - values[i]));
  const out = new Float32Array(n * n);
  idx.forEach((c, j) => { for (let i = 0; i < n; i++) out[i * n + j] = vectors[i * n + c]; });
  return { values: Float64Array.from(idx, (c) => values[c]), vectors: be.tensor(out, [n, n]) };
}

/** Cyclic Jacobi on a symmetric float64 matrix (row-major, destroyed): eigenvalues and V (columns). */
function jacobiEigen(A: Float64Array, n: number): { values: Float64Array; vectors: Float64Array } {
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0, diag = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) (i === j ? (diag += A[i * n + j] ** 2) : (off += A[i * n + j] ** 2));
    if (off <= 1e-26 * diag || off === 0) break; // off-diagonal below ~1e-13 of the diagonal
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q];
        if (apq === 0) continue;
        const theta = (A[q * n + q] - A[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(1 + theta * theta));
        const c = 1 / Math.sqrt(1 + t * t), s = t * c;
        // A ← Jᵀ·A·J on rows and columns p, q; V ← V·J
        for (let k = 0; k < n; k++) {
          const akp = A[k * n + p], akq = A[k * n + q];
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p * n + k], aqk = A[q * n + k];
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k * n + p], vkq = V[k * n + q];
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  return { values: Float64Array.from({ length: n }, (_, i) => A[i * n + i]), vectors: V };
}

/**
 * Fills `out` with the random test matrix of `svd`: independent uniform samples of unit variance
 * over a seeded LCG. Any sub-Gaussian distribution sketches a range as well as Gaussians do (Halko et al.,
 * §4.6), and these cost a multiply-add each instead of a logarithm and two trigonometric calls.
 */
function fillSketch(out: Float32Array, seed: number): void {
  const scale = Math.sqrt(12) / 2 ** 32;
  let s = (seed >>> 0) || 1;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s - 2 ** 31) * scale;
  }
}

/** Options of `pca`. */
export interface PcaOptions {
  /** "eigh": exact, from the d×d covariance (default when d ≤ 256); "svd": randomized SVD of the
   *  centred data with 4 power iterations (default above), for wide data and small k. */
  method?: "eigh" | "svd";
  /** Seed of the randomized SVD. */
  seed?: number;
}

/**
 * Principal component analysis fitted to rows of data: `components` [k, d] (unit rows, by
 * decreasing variance), the variance along each and its share of the total, and `transform(x)`
 * to project new rows. Free it with `dispose()`.
 */
export class PCA {
  constructor(
    readonly backend: Backend,
    /** The principal axes as rows [k, d]. */
    readonly components: Tensor,
    /** Per-column mean of the fitted data [d]. */
    readonly mean: Tensor,
    /** Variance of the data along each component (sample variance, n − 1). */
    readonly explainedVariance: Float64Array,
    /** Each component's share of the total variance. */
    readonly explainedVarianceRatio: Float64Array,
  ) {}

  /** Rows [n, d] (or one row [d]) projected onto the components: [n, k] (or [k]). */
  transform(x: TensorLike): Tensor {
    return this.backend.run("PCA.transform", [x], ([X]) => {
      const d = this.mean.size;
      if ((X.rank === 2 ? X.shape[1] : X.shape[0]) !== d || X.rank > 2) throw new ShapeError(`PCA.transform: rows ${formatShape(X.shape)} do not have the fitted width ${d}`);
      using centred = this.backend.sub(X, this.mean);
      return this.backend.matmul(centred, this.components, { transposeB: true });
    });
  }

  dispose(): void {
    this.components.dispose();
    this.mean.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/** PCA of the rows of X [n, d] keeping k components. */
export function pca(be: Backend, x: TensorLike, k: number, { method, seed = 1 }: PcaOptions = {}): PCA {
  return be.run("pca", [x], ([X]) => {
    if (X.rank !== 2 || X.shape[0] < 2) throw new ShapeError(`pca: expected a matrix with at least 2 rows, got shape ${formatShape(X.shape)}`);
    const [n, d] = X.shape;
    if (!Number.isInteger(k) || k < 1 || k > Math.min(n, d)) throw new InputError(`pca: k must be an integer in 1..${Math.min(n, d)}, got ${k}`);
    const how = method ?? (d <= 256 ? "eigh" : "svd");
    if (how !== "eigh" && how !== "svd") throw new InputError(`pca: method must be "eigh" or "svd", got ${JSON.stringify(method)}`);
    checkFinite("pca", X);
    const data = X.toFloat32Array(), mean = new Float64Array(d);
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j] / n;
    let total = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) total += (data[i * d + j] - mean[j]) ** 2;
    total /= n - 1;
    const meanT = be.tensor(Float32Array.from(mean), [d]);
    try {
      using centred = be.sub(X, meanT);
      let components: Tensor, variance: Float64Array;
      if (how === "eigh") {
        using cov = (() => { using t = be.transpose(centred); using g = be.matmul(t, centred); return be.scale(g, 1 / (n - 1)); })();
        const { values, vectors } = eigh(be, cov, { order: "descending" });
        using v = vectors;
        using vt = be.transpose(v);
        components = be.tensor(vt.toFloat32Array().subarray(0, k * d), [k, d]);
        variance = values.slice(0, k).map((x) => Math.max(0, x));
      } else {
        const { U, S, Vt } = svd(be, centred, { rank: k, powerIters: 4, seed });
        U.dispose();
        components = Vt;
        variance = S.map((s) => (s * s) / (n - 1));
      }
      return new PCA(be, components, meanT, variance, variance.map((v) => (total > 0 ? v / total : 0)));
    } catch (e) {
      meanT.dispose();
      throw e;
    }
  });
}
