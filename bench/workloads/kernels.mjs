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
    let refDot = 0;
    for (let i = 0; i < n; i++) refDot += x[i] * y[i];
    for (const p of paths) {
      const be = backends[p], X = be.tensor(x), Y = be.tensor(y), S = be.tensor(big, [512, 512]);
      tensors.push(X, Y, S);
      if (Math.abs(be.dot(X, Y) - refDot) > 1e-4) throw new Error(`dot on ${p} is off`);
      cands.push({ name: `${p} dot`, run: () => be.dot(X, Y) });
      cands.push({ name: `${p} dot+copy`, run: () => be.dot(x, y) });
      cands.push({ name: `${p} norm`, run: () => be.norm(X) });
      cands.push({ name: `${p} softmax`, run: () => be.softmax(S).dispose() });
      if (p !== "js") cands.push({ name: `${p} bare dot`, run: () => be.kernels.dot_f32(X.ptr(), Y.ptr(), n) });
    }
    if (peers) {
      const tx = peers.tensor("wasm", x, [n]), ty = peers.tensor("wasm", y, [n]), ts = peers.tensor("wasm", big, [512, 512]);
      const got = peers.on("wasm", () => peers.tf.dot(tx, ty)).dataSync()[0];
      if (Math.abs(got - refDot) > 1e-4) throw new Error("tfjs-wasm dot is off");
      cands.push({ name: "tfjs-wasm dot", run: () => peers.on("wasm", () => peers.tf.dot(tx, ty)).dispose() });
      cands.push({ name: "tfjs-wasm norm", run: () => peers.on("wasm", () => peers.tf.norm(tx)).dispose() });
      cands.push({ name: "tfjs-wasm softmax", run: () => peers.on("wasm", () => peers.tf.softmax(ts)).dispose() });
      tensors.push(tx, ty, ts);
    }
    const releases = [];
    if (ort) {
      const ref = backends.js.softmax(backends.js.tensor(big, [512, 512])).toFloat32Array();
      const c = await ortCandidate(ort, "ort-wasm softmax", models.softmax(512, 512), "y", { x: [big, [512, 512]] }, ref);
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
      return [p, cell(ns(`${p} dot`)), cell(ns(`${p} dot+copy`)), cell(ns(`${p} bare dot`)), cell(ns(`${p} norm`)),
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
      header: ["path", "dot ns", "dot ns, inputs copied in", "bare kernel ns", "norm ns", "softmax ms", "softmax GB/s"],
      rows, summary, data: { medianMs: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v.median])) },
    };
  },
};
