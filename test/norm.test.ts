import { describe, expect, it } from "vitest";
import { ShapeError } from "../src/index";
import { EPS32, PATHS, SWEEP, backend, expectClose, randomF32 } from "./helpers";

function refLayerNorm(x: Float32Array, rows: number, n: number, g?: Float32Array, b?: Float32Array, eps = 1e-5): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let mean = 0, v = 0;
    for (let i = 0; i < n; i++) mean += x[r * n + i] / n;
    for (let i = 0; i < n; i++) v += (x[r * n + i] - mean) ** 2 / n;
    for (let i = 0; i < n; i++) out[r * n + i] = ((x[r * n + i] - mean) / Math.sqrt(v + eps)) * (g ? g[i] : 1) + (b ? b[i] : 0);
  }
  return out;
}

function refRmsNorm(x: Float32Array, rows: number, n: number, g?: Float32Array, eps = 1e-6): Float64Array {
  const out = new Float64Array(rows * n);
  for (let r = 0; r < rows; r++) {
    let ms = 0;
    for (let i = 0; i < n; i++) ms += x[r * n + i] ** 2 / n;
    for (let i = 0; i < n; i++) out[r * n + i] = (x[r * n + i] / Math.sqrt(ms + eps)) * (g ? g[i] : 1);
  }
  return out;
}

// Outputs are O(1): a float32 sum over the row (≤ n·eps relative) plus a few roundings.
const TOL = (n: number) => (n + 16) * EPS32 * 4;

describe.each(PATHS)("normalisation layers on %s", (path) => {
  it("layerNorm and rmsNorm match float64 over the row-length sweep, with and without gamma/beta", async () => {
    const be = await backend(path);
    let seed = 1;
    for (const rows of [1, 3]) for (const n of SWEEP.filter((s) => s > 0).concat([384, 1536])) {
      const x = randomF32(rows * n, seed++).map((v) => v * 3 + 0.5), g = randomF32(n, seed++), b = randomF32(n, seed++);
      const X = be.tensor(x, [rows, n]);
      expectClose(be.layerNorm(X, g, b).toFloat32Array(), refLayerNorm(x, rows, n, g, b), TOL(n), `layerNorm ${rows}x${n}`);
      expectClose(be.layerNorm(X).toFloat32Array(), refLayerNorm(x, rows, n), TOL(n), `layerNorm plain ${rows}x${n}`);
      expectClose(be.rmsNorm(X, g).toFloat32Array(), refRmsNorm(x, rows, n, g), TOL(n), `rmsNorm ${rows}x${n}`);
      expectClose(be.rmsNorm(X, null, 1e-3).toFloat32Array(), refRmsNorm(x, rows, n, undefined, 1e-3), TOL(n), `rmsNorm eps ${rows}x${n}`);
    }
  });

  it("keeps the variance accurate when the mean is far larger than the spread", async () => {
    const be = await backend(path);
    const x = randomF32(2 * 768, 9).map((v) => 1000 + v);
    // x is float32 near 1000 (spacing 6e-5) and the spread is ~0.6: a one-pass E[x²] − E[x]² would lose it all
    expectClose(be.layerNorm(be.tensor(x, [2, 768])).toFloat32Array(), refLayerNorm(x, 2, 768), 2e-3, "offset rows");
  });

  it("handles constant rows (variance 0 → eps) and checks parameter shapes", async () => {
    const be = await backend(path);
    expect(Array.from(be.layerNorm([[5, 5, 5, 5]]).toFloat32Array())).toEqual([0, 0, 0, 0]);
    expect(() => be.layerNorm(be.zeros([2, 4]), be.zeros([3]))).toThrow(ShapeError);
    expect(() => be.layerNorm(be.zeros([2, 4]), null, be.zeros([5]))).toThrow("layerNorm: beta [5] does not match the row length 4");
    expect(() => be.rmsNorm(be.zeros([2, 4]), be.zeros([2, 4]))).toThrow("rmsNorm: gamma [2,4] does not match the row length 4");
  });
});
