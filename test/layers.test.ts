import { describe, expect, it } from "vitest";
import { KVCache, Linear, Sequential, ShapeError, scope } from "../src/index";
import { PATHS, backend, expectClose, randomF32, refMatmul } from "./helpers";

describe.each(PATHS)("layer objects on %s", (path) => {
  it("Linear takes [in,out] or PyTorch's [out,in] weights and fuses its activation", async () => {
    const be = await backend(path);
    const [m, k, n] = [9, 20, 13];
    const x = randomF32(m * k, 1), w = randomF32(k * n, 2), b = randomF32(n, 3);
    const wT = new Float32Array(n * k);
    for (let i = 0; i < k; i++) for (let j = 0; j < n; j++) wT[j * k + i] = w[i * n + j];
    const a = new Linear(be, be.tensor(w, [k, n]), b, { activation: "relu" });
    const t = new Linear(be, be.tensor(wT, [n, k]), b, { activation: "relu", layout: "out_in" });
    expect([t.inFeatures, t.outFeatures]).toEqual([k, n]);
    const { c, tol } = refMatmul(x, w, m, k, n, false, b);
    const want = Array.from(c, (v) => Math.max(0, v));
    const X = be.tensor(x, [m, k]);
    expectClose(a.forward(X).toFloat32Array(), want, tol, "in_out");
    expectClose(t.forward(X).toFloat32Array(), want, tol, "out_in");
    // one input row against [out,in] weights is a matrix-vector product over the weights' rows,
    // with the bias taken per row (40 rows: the quarter-split path)
    const w1 = randomF32(40 * k, 4), b1 = randomF32(40, 5), x1 = randomF32(k, 6);
    const one = new Linear(be, be.tensor(w1, [40, k]), be.tensor(b1), { layout: "out_in" });
    const w1T = new Float32Array(k * 40);
    for (let i = 0; i < k; i++) for (let j = 0; j < 40; j++) w1T[i * 40 + j] = w1[j * k + i];
    const r1 = refMatmul(x1, w1T, 1, k, 40, false, b1);
    expectClose(one.forward(be.tensor(x1, [1, k])).toFloat32Array(), r1.c, r1.tol, "out_in, one row");
    one.dispose();
    expect(() => new Linear(be, be.tensor(w, [k, n]), be.zeros([n + 1]))).toThrow("Linear: bias [14] does not match 13 outputs");
    expect(() => new Linear(be, w, b)).toThrow(ShapeError);
    a.dispose(); t.dispose();
  });

  it("Sequential runs an MLP and frees its intermediates", async () => {
    const be = await backend(path);
    const [m, d, h] = [6, 16, 32];
    const x = randomF32(m * d, 4), w1 = randomF32(d * h, 5), b1 = randomF32(h, 6), w2 = randomF32(h * d, 7), b2 = randomF32(d, 8);
    const mlp = scope(() => new Sequential([
      new Linear(be, be.tensor(w1, [d, h]), b1, { activation: "gelu" }),
      new Linear(be, be.tensor(w2, [h, d]), b2),
    ]));
    const before = be.memoryStats().liveBytes;
    const X = be.tensor(x, [m, d]);
    const y = mlp.forward(X);
    const h1 = refMatmul(x, w1, m, d, h, false, b1).c.map((v) => 0.5 * v * (1 + erfApprox(v / Math.SQRT2)));
    const { c } = refMatmul(Float32Array.from(h1), w2, m, h, d, false, b2);
    expectClose(y.toFloat32Array(), c, 1e-4, "mlp");
    X.dispose(); y.dispose();
    expect(be.memoryStats().liveBytes).toBe(before);
    mlp.dispose();
  });

  it("a KV cache decodes one position at a time exactly like full causal attention", async () => {
    const be = await backend(path);
    const [s, d, dv] = [70, 16, 24];
    const q = randomF32(s * d, 1), k = randomF32(s * d, 2), v = randomF32(s * dv, 3);
    const full = be.attention(be.tensor(q, [s, d]), be.tensor(k, [s, d]), be.tensor(v, [s, dv]), { causal: true }).toFloat32Array();
    const cache = new KVCache(be, { keyDim: d, valueDim: dv, capacity: 4 });
    for (let i = 0; i < s; i++) {
      cache.append(k.subarray(i * d, (i + 1) * d), v.subarray(i * dv, (i + 1) * dv));
      const out = cache.attend(q.subarray(i * d, (i + 1) * d));
      expect(out.shape).toEqual([dv]);
      expectClose(out.toFloat32Array(), full.subarray(i * dv, (i + 1) * dv), 2e-6, `step ${i}`);
      out.dispose();
    }
    expect(cache.length).toBe(s);
    // a block of queries at once (prefill) equals the same rows of the full result
    const c2 = new KVCache(be, { keyDim: d, valueDim: dv });
    c2.append(be.tensor(k, [s, d]), be.tensor(v, [s, dv]));
    expectClose(c2.attend(be.tensor(q.subarray(60 * d), [10, d])).toFloat32Array(), full.subarray(60 * dv), 2e-6, "last 10");
    expect(() => c2.append(be.zeros([2, d]), be.zeros([3, dv]))).toThrow(ShapeError);
    cache.dispose(); c2.dispose();
  });
});

/** erf for the test's reference (Abramowitz–Stegun 7.1.26 would be too coarse): series to 1e-15. */
function erfApprox(x: number): number {
  let term = x, sum = x;
  for (let n = 1; n < 200; n++) { term *= (-x * x) / n; sum += term / (2 * n + 1); if (Math.abs(term) < 1e-17) break; }
  return Math.abs(x) > 5 ? Math.sign(x) : (2 / Math.sqrt(Math.PI)) * sum;
}
