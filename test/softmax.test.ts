import { describe, expect, it } from "vitest";
import { PATHS, SWEEP, backend, expectClose, randomF32 } from "./helpers";

/** float64 softmax of each row, with the library's documented edge cases. */
function refSoftmax(x: ArrayLike<number>, rows: number, n: number): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let mx = -Infinity;
    for (let i = 0; i < n; i++) mx = Math.max(mx, x[r * n + i]);
    if (mx === -Infinity) continue; // all -Infinity: zeros
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.exp(x[r * n + i] - mx);
    for (let i = 0; i < n; i++) out[r * n + i] = Math.exp(x[r * n + i] - mx) / s;
  }
  return out;
}

// Each output has relative error of a few ulp from exp plus the normalisation; absolute 1e-6 covers
// tiny entries.
const TOL = (want: Float64Array) => want.map((w) => 8 * 2 ** -23 * Math.abs(w) + 1e-7);

describe.each(PATHS)("softmax on %s", (path) => {
  it("matches float64 over the sweep of row lengths and row counts", async () => {
    const be = await backend(path);
    for (const rows of [1, 2, 5]) for (const n of [...SWEEP, 512]) {
      const x = randomF32(rows * n, rows * 1000 + n).map((v) => v * 10);
      const want = refSoftmax(x, rows, n);
      expectClose(be.softmax(be.tensor(x, [rows, n])).toFloat32Array(), want, TOL(want), `${rows}x${n}`);
    }
  });

  it("is stable at ±1000, equal rows, rows of length one and -Infinity entries", async () => {
    const be = await backend(path);
    const x = [
      [1000, 999, -1000, 0, 1000],
      [-1000, -1001, -1002, -1000, -1000],
      [3, 3, 3, 3, 3],
      [-Infinity, 0, -Infinity, 1, -Infinity],
      [-Infinity, -Infinity, -Infinity, -Infinity, -Infinity],
    ];
    const got = be.softmax(x).toFloat32Array();
    const want = refSoftmax(x.flat(), 5, 5);
    expectClose(got, want, TOL(want), "edge rows");
    expect(Array.from(got.subarray(10, 15))).toEqual([0.2, 0.2, 0.2, 0.2, 0.2].map(Math.fround));
    expect(Array.from(got.subarray(20, 25))).toEqual([0, 0, 0, 0, 0]); // documented: no mass, no NaN
    expect(got[15]).toBe(0);
    expect(be.softmax([[7], [-3], [1e30]]).toArray()).toEqual([[1], [1], [1]]);
    expect(be.softmax([]).shape).toEqual([0]);
    const nan = be.softmax([[1, NaN, 2], [1, 2, 3]]).toArray() as number[][];
    expect(nan[0].every(Number.isNaN)).toBe(true);
    expect(nan[1].some(Number.isNaN)).toBe(false);
  });

  it("handles entries at the edge of exp's range anywhere in a long row (rows take one of two exp loops by their range)", async () => {
    const be = await backend(path);
    const n = 37; // a 16-wide step, 4-wide steps and a scalar tail
    const rows: number[][] = [];
    const FARS = [-87.3, -87.33, -87.34, -200, -Infinity]; // exp(x) is a normal float down to x = -87.336
    for (const far of FARS) {
      for (const at of [3, 17, 35]) {
        const row = Array.from(randomF32(n, at), (v) => v * 3);
        row[at] = 5 + far; // 5 is above every other entry: the max
        row[(at + 7) % n] = 5;
        rows.push(row);
      }
    }
    const got = be.softmax(rows).toFloat32Array();
    const want = refSoftmax(rows.flat(), rows.length, n);
    expectClose(got, want, TOL(want), "edge-of-range rows");
    for (let r = 0; r < rows.length; r++) {
      const sum = got.subarray(r * n, (r + 1) * n).reduce((a, b) => a + b, 0);
      expect(Math.abs(sum - 1), `row ${r}`).toBeLessThan(1e-5);
      // above the edge a tiny positive number; below it at most a subnormal (the SIMD exp: exactly 0)
      const [far, at] = [FARS[Math.floor(r / 3)], [3, 17, 35][r % 3]];
      const p = got[r * n + at];
      if (far > -87.336) expect(p, `row ${r}`).toBeGreaterThan(0);
      else if (path === "js") expect(Math.abs(p), `row ${r}`).toBeLessThan(2 ** -126);
      else expect(p, `row ${r}`).toBe(0);
    }
    const nan = Array.from(randomF32(n, 9));
    nan[20] = NaN;
    expect(Array.from(be.softmax([nan]).toFloat32Array()).every(Number.isNaN)).toBe(true);
  });

  it("rows sum to one", async () => {
    const be = await backend(path);
    const x = randomF32(33 * 65, 5).map((v) => v * 50);
    const y = be.softmax(be.tensor(x, [33, 65])).toArray() as number[][];
    for (const row of y) expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
  });
});

describe.each(PATHS.filter((p) => p !== "js"))("SIMD exp on %s", (path) => {
  it("stays within 2.5 ulp of exp over [-87, 88], is 0 below the normal range and exact at 0", async () => {
    const be = await backend(path);
    const n = 200_001;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = -87 + (175 * i) / (n - 1);
    const y = be.exp(x).toFloat32Array();
    let worst = 0;
    for (let i = 0; i < n; i++) {
      const want = Math.exp(x[i]);
      const ulp = 2 ** (Math.floor(Math.log2(want)) - 23);
      worst = Math.max(worst, Math.abs(y[i] - want) / ulp);
    }
    expect(worst).toBeLessThanOrEqual(2.5);
    expect(Array.from(be.exp([0, -Infinity, -88, -1000]).toFloat32Array())).toEqual([1, 0, 0, 0]);
    expect(be.exp([NaN]).toFloat32Array()[0]).toBeNaN();
  });
});
