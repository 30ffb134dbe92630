import { describe, expect, it } from "vitest";
import { ShapeError } from "../src/index";
import { PATHS, SWEEP, backend, expectClose, randomF32, refMatmul } from "./helpers";

// Shapes past the cache blocks (KC = 512; MC = 144 or 192 by build) and the streaming routes (one row or column).
const LARGE: [number, number, number][] = [
  [97, 300, 130], [200, 513, 70], [250, 530, 29], [301, 40, 50], [193, 257, 17], [1, 1536, 33], [130, 1, 40], [5, 1000, 3], [64, 700, 1], [1, 600, 1],
  [7, 33, 9001], [250, 20, 9001], // past the column blocks of either build, with A packed once (m ≤ MC) and per block (m > MC)
  [23, 1100, 1], [1, 1100, 23], // matrix-vector over long rows: six rows at a time, then the rest one by one
];

describe.each(PATHS)("matmul on %s", (path) => {
  for (const transB of [false, true]) {
    it(`matches float64 over the block-boundary sweep of m, k, n${transB ? " (A·Bᵀ)" : ""}`, async () => {
      const be = await backend(path);
      let seed = transB ? 1000 : 1;
      let checked = 0;
      for (const m of SWEEP) for (const k of SWEEP) for (const n of SWEEP) {
        const a = randomF32(m * k, seed++), b = randomF32(k * n, seed++);
        const A = be.tensor(a, [m, k]), B = be.tensor(b, transB ? [n, k] : [k, n]);
        const C = be.matmul(A, B, { transposeB: transB });
        expect(C.shape).toEqual([m, n]);
        const { c, tol } = refMatmul(a, b, m, k, n, transB);
        expectClose(C.toFloat32Array(), c, tol, `${path} ${m}x${k}x${n}${transB ? "T" : ""}`);
        A.dispose(); B.dispose(); C.dispose();
        checked++;
      }
      expect(checked).toBe(SWEEP.length ** 3);
    });
  }

  it.each(LARGE)("matches float64 at %i×%i×%i, past the cache blocks", async (m, k, n) => {
    const be = await backend(path);
    for (const transB of [false, true]) {
      const a = randomF32(m * k, m + k), b = randomF32(k * n, k + n);
      const C = be.matmul(be.tensor(a, [m, k]), be.tensor(b, transB ? [n, k] : [k, n]), { transposeB: transB });
      const { c, tol } = refMatmul(a, b, m, k, n, transB);
      expectClose(C.toFloat32Array(), c, tol, `${m}x${k}x${n}${transB ? "T" : ""}`);
    }
  });

  // Bᵀ of 16 MiB and more is copied into a stage before packing (a search table's block): rows
  // whole when k fits one k-block, k-block by k-block past it; the last stage and sliver partial.
  it.each([[5, 70, 60001], [6, 600, 7001]])("matches float64 at %i×%i×%i with B given as Bᵀ of 16 MiB or more", async (m, k, n) => {
    const be = await backend(path);
    const a = randomF32(m * k, m * k), b = randomF32(k * n, k * n);
    const C = be.matmul(be.tensor(a, [m, k]), be.tensor(b, [n, k]), { transposeB: true });
    const { c, tol } = refMatmul(a, b, m, k, n, true);
    expectClose(C.toFloat32Array(), c, tol, `${m}x${k}x${n}T`);
  });

  it("follows numpy's rules for vectors: [k]·[k,n] → [n], [m,k]·[k] → [m], [k]·[k] → []", async () => {
    const be = await backend(path);
    const W = be.tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    const y = be.matmul(W, [1, 2, 3]);
    expect(y.shape).toEqual([2]);
    expectClose(y.toArray() as number[], [1.4, 3.2], 1e-6, "W·x");
    const r = be.matmul([1, 2], W);
    expect(r.shape).toEqual([3]);
    expectClose(r.toArray() as number[], [0.9, 1.2, 1.5], 1e-6, "x·W");
    const s = be.matmul([1, 2, 3], [4, 5, 6]);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(32);
  });

  it("adds a bias over rows in dense: X·W + b, including the streaming and edge paths", async () => {
    const be = await backend(path);
    for (const [m, k, n] of [[32, 3, 128], [7, 33, 17], [1, 65, 40], [9, 20, 1], [43, 20, 1], [13, 1030, 1], [3, 0, 5]] as const) {
      const x = randomF32(m * k, 7 + m), w = randomF32(k * n, 8 + n), bias = randomF32(n, 9);
      const Y = be.dense(be.tensor(x, [m, k]), be.tensor(w, [k, n]), be.tensor(bias));
      expect(Y.shape).toEqual([m, n]);
      const { c, tol } = refMatmul(x, w, m, k, n, false, bias);
      expectClose(Y.toFloat32Array(), c, tol, `dense ${m}x${k}x${n}`);
    }
  });

  it("names the operation and both shapes when inner dimensions differ", async () => {
    const be = await backend(path);
    const A = be.zeros([3, 5]), B = be.zeros([3, 4]);
    expect(() => be.matmul(A, B)).toThrow(ShapeError);
    expect(() => be.matmul(A, B)).toThrow("matmul: [3,5] @ [3,4]: inner dimensions 5 and 3 differ");
    expect(() => be.matmul(A, be.zeros([4, 3]), { transposeB: true })).toThrow("matmul: [3,5] @ [4,3]ᵀ: inner dimensions 5 and 3 differ");
    expect(() => be.matmul(be.zeros([]), B)).toThrow("scalar operands are not allowed");
    expect(() => be.dense(be.zeros([2, 3]), be.zeros([3, 4]), be.zeros([5]))).toThrow("dense: bias [5] does not match the output width 4");
    expect(() => be.dense(be.zeros([2, 3]), be.zeros([3]))).toThrow("dense: weights must be [in, out], got [3]");
  });

  it("transposes matrices of every sweep size", async () => {
    const be = await backend(path);
    for (const m of SWEEP) for (const n of [0, 1, 5, 16, 17, 33]) {
      const a = randomF32(m * n, m * 100 + n);
      const T = be.transpose(be.tensor(a, [m, n]));
      expect(T.shape).toEqual([n, m]);
      const want = new Float32Array(m * n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) want[j * m + i] = a[i * n + j];
      expect(T.toFloat32Array()).toEqual(want);
    }
  });
});
