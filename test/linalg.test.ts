import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CsrMatrix, DisposedError, InputError, LengthError, ShapeError, readNpy, type Backend, type Tensor } from "../src/index";
import * as linalg from "../src/linalg";
import { PATHS, backend, expectClose, randomF32, refMatmul } from "./helpers";

// References: numpy's decompositions in float64 (scripts/make-linalg-fixtures.py).
const fixture = (name: string) => readNpy(readFileSync(join(__dirname, "fixtures", "linalg", `${name}.npy`)));

/** Columns (or rows, with `rows`) of a row-major matrix as float64 arrays. */
function vectors(data: ArrayLike<number>, [m, n]: number[], rows: boolean): Float64Array[] {
  return rows
    ? Array.from({ length: m }, (_, i) => Float64Array.from({ length: n }, (_, j) => data[i * n + j]))
    : Array.from({ length: n }, (_, j) => Float64Array.from({ length: m }, (_, i) => data[i * n + j]));
}
const dotF64 = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

/** Sign-invariant: each vector matches its reference up to sign, |cos| ≥ 1 − tol. */
function expectSameDirections(got: Float64Array[], want: Float64Array[], tol: number) {
  want.forEach((w, i) => {
    const cos = Math.abs(dotF64(got[i], w)) / Math.sqrt(dotF64(got[i], got[i]) * dotF64(w, w));
    expect(cos, `vector ${i}`).toBeGreaterThan(1 - tol);
  });
}

/** Cosines of the principal angles between the spans of two orthonormal sets (singular values of AᵀB, via eigh of its Gram matrix). */
function principalCosines(be: Backend, a: Float64Array[], b: Float64Array[]): number[] {
  const k = a.length, M = a.map((x) => b.map((y) => dotF64(x, y)));
  const gram = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => M.reduce((s, row) => s + row[i] * row[j], 0)));
  const { values, vectors } = linalg.eigh(be, gram);
  vectors.dispose();
  return Array.from(values, (v) => Math.sqrt(Math.max(0, v)));
}

function expectOrthonormal(vs: Float64Array[], tol: number) {
  vs.forEach((a, i) => vs.forEach((b, j) => expect(Math.abs(dotF64(a, b) - (i === j ? 1 : 0))).toBeLessThan(tol)));
}

const shapeOf = (t: Tensor) => [...t.shape];

describe.each(PATHS)("decompositions on %s", (path) => {
  let be: Backend;

  it("qr: Q has orthonormal columns, R is upper triangular, Q·R = A (float64 product)", async () => {
    be = await backend(path);
    // past one panel of 32 reflectors (97 = 3 panels + 1), and a zero column (no reflection) in the second panel
    for (const [m, n, zero] of [[1, 1], [5, 3], [64, 17], [200, 40], [300, 97], [90, 50, 37]]) {
      const a = randomF32(m * n, m + n);
      if (zero !== undefined) for (let i = 0; i < m; i++) a[i * n + zero] = 0;
      const { Q, R } = linalg.qr(be, be.tensor(a, [m, n]));
      expect(shapeOf(Q)).toEqual([m, n]);
      const q = Q.toFloat32Array(), r = R.toFloat32Array();
      for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(r[i * n + j]).toBe(0);
      expectOrthonormal(vectors(q, [m, n], false), 1e-5);
      expectClose(refMatmul(q, r, m, n, n).c, a, 1e-5, `Q·R ${m}×${n}`);
      Q.dispose(); R.dispose();
    }
    expect(() => linalg.qr(be, be.tensor(randomF32(6, 1), [2, 3]))).toThrow(ShapeError);
  });

  it("svd of a dense matrix: singular values, singular subspaces and the rank-k error match numpy", async () => {
    be = await backend(path);
    const A = fixture("svd_A"), S = fixture("svd_S"), U = fixture("svd_U"), Vt = fixture("svd_Vt");
    const k = 10;
    const res = linalg.svd(be, be.tensor(A.data, A.shape), { rank: k, oversample: 10, powerIters: 2 });
    expect(shapeOf(res.U)).toEqual([120, k]);
    expect(shapeOf(res.Vt)).toEqual([k, 80]);
    expectClose(res.S, S.data.subarray(0, k), Array.from(S.data.subarray(0, k), (s) => 1e-4 * s), "singular values");
    const u = vectors(res.U.toFloat32Array(), [120, k], false), vt = vectors(res.Vt.toFloat32Array(), [k, 80], true);
    expectOrthonormal(u, 1e-4);
    expectOrthonormal(vt, 1e-4);
    expectSameDirections(u, vectors(U.data, U.shape, false), 1e-4);
    for (const c of principalCosines(be, u, vectors(U.data, U.shape, false))) expect(c).toBeGreaterThan(1 - 1e-5);
    expectSameDirections(vt, vectors(Vt.data, Vt.shape, true), 1e-4);
    // ‖A − U·S·Vt‖_F against the optimum √(Σ_{i>k} s_i²)
    let err = 0;
    for (let i = 0; i < 120; i++) for (let j = 0; j < 80; j++) {
      let x = A.data[i * 80 + j];
      for (let c = 0; c < k; c++) x -= u[c][i] * res.S[c] * vt[c][j];
      err += x * x;
    }
    const best = Math.sqrt(Array.from(S.data.subarray(k)).reduce((s, x) => s + x * x, 0));
    expect(Math.sqrt(err)).toBeLessThan(best * 1.001 + 1e-4);
    res.U.dispose(); res.Vt.dispose();
  });

  it("svd of a CSR matrix equals numpy's singular values of its dense form", async () => {
    be = await backend(path);
    const T = fixture("sparse_A"), S = fixture("sparse_S"), U5 = fixture("sparse_U");
    using A = CsrMatrix.fromDense(be, be.tensor(T.data, T.shape));
    expect(A.nnz).toBe(Array.from(T.data).filter((x) => x !== 0).length);
    // a random sparse matrix has a flat spectrum (10.97, 10.84, 10.72, …): the sketch needs room
    const res = linalg.svd(be, A, { rank: 8, oversample: 40, powerIters: 8 });
    expectClose(res.S, S.data.subarray(0, 8), Array.from(S.data.subarray(0, 8), (s) => 2e-3 * s), "sparse singular values");
    // the top-5 left singular subspace: every principal angle to numpy's within ~1.4°
    const u = vectors(res.U.toFloat32Array(), [300, 8], false).slice(0, 5);
    for (const c of principalCosines(be, u, vectors(U5.data, U5.shape, false))) expect(c).toBeGreaterThan(0.9997);
    res.U.dispose(); res.Vt.dispose();
  });

  it("svd, qr and pca leave no live bytes behind (the random sketch and every panel are freed)", async () => {
    be = await backend(path);
    using D = be.tensor(randomF32(120 * 50, 5), [120, 50]);
    using A = CsrMatrix.fromDense(be, D);
    const before = be.memoryStats().liveBytes;
    for (const a of [D, A]) {
      const { U, Vt } = linalg.svd(be, a, { rank: 6 });
      U.dispose(); Vt.dispose();
    }
    const { Q, R } = linalg.qr(be, D);
    Q.dispose(); R.dispose();
    linalg.pca(be, D, 3).dispose();
    expect(be.memoryStats().liveBytes).toBe(before);
  });

  it("CSR products equal the float64 dense products, Aᵀ·B without forming Aᵀ; bad arrays are clear errors", async () => {
    be = await backend(path);
    const [m, n, p] = [37, 29, 13];
    const dense = randomF32(m * n, 4).map((x) => (Math.abs(x) < 0.35 ? 0 : x));
    using A = CsrMatrix.fromDense(be, be.tensor(dense, [m, n]));
    const B = randomF32(n * p, 5), C = randomF32(m * p, 6);
    const ab = A.matmul(be.tensor(B, [n, p]));
    const ref = refMatmul(dense, B, m, n, p);
    expectClose(ab.toFloat32Array(), ref.c, ref.tol, "A·B");
    const at = new Float32Array(n * m);
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at[j * m + i] = dense[i * n + j];
    const reft = refMatmul(at, C, n, m, p);
    expectClose(A.tmatmul(be.tensor(C, [m, p])).toFloat32Array(), reft.c, reft.tol, "Aᵀ·B");
    expectClose(A.toDense().toFloat32Array(), dense, 0);
    // a repeated column sums (as in scipy), also inside one four-entry group of the kernels
    using D = CsrMatrix.fromArrays(be, { shape: [2, 3], indptr: [0, 5, 6], indices: [1, 1, 0, 1, 2, 1], values: [1, 2, 3, 4, 5, 6] });
    const X = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15]], Y = [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10]];
    expect(D.matmul(X).toArray()).toEqual([X[0].map((x, j) => 3 * x + 7 * X[1][j] + 5 * X[2][j]), X[1].map((x) => 6 * x)]);
    expect(D.tmatmul(Y).toArray()).toEqual([Y[0].map((y) => 3 * y), Y[0].map((y, j) => 7 * y + 6 * Y[1][j]), Y[0].map((y) => 5 * y)]);
    expect(() => A.matmul(be.tensor(C, [m, p]))).toThrow("CsrMatrix.matmul: [37,29] @ [37,13]: B must be [29, n]");
    expect(() => CsrMatrix.fromArrays(be, { shape: [2, 2], indptr: [0, 1], indices: [0], values: [1] })).toThrow(LengthError);
    expect(() => CsrMatrix.fromArrays(be, { shape: [2, 2], indptr: [0, 1, 1], indices: [2], values: [1] })).toThrow("column index 2 at entry 0 is outside 0..1");
    expect(() => CsrMatrix.fromArrays(be, { shape: [2, 2], indptr: [0, 2, 1], indices: [0, 1], values: [1, 2] })).toThrow(InputError);
    expect(() => CsrMatrix.fromArrays(be, { shape: [1, 2], indptr: [0, 1], indices: [0], values: [NaN] })).toThrow("not finite");
    const gone = CsrMatrix.fromArrays(be, { shape: [1, 1], indptr: [0, 1], indices: [0], values: [2] });
    gone.dispose();
    expect(() => gone.matmul([[1]])).toThrow(DisposedError);
  });

  it("eigh: eigenvalues and eigenvectors match numpy, both orders; a non-symmetric matrix is an error", async () => {
    be = await backend(path);
    const S = fixture("eigh_S"), w = fixture("eigh_values"), v = fixture("eigh_vectors");
    const scale = Math.max(...Array.from(w.data, Math.abs));
    const asc = linalg.eigh(be, be.tensor(S.data, S.shape));
    expectClose(asc.values, w.data, 1e-5 * scale, "eigenvalues");
    expectSameDirections(vectors(asc.vectors.toFloat32Array(), [40, 40], false), vectors(v.data, v.shape, false), 1e-4);
    const desc = linalg.eigh(be, be.tensor(S.data, S.shape), { order: "descending" });
    expectClose(desc.values, Array.from(w.data).reverse(), 1e-5 * scale);
    expect(() => linalg.eigh(be, [[1, 2], [0, 1]])).toThrow("eigh: the matrix is not symmetric: [0,1] = 2 but [1,0] = 0");
    expect(() => linalg.eigh(be, be.tensor(randomF32(6, 1), [2, 3]))).toThrow(ShapeError);
  });

  it.each(["eigh", "svd"] as const)("pca (%s): components, explained variance and transform match numpy", async (method) => {
    be = await backend(path);
    const X = fixture("pca_X");
    using p = linalg.pca(be, be.tensor(X.data, X.shape), 3, { method });
    const comps = fixture("pca_components"), variance = fixture("pca_variance"), ratio = fixture("pca_ratio");
    expectClose(p.explainedVariance, variance.data, Array.from(variance.data, (x) => 1e-4 * x), "variance");
    expectClose(p.explainedVarianceRatio, ratio.data, 1e-4, "ratio");
    const got = vectors(p.components.toFloat32Array(), [3, 12], true);
    expectSameDirections(got, vectors(comps.data, comps.shape, true), 1e-4);
    // the projection, up to each component's sign
    const proj = p.transform(be.tensor(X.data.subarray(0, 20 * 12), [20, 12])).toFloat32Array(), want = fixture("pca_transformed").data;
    const signs = got.map((g, c) => Math.sign(dotF64(g, vectors(comps.data, comps.shape, true)[c])));
    expectClose(Array.from(proj, (x, i) => x * signs[i % 3]), want, 1e-3 * Math.max(...Array.from(want, Math.abs)), "transform");
    expect(() => p.transform([1, 2, 3])).toThrow(ShapeError);
    expect(() => linalg.pca(be, [[1, 2], [3, NaN], [5, 6]], 1)).toThrow("pca: the matrix has a non-finite value (NaN) at [1,1]");
    expect(() => linalg.svd(be, [[1, Infinity], [3, 4]], { rank: 1 })).toThrow("svd: the matrix has a non-finite value (Infinity) at [0,1]");
  });
});
