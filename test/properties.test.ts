import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PATHS, backend, expectClose, refMatmul } from "./helpers";

const dims = fc.integer({ min: 1, max: 40 });
const floats = (n: number) => fc.float32Array({ minLength: n, maxLength: n, min: -100, max: 100, noNaN: true, noDefaultInfinity: true });

describe.each(PATHS)("properties on %s", (path) => {
  it("cos(x, x) = 1 for any nonzero x", async () => {
    const be = await backend(path);
    fc.assert(fc.property(fc.integer({ min: 1, max: 300 }).chain(floats), (x) => {
      fc.pre(x.some((v) => Math.abs(v) > 1e-3));
      expect(Math.abs(be.cosineSimilarity(x, x) - 1)).toBeLessThan(1e-5);
    }));
  });

  it("softmax rows are non-negative and sum to 1", async () => {
    const be = await backend(path);
    fc.assert(fc.property(dims, dims, fc.integer({ min: 0, max: 2 ** 31 }), (rows, cols, seed) => {
      const x = fc.sample(floats(rows * cols), { seed, numRuns: 1 })[0].map((v) => v * 10);
      const y = be.softmax(be.tensor(x, [rows, cols]));
      for (const row of y.toArray() as number[][]) {
        expect(row.every((v) => v >= 0)).toBe(true);
        expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
      }
      y.dispose();
    }), { numRuns: 60 });
  });

  it("(A·B)ᵀ = Bᵀ·Aᵀ", async () => {
    const be = await backend(path);
    fc.assert(fc.property(dims, dims, dims, fc.integer({ min: 0, max: 2 ** 31 }), (m, k, n, seed) => {
      const [a, b] = fc.sample(fc.tuple(floats(m * k), floats(k * n)), { seed, numRuns: 1 })[0];
      const A = be.tensor(a, [m, k]), B = be.tensor(b, [k, n]);
      const left = be.transpose(be.matmul(A, B));
      const right = be.matmul(be.transpose(B), be.transpose(A));
      const { tol } = refMatmul(a, b, m, k, n);
      const tolT = new Float64Array(n * m);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) tolT[j * m + i] = 2 * tol[i * n + j];
      expect(left.shape).toEqual([n, m]);
      expectClose(left.toFloat32Array(), right.toFloat32Array(), tolT, `${m}x${k}x${n}`);
      for (const t of [A, B, left, right]) t.dispose();
    }), { numRuns: 60 });
  });

  it("gives the same results before and after memory grew", async () => {
    const be = await backend(path);
    fc.assert(fc.property(dims, dims, dims, fc.integer({ min: 0, max: 2 ** 31 }), (m, k, n, seed) => {
      const [a, b] = fc.sample(fc.tuple(floats(m * k), floats(k * n)), { seed, numRuns: 1 })[0];
      const A = be.tensor(a, [m, k]), B = be.tensor(b, [k, n]);
      const before = be.softmax(be.matmul(A, B)).toFloat32Array();
      const cap = be.memoryStats().capacityBytes;
      const filler = be.zeros([Math.ceil(cap / 4 / 1024) + 1, 1024]); // more than all memory now: must grow
      expect(be.memoryStats().capacityBytes).toBeGreaterThan(cap);
      const after = be.softmax(be.matmul(A, B)).toFloat32Array();
      expect(after).toEqual(before);
      for (const t of [A, B, filler]) t.dispose();
    }), { numRuns: 8 });
  });
});
