import { describe, expect, it } from "vitest";
import { ShapeError } from "../src/index";
import { EPS32, PATHS, backend, expectClose, randomF32 } from "./helpers";

interface Ref { out: Float64Array; weights: Float64Array }

/** float64 softmax(Q·Kᵀ·scale + mask)·V, with causal offset sk − sq and zero rows for queries that see nothing. */
function refAttention(q: Float32Array, k: Float32Array, v: Float32Array, sq: number, sk: number, d: number, dv: number,
                      { causal = false, mask, scale = 1 / Math.sqrt(d) }: { causal?: boolean; mask?: Float32Array; scale?: number } = {}): Ref {
  const out = new Float64Array(sq * dv), weights = new Float64Array(sq * sk);
  for (let i = 0; i < sq; i++) {
    const s = new Float64Array(sk).fill(-Infinity);
    for (let j = 0; j < sk; j++) {
      if (causal && j > i + sk - sq) continue;
      let dotp = 0;
      for (let c = 0; c < d; c++) dotp += q[i * d + c] * k[j * d + c];
      s[j] = dotp * scale + (mask ? mask[i * sk + j] : 0);
    }
    const mx = Math.max(...s);
    if (mx === -Infinity) continue;
    let sum = 0;
    for (let j = 0; j < sk; j++) sum += Math.exp(s[j] - mx);
    for (let j = 0; j < sk; j++) {
      const p = Math.exp(s[j] - mx) / sum;
      weights[i * sk + j] = p;
      for (let c = 0; c < dv; c++) out[i * dv + c] += p * v[j * dv + c];
    }
  }
  return { out, weights };
}

// Scores carry (d + 2)·eps relative error (a float32 dot), which perturbs each probability by
// about |score|·(d + 2)·eps; the output is a convex combination of values in [-1, 1], summed
// over sk terms. Values and queries here are in [-1, 1].
const tolFor = (d: number, sk: number) => 4 * EPS32 * (d + sk + 16);

describe.each(PATHS)("attention on %s", (path) => {
  it("matches float64 over shapes crossing the query and key blocks, causal or not, sq ≠ sk, dv ≠ d", async () => {
    const be = await backend(path);
    let seed = 1, checked = 0;
    for (const sq of [1, 3, 17, 65, 130]) for (const sk of [1, 5, 64, 97, 200, 401]) for (const [d, dv] of [[3, 5], [64, 64], [16, 33]]) {
      for (const causal of [false, true]) {
        const q = randomF32(sq * d, seed++), k = randomF32(sk * d, seed++), v = randomF32(sk * dv, seed++);
        const got = be.attention(be.tensor(q, [sq, d]), be.tensor(k, [sk, d]), be.tensor(v, [sk, dv]), { causal });
        expect(got.shape).toEqual([sq, dv]);
        expectClose(got.toFloat32Array(), refAttention(q, k, v, sq, sk, d, dv, { causal }).out, tolFor(d, sk),
          `${sq}x${sk} d${d} dv${dv}${causal ? " causal" : ""}`);
        got.dispose();
        checked++;
      }
    }
    expect(checked).toBe(180);
  });

  it("matches float64 where the causal diagonal ends a key block inside a sliver of rows", async () => {
    // sq = sk = 390: the diagonal crosses the end of the 256-key block (mul+add build) and of
    // the 384-key block (FMA build) partway through a sliver, so rows that share a sliver see
    // different numbers of that block's keys
    const be = await backend(path);
    const [s, d] = [390, 64];
    const q = randomF32(s * d, 11), k = randomF32(s * d, 12), v = randomF32(s * d, 13);
    const got = be.attention(be.tensor(q, [s, d]), be.tensor(k, [s, d]), be.tensor(v, [s, d]), { causal: true });
    expectClose(got.toFloat32Array(), refAttention(q, k, v, s, s, d, d, { causal: true }).out, tolFor(d, s), "390x390 causal");
    got.dispose();
  });

  it("applies an additive mask and a custom scale; fully masked rows give zeros, not NaN", async () => {
    const be = await backend(path);
    const [sq, sk, d, dv] = [70, 410, 24, 12];
    const q = randomF32(sq * d, 1), k = randomF32(sk * d, 2), v = randomF32(sk * dv, 3);
    const mask = randomF32(sq * sk, 4).map((x) => (x > 0.3 ? -Infinity : x));
    mask.fill(-Infinity, 5 * sk, 6 * sk); // row 5 sees nothing
    const ref = refAttention(q, k, v, sq, sk, d, dv, { mask, scale: 0.7 });
    const { output, weights } = be.attention(be.tensor(q, [sq, d]), be.tensor(k, [sk, d]), be.tensor(v, [sk, dv]),
      { mask: be.tensor(mask, [sq, sk]), scale: 0.7, returnWeights: true });
    expectClose(output.toFloat32Array(), ref.out, tolFor(d, sk), "masked output");
    expectClose(weights.toFloat32Array(), ref.weights, tolFor(d, sk), "masked weights");
    expect(Array.from(output.toFloat32Array().subarray(5 * dv, 6 * dv))).toEqual(new Array(dv).fill(0));
    expect(Array.from(weights.toFloat32Array().subarray(5 * sk, 6 * sk))).toEqual(new Array(sk).fill(0));
    // four queries (rows 3-6) take the row-by-row path: the same results, row 5 zeros again
    const few = be.attention(be.tensor(q.subarray(3 * d, 7 * d), [4, d]), be.tensor(k, [sk, d]), be.tensor(v, [sk, dv]),
      { mask: be.tensor(mask.subarray(3 * sk, 7 * sk), [4, sk]), scale: 0.7 }).toFloat32Array();
    expectClose(few, ref.out.subarray(3 * dv, 7 * dv), tolFor(d, sk), "masked output, four queries");
    expect(Array.from(few.subarray(2 * dv, 3 * dv))).toEqual(new Array(dv).fill(0));
    // causal with more queries than keys: the first sq − sk queries see no key
    const early = be.attention(be.tensor(q.subarray(0, 10 * d), [10, d]), be.tensor(k.subarray(0, 4 * d), [4, d]),
      be.tensor(v.subarray(0, 4 * dv), [4, dv]), { causal: true }).toFloat32Array();
    expect(early.every((x) => !Number.isNaN(x))).toBe(true);
    expect(Array.from(early.subarray(0, 6 * dv))).toEqual(new Array(6 * dv).fill(0));
  });

  it("equals the unfused composition softmax(Q·Kᵀ/√d)·V built from matmul and softmax", async () => {
    const be = await backend(path);
    const [s, d] = [150, 64];
    const Q = be.tensor(randomF32(s * d, 5), [s, d]), K = be.tensor(randomF32(s * d, 6), [s, d]), V = be.tensor(randomF32(s * d, 7), [s, d]);
    const unfused = be.matmul(be.softmax(be.scale(be.matmul(Q, K, { transposeB: true }), 1 / 8)), V);
    expectClose(be.attention(Q, K, V).toFloat32Array(), unfused.toFloat32Array(), tolFor(d, s), "fused vs unfused");
    const one = be.attention(Q.toFloat32Array().subarray(0, d), K, V, { returnWeights: true });
    expect(one.output.shape).toEqual([d]);
    expect(one.weights.shape).toEqual([s]);
    expect(Math.abs((one.weights.toArray() as number[]).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
  });

  // Up to four queries take the row-by-row path, more the tiled kernel: both read heads in place.
  it.each([19, 3])("multi-head attention (%i queries) matches per-head float64 attention over the projections", async (sq) => {
    const be = await backend(path);
    const [sk, dm, heads] = [23, 48, 4], dh = dm / heads;
    const x = randomF32(sq * dm, 1), ctx = randomF32(sk * dm, 2);
    const w = Object.fromEntries(["wq", "wk", "wv", "wo"].map((n, i) => [n, randomF32(dm * dm, 10 + i).map((t) => t / 4)]));
    const bias = Object.fromEntries(["bq", "bk", "bv", "bo"].map((n, i) => [n, randomF32(dm, 20 + i)]));
    const proj = (a: Float32Array, rows: number, W: Float32Array, b: Float32Array) => {
      const out = new Float32Array(rows * dm);
      for (let i = 0; i < rows; i++) for (let j = 0; j < dm; j++) {
        let s = b[j];
        for (let p = 0; p < dm; p++) s += a[i * dm + p] * W[p * dm + j];
        out[i * dm + j] = s;
      }
      return out;
    };
    const Q = proj(x, sq, w.wq, bias.bq), K = proj(ctx, sk, w.wk, bias.bk), V = proj(ctx, sk, w.wv, bias.bv);
    const concat = new Float32Array(sq * dm);
    const slice = (a: Float32Array, rows: number, h: number) => {
      const out = new Float32Array(rows * dh);
      for (let i = 0; i < rows; i++) for (let c = 0; c < dh; c++) out[i * dh + c] = a[i * dm + h * dh + c];
      return out;
    };
    for (let h = 0; h < heads; h++) {
      const { out } = refAttention(slice(Q, sq, h), slice(K, sk, h), slice(V, sk, h), sq, sk, dh, dh, { causal: true });
      for (let i = 0; i < sq; i++) for (let c = 0; c < dh; c++) concat[i * dm + h * dh + c] = out[i * dh + c];
    }
    const want = proj(concat, sq, w.wo, bias.bo);
    const weights = Object.fromEntries(Object.entries(w).map(([n, a]) => [n, be.tensor(a, [dm, dm])]));
    const got = be.multiHeadAttention(be.tensor(x, [sq, dm]), { ...weights, ...bias } as never,
      { heads, causal: true, context: be.tensor(ctx, [sk, dm]) });
    expect(got.shape).toEqual([sq, dm]);
    expectClose(got.toFloat32Array(), want, 2e-4, "multi-head");
    expect(() => be.multiHeadAttention(be.tensor(x, [sq, dm]), weights as never, { heads: 5 })).toThrow(
      "multiHeadAttention: query/key projection width 48 is not divisible by 5 heads");
  });

  it("names the mismatch in bad shapes", async () => {
    const be = await backend(path);
    expect(() => be.attention(be.zeros([4, 8]), be.zeros([5, 7]), be.zeros([5, 3]))).toThrow(ShapeError);
    expect(() => be.attention(be.zeros([4, 8]), be.zeros([5, 8]), be.zeros([6, 3]))).toThrow("attention: [4,8], [5,8], [6,3]: 5 keys but 6 values");
    expect(() => be.attention(be.zeros([4, 8]), be.zeros([5, 8]), be.zeros([5, 3]), { mask: be.zeros([4, 4]) }))
      .toThrow("attention: mask [4,4] does not match the scores [4,5]");
  });
});

describe.each(PATHS.filter((p) => p !== "js"))("attention memory on %s", (path) => {
  it("runs seq 8192, d 64 with O(seq·d) extra memory, where the score matrix alone would be 256 MiB", async () => {
    const be = await backend(path);
    const [s, d] = [8192, 64];
    const Q = be.tensor(randomF32(s * d, 1), [s, d]), K = be.tensor(randomF32(s * d, 2), [s, d]), V = be.tensor(randomF32(s * d, 3), [s, d]);
    be.heap.resetPeak();
    const before = be.memoryStats().liveBytes;
    const out = be.attention(Q, K, V, { causal: true });
    const extra = be.memoryStats().peakBytes - before;
    expect(extra).toBeLessThan(8 * s * d * 4); // output + packed K and V + small blocks: ~4 × seq·d floats
    // spot-check a few rows against float64
    const q = Q.toFloat32Array(), k = K.toFloat32Array(), v = V.toFloat32Array(), got = out.toFloat32Array();
    for (const i of [0, 1, 4097, 8191]) {
      const ref = refAttention(q.subarray(i * d, (i + 1) * d), k.subarray(0, (i + 1) * d), v.subarray(0, (i + 1) * d), 1, i + 1, d, d);
      expectClose(got.subarray(i * d, (i + 1) * d), ref.out, tolFor(d, i + 1), `row ${i}`);
    }
    for (const t of [Q, K, V, out]) t.dispose();
  });
});
