// Small kernels where call overhead matters: dot and norm of 1536-vectors (ns per call, data
// resident, and with the inputs copied in from Float32Arrays), and softmax over 512×512 rows.
// The bare-kernel candidate calls the WASM export directly on data already in memory: the floor
// the wrapper's overhead is measured against.

import { randomFloats as rand } from "../data.mjs";
import { models, ortCandidate } from "../onnx.mjs";
import { fixedAgainst, pairedRatio } from "../harness.mjs";

export const kernelsWorkload = {
  name: "kernels",
  aliases: ["dot", "norm", "softmax"],
  title: "dot and norm of 1536 floats (ns per call), softmax over 512×512 rows (ms, GB/s)",
  async run({ backends, paths, quick, measure, progress, peers, ort }) {
    const opts = quick ? { rounds: 3, sampleMs: 30, warmupMs: 40 } : { rounds: 7, sampleMs: 80, warmupMs: 150 };
    const n = 1536, x = rand(n, 1), y = rand(n, 2), big = rand(512 * 512, 3);
    const cands = [], tensors = [];
    // float64 references: every candidate's result is checked against them before it is timed
    let refDot = 0, dotScale = 0, refSq = 0;
    for (let i = 0; i < n; i++) { refDot += x[i] * y[i]; dotScale += Math.abs(x[i] * y[i]); refSq += x[i] * x[i]; }
    const refNorm = Math.sqrt(refSq), refSoftmax = softmaxRows(big, 512);
    // within 1e-5 of the sum of the terms' magnitudes (a float32 sum's error scales with it)
    const checkNumber = (name, got, ref, scale) => {
      if (!(Math.abs(got - ref) <= 1e-5 * scale)) throw new Error(`${name} is off: ${got}, float64 gives ${ref}`);
    };
    const checkSoftmax = (name, got) => {
      let worst = 0;
      for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - refSoftmax[i]) / refSoftmax[i]);
      if (!(worst <= 1e-5)) throw new Error(`${name} softmax is off by ${worst} (relative)`);
    };
    for (const p of paths) {
      const be = backends[p], X = be.tensor(x), Y = be.tensor(y), S = be.tensor(big, [512, 512]);
      tensors.push(X, Y, S);
      checkNumber(`dot on ${p}`, be.dot(X, Y), refDot, dotScale);
      checkNumber(`dot of copied inputs on ${p}`, be.dot(x, y), refDot, dotScale);
      checkNumber(`norm on ${p}`, be.norm(X), refNorm, refNorm);
      checkNumber(`norm of a copied input on ${p}`, be.norm(x), refNorm, refNorm);
      const sm = be.softmax(S);
      checkSoftmax(p, sm.toFloat32Array());
      sm.dispose();
      cands.push({ name: `${p} dot`, run: () => be.dot(X, Y) });
      cands.push({ name: `${p} dot+copy`, run: () => be.dot(x, y) });
      cands.push({ name: `${p} norm`, run: () => be.norm(X) });
      cands.push({ name: `${p} norm+copy`, run: () => be.norm(x) });
      cands.push({ name: `${p} softmax`, run: () => be.softmax(S).dispose() });
      if (p !== "js") cands.push({ name: `${p} bare dot`, run: () => be.kernels.dot_f32(X.ptr(), Y.ptr(), n) });
    }
    if (peers) {
      const tx = peers.tensor("wasm", x, [n]), ty = peers.tensor("wasm", y, [n]), ts = peers.tensor("wasm", big, [512, 512]);
      const read = (f) => { const r = peers.on("wasm", f), v = r.dataSync(); r.dispose(); return v; };
      checkNumber("tfjs-wasm dot", read(() => peers.tf.dot(tx, ty))[0], refDot, dotScale);
      checkNumber("tfjs-wasm norm", read(() => peers.tf.norm(tx))[0], refNorm, refNorm);
      checkSoftmax("tfjs-wasm", read(() => peers.tf.softmax(ts)));
      cands.push({ name: "tfjs-wasm dot", run: () => peers.on("wasm", () => peers.tf.dot(tx, ty)).dispose() });
      cands.push({ name: "tfjs-wasm norm", run: () => peers.on("wasm", () => peers.tf.norm(tx)).dispose() });
      cands.push({ name: "tfjs-wasm softmax", run: () => peers.on("wasm", () => peers.tf.softmax(ts)).dispose() });
      tensors.push(tx, ty, ts);
    }
    const releases = [];
    if (ort) {
      const c = await ortCandidate(ort, "ort-wasm softmax", models.softmax(512, 512), "y", { x: [big, [512, 512]] }, refSoftmax);
      cands.push(c);
      releases.push(c.release);
    }
    progress("kernels");
    const t = await measure(cands, opts);
    const ns = (name) => (t[name] ? t[name].median * 1e6 : NaN);
    const names = [...paths, ...(peers ? ["tfjs-wasm"] : []), ...(ort ? ["ort-wasm"] : [])];
    const cell = (x, digits = 0) => (Number.isNaN(x) ? "—" : x.toFixed(digits));
    const rows = names.map((p) => {
      const sm = t[`${p} softmax`].median;
      return [p, cell(ns(`${p} dot`)), cell(ns(`${p} dot+copy`)), cell(ns(`${p} bare dot`)), cell(ns(`${p} norm`)), cell(ns(`${p} norm+copy`)),
        sm.toFixed(3), ((2 * 512 * 512 * 4) / sm / 1e6).toFixed(1)];
    });
    const wasm = paths.filter((p) => p !== "js");
    const summary = wasm.flatMap((p) => {
      const overhead = pairedRatio(t, `${p} dot`, `${p} bare dot`);
      const out = [`${overhead <= 1.5 ? "meets" : "MISSES"} the dot bar on ${p}: ${fixedAgainst(overhead, 1.5)}× the bare kernel call (≤ 1.5×)`];
      if (peers) {
        const r = pairedRatio(t, "tfjs-wasm softmax", `${p} softmax`);
        out.push(`${r >= 2 ? "meets" : "MISSES"} the softmax bar on ${p}: ${fixedAgainst(r, 2)}× faster than tfjs-backend-wasm (≥ 2×)`);
      }
      if (ort) out.push(`softmax on ${p}: ${pairedRatio(t, "ort-wasm softmax", `${p} softmax`).toFixed(2)}× faster than onnxruntime-web`);
      return out;
    });
    for (const x2 of tensors) x2.dispose();
    for (const release of releases) await release();
    const chart = ["dot", "norm", "softmax"].map((op) => ({
      label: `${op}${op === "softmax" ? " 512×512" : " 1536"}`,
      values: Object.fromEntries(names.filter((p) => p !== "js" && t[`${p} ${op}`]).map((p) => [p, pairedRatio(t, `js ${op}`, `${p} ${op}`)])),
    }));
    return {
      chart,
      header: ["path", "dot ns", "dot ns, inputs copied in", "bare kernel ns", "norm ns", "norm ns, input copied in", "softmax ms", "softmax GB/s"],
      rows, summary, data: { medianMs: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.median])) },
    };
  },
};

/** Row-wise softmax of `rows` rows in float64, max subtracted first. */
function softmaxRows(a, rows) {
  const n = a.length / rows, out = new Float64Array(a.length);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let max = -Infinity, sum = 0;
    for (let j = 0; j < n; j++) max = Math.max(max, a[o + j]);
    for (let j = 0; j < n; j++) sum += out[o + j] = Math.exp(a[o + j] - max);
    for (let j = 0; j < n; j++) out[o + j] /= sum;
  }
  return out;
}
