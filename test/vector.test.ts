import { describe, expect, it } from "vitest";
import { PATHS, SWEEP, EPS32, backend, expectClose, randomF32, relTol } from "./helpers";

const LENGTHS = [...SWEEP, 127, 1000, 1536];
const sumAbs = (xs: ArrayLike<number>) => { let s = 0; for (let i = 0; i < xs.length; i++) s += Math.abs(xs[i]); return s; };

describe.each(PATHS)("vector ops on %s", (path) => {
  it("dot, norm, sum and cosine match float64 over the length sweep", async () => {
    const be = await backend(path);
    for (const n of LENGTHS) {
      const a = randomF32(n, n), b = randomF32(n, n + 1);
      let d = 0, na = 0, nb = 0, s = 0, mag = 0;
      for (let i = 0; i < n; i++) { d += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; s += a[i]; mag += Math.abs(a[i] * b[i]); }
      const tol = (n + 2) * EPS32;
      expect(Math.abs(be.dot(a, b) - d)).toBeLessThanOrEqual(tol * mag + 1e-30);
      expect(Math.abs(be.norm(a) - Math.sqrt(na))).toBeLessThanOrEqual(tol * Math.sqrt(na) + 1e-30);
      expect(Math.abs(be.sum(a) - s)).toBeLessThanOrEqual(tol * sumAbs(a) + 1e-30);
      const cos = n === 0 ? 0 : d / Math.sqrt(na * nb);
      expect(Math.abs(be.cosineSimilarity(a, b) - cos)).toBeLessThanOrEqual(4 * tol + 1e-30);
    }
  });

  it("computes the article's numbers: |[1,2,3]| = √14, [1,2,3]·[4,5,6] = 32", async () => {
    const be = await backend(path);
    expect(be.norm([1, 2, 3])).toBeCloseTo(Math.sqrt(14), 6);
    expect(be.dot([1, 2, 3], [4, 5, 6])).toBe(32);
    expect(be.cosineSimilarity([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 6);
    expect(be.cosineSimilarity([1, 0], [0, 1])).toBe(0);
  });

  it("dot, norm and cosine of typed arrays (copied in without tensors) equal those of tensors, free what they take, and report bad lengths", async () => {
    const be = await backend(path);
    const a = randomF32(1537, 3), b = randomF32(1537, 4);
    const A = be.tensor(a), B = be.tensor(b);
    const live = be.memoryStats().liveBytes;
    expect(be.dot(a, b)).toBe(be.dot(A, B));
    expect(be.norm(a)).toBe(be.norm(A));
    expect(be.cosineSimilarity(a, b)).toBe(be.cosineSimilarity(A, B));
    expect(be.dot(Float64Array.from(a), b)).toBe(be.dot(A, B)); // float64 converted on the way in
    expect(be.dot(be.heap.f32(A.ptr(), a.length), b)).toBe(be.dot(A, B)); // a view of the backend's own memory
    expect(be.cosineSimilarity(new Float32Array(3), Float32Array.of(1, 2, 3))).toBe(0);
    expect(be.memoryStats().liveBytes).toBe(live);
    expect(() => be.dot(a, b.subarray(1))).toThrow("dot: [1537] · [1536]: lengths 1537 and 1536 differ");
    expect(() => be.cosineSimilarity(new Float32Array(2), new Float32Array(3))).toThrow("cosineSimilarity: [2] · [3]: lengths 2 and 3 differ");
    expect(be.memoryStats().liveBytes).toBe(live);
    A.dispose(); B.dispose();
  });

  it("norm survives values whose squares overflow or underflow float32", async () => {
    const be = await backend(path);
    expect(be.norm([3e20, 4e20])).toBeCloseTo(5e20, -14);
    expect(be.norm([3e-25, 4e-25]) / 5e-25).toBeCloseTo(1, 5);
    expect(be.norm([0, 0, 0])).toBe(0);
    expect(be.norm([1, NaN])).toBeNaN();
    expect(be.cosineSimilarity([0, 0], [1, 2])).toBe(0);
  });

  it("add, sub, mul, div broadcast like numpy and match float64", async () => {
    const be = await backend(path);
    const ops = {
      add: (x: number, y: number) => x + y, sub: (x: number, y: number) => x - y,
      mul: (x: number, y: number) => x * y, div: (x: number, y: number) => x / y,
    };
    const cases: [number[], number[], number[]][] = [
      [[9], [9], [9]], [[5, 7], [5, 7], [5, 7]], [[5, 7], [7], [5, 7]], [[7], [5, 7], [5, 7]],
      [[5, 1], [5, 7], [5, 7]], [[5, 7], [1, 7], [5, 7]], [[5, 1], [1, 7], [5, 7]], [[], [4, 3], [4, 3]],
      [[17, 33], [], [17, 33]], [[0, 3], [3], [0, 3]], [[65], [65], [65]], [[3, 17], [3, 1], [3, 17]],
    ];
    let seed = 1;
    for (const [sa, sb, so] of cases) {
      const a = randomF32(sa.reduce((x, y) => x * y, 1), seed++), b = randomF32(sb.reduce((x, y) => x * y, 1), seed++);
      for (let i = 0; i < b.length; i++) if (Math.abs(b[i]) < 0.05) b[i] = 0.5; // keep div well-conditioned
      const A = be.tensor(a, sa), B = be.tensor(b, sb);
      const [rows, cols] = so.length === 2 ? so : [1, so[0] ?? 1];
      const at = (x: Float32Array, s: number[], r: number, c: number) => {
        const [xr, xc] = s.length === 2 ? s : [1, s[0] ?? 1];
        return x[(xr === 1 ? 0 : r) * xc + (xc === 1 ? 0 : c)];
      };
      for (const [name, f] of Object.entries(ops)) {
        const out = be[name as keyof typeof ops](A, B);
        expect(out.shape).toEqual(so);
        const want = new Float64Array(rows * cols);
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[r * cols + c] = f(at(a, sa, r, c), at(b, sb, r, c));
        expectClose(out.toFloat32Array(), want, relTol(want, 2 * EPS32, 1e-30), `${name} ${JSON.stringify(sa)} ${JSON.stringify(sb)}`);
      }
    }
    expect(() => be.add(be.zeros([3, 4]), be.zeros([5]))).toThrow("add: shapes [3,4] and [5] cannot be broadcast (dimension -1 is 4 vs 5)");
    expect(() => be.sub(be.zeros([2, 4]), be.zeros([3, 4]))).toThrow("sub: shapes [2,4] and [3,4] cannot be broadcast (dimension -2 is 2 vs 3)");
  });

  it("scale, axpy and row normalisation match float64 over the sweep", async () => {
    const be = await backend(path);
    for (const rows of [1, 3, 17]) for (const n of LENGTHS) {
      const x = randomF32(rows * n, n), y = randomF32(rows * n, n + 7);
      const X = be.tensor(x, [rows, n]), Y = be.tensor(y, [rows, n]);
      expectClose(be.scale(X, 2.5).toFloat32Array(), Array.from(x, (v) => v * 2.5), relTol(x, 3 * EPS32), "scale");
      const ax = Array.from(x, (v, i) => -0.75 * v + y[i]);
      expectClose(be.axpy(-0.75, X, Y).toFloat32Array(), ax, 4 * EPS32, "axpy");
      const want = new Float64Array(rows * n);
      for (let r = 0; r < rows; r++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += x[r * n + i] ** 2;
        for (let i = 0; i < n; i++) want[r * n + i] = s > 0 ? x[r * n + i] / Math.sqrt(s) : 0;
      }
      expectClose(be.normalizeRows(X).toFloat32Array(), want, (n + 4) * EPS32, `normalizeRows ${rows}x${n}`);
    }
    const Z = be.normalizeRows([[0, 0, 0], [3, 0, 4]]);
    expect(Z.toArray()).toEqual([[0, 0, 0], [0.6000000238418579, 0, 0.800000011920929]]);
    expect(() => be.axpy(2, [1, 2], [1, 2, 3])).toThrow("axpy: shapes [2] and [3] differ");
    expect(() => be.dot([[1, 2]], [1, 2])).toThrow("dot: expects two vectors, got [1,2] and [2]");
    expect(() => be.dot([1, 2], [1, 2, 3])).toThrow("dot: [2] · [3]: lengths 2 and 3 differ");
  });
});
