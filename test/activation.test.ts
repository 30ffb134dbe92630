import { describe, expect, it } from "vitest";
import { ACTIVATION_CODES, InputError, type Activation } from "../src/index";
import { PATHS, SWEEP, backend, expectClose, randomF32, refMatmul } from "./helpers";

/** erf by Simpson's rule on 2/√π·e^(−t²) (independent of the library's series): error < 1e-12. */
function erfRef(x: number): number {
  const n = 2000, h = x / n;
  let s = 1 + Math.exp(-x * x);
  for (let i = 1; i < n; i++) s += (i % 2 ? 4 : 2) * Math.exp(-((i * h) ** 2));
  return (2 / Math.sqrt(Math.PI)) * (h / 3) * s;
}

const REF: Record<Activation, (x: number) => number> = {
  identity: (x) => x,
  relu: (x) => Math.max(0, x),
  gelu: (x) => 0.5 * x * (1 + erfRef(x / Math.SQRT2)),
  gelu_tanh: (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
  silu: (x) => x / (1 + Math.exp(-x)),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: Math.tanh,
};

// Tolerance: a few float32 ulps relative, plus an absolute term for the SIMD approximations
// (erf 1.5e-7, tanh via sigmoid 2e-7) scaled by |x| where the activation multiplies by x.
const tol = (name: Activation, x: number, want: number) =>
  8 * 2 ** -23 * Math.abs(want) + (name === "relu" || name === "identity" ? 0 : 4e-7 * Math.max(1, Math.abs(x)));

const NAMES = Object.keys(ACTIVATION_CODES) as Activation[];

describe.each(PATHS)("activations on %s", (path) => {
  it.each(NAMES)("%s matches float64 over [-12, 12], at 0 and at ±100", async (name) => {
    const be = await backend(path);
    const xs = new Float32Array(4001 + 6);
    for (let i = 0; i <= 4000; i++) xs[i] = -12 + (24 * i) / 4000;
    xs.set([0, -0, 100, -100, 1e-6, -1e-6], 4001);
    const got = be.activate(xs, name).toFloat32Array();
    const want = Array.from(xs, REF[name]);
    expectClose(got, want, Array.from(xs, (x, i) => tol(name, x, want[i])), name);
  });

  it("fuses bias and activation into dense over the size sweep, equal to the composition", async () => {
    const be = await backend(path);
    let seed = 1;
    for (const name of ["relu", "gelu", "silu", "tanh"] as Activation[]) {
      // 200 and 130 columns cross the epilogue's groups of column slivers with a ragged tail; 300 rows cross MC;
      // 700 columns cross the column blocks of a batch whose A is packed once (NR·24)
      for (const [m, k, n] of [[1, 7, 9], [5, 33, 1], [17, 65, 31], [64, 64, 64], [3, 600, 40], [130, 20, 25], [20, 30, 200], [300, 16, 130], [20, 30, 700]]) {
        const x = randomF32(m * k, seed++), w = randomF32(k * n, seed++), b = randomF32(n, seed++);
        const Y = be.dense(be.tensor(x, [m, k]), be.tensor(w, [k, n]), be.tensor(b), name);
        const { c, tol: t } = refMatmul(x, w, m, k, n, false, b);
        const want = Array.from(c, REF[name]);
        // the activation's slope is at most ~1.13 (gelu), so the product's error passes through
        expectClose(Y.toFloat32Array(), want, Array.from(c, (v, i) => 1.2 * t[i] + tol(name, v, want[i])), `dense ${name} ${m}x${k}x${n}`);
      }
    }
    for (const k of SWEEP) {
      const x = randomF32(3 * k, k), w = randomF32(k * 5, k + 1);
      const fused = be.dense(be.tensor(x, [3, k]), be.tensor(w, [k, 5]), null, "relu").toFloat32Array();
      const composed = be.activate(be.matmul(be.tensor(x, [3, k]), be.tensor(w, [k, 5])), "relu").toFloat32Array();
      expect(fused).toEqual(composed);
    }
  });

  it("rejects an unknown activation by name", async () => {
    const be = await backend(path);
    expect(() => be.activate([1], "swish" as Activation)).toThrow(InputError);
    expect(() => be.dense([[1]], [[1]], null, "gelu2" as Activation)).toThrow('dense: unknown activation "gelu2"');
  });
});
