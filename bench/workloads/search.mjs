// Cosine top-10 search over random normalised embeddings: one query at a time and batches of
// 64, in queries/s, beside the bound memory bandwidth sets (one streaming read of the index per
// query, measured in the same rounds).
import { VectorIndex } from "../../dist/index.js";
import { randomFloats } from "../data.mjs";

export const searchWorkload = {
  name: "search",
  title: "cosine top-10 search: queries/s (single query; batch of 64) and the memory-bandwidth bound",
  async run({ backends, paths, quick, measure, progress, peers }) {
    const opts = quick ? { rounds: 3, sampleMs: 40, warmupMs: 60 } : { rounds: 7, sampleMs: 150, warmupMs: 200 };
    const rows = [], data = [];
    for (const [n, dim] of [[100_000, 384], [20_000, 1536]]) {
      progress(`search ${n}×${dim}`);
      const corpus = randomFloats(n * dim, 1), queries = randomFloats(64 * dim, 2);
      const indexes = {};
      for (const p of paths) {
        indexes[p] = new VectorIndex(backends[p], { dim, metric: "cosine" });
        indexes[p].add(corpus);
      }
      // every path must agree on the top-10 before anything is timed
      const ref = indexes.js.search(queries.subarray(0, dim), 10).map((h) => h.id).join();
      for (const p of paths) if (indexes[p].search(queries.subarray(0, dim), 10).map((h) => h.id).join() !== ref) throw new Error(`search ${n}×${dim}: ${p} disagrees with js`);
      let qi = 0;
      const cands = [];
      for (const p of paths) {
        const idx = indexes[p];
        cands.push({ name: `${p} single`, run: () => { idx.search(queries.subarray((qi % 64) * dim, (qi % 64 + 1) * dim), 10); qi++; } });
        if (!(p === "js" && quick)) cands.push({ name: `${p} batch`, run: () => idx.searchBatch(queries, 10) });
      }
      const peerTensors = [];
      if (peers) {
        // tfjs-backend-wasm: the normalised table resident, scores by matMul, tf.topk
        const tf = peers.tf, normed = new Float32Array(corpus);
        for (let r = 0; r < n; r++) { let s2 = 0; for (let c = 0; c < dim; c++) s2 += normed[r * dim + c] ** 2; const inv = 1 / Math.sqrt(s2); for (let c = 0; c < dim; c++) normed[r * dim + c] *= inv; }
        const table = peers.tensor("wasm", normed, [n, dim]), tableT = peers.on("wasm", () => tf.transpose(table));
        peerTensors.push(table, tableT);
        const single = (q) => peers.on("wasm", () => tf.tidy(() => {
          const qt = tf.tensor(q, [dim, 1]);
          return tf.topk(tf.reshape(tf.matMul(table, tf.div(qt, tf.norm(qt))), [n]), 10);
        }));
        const batch = () => peers.on("wasm", () => tf.tidy(() => {
          const qs = tf.tensor(queries, [64, dim]);
          return tf.topk(tf.matMul(tf.div(qs, tf.norm(qs, 2, 1, true)), tableT), 10);
        }));
        const top = single(queries.subarray(0, dim));
        if (Array.from(top.indices.dataSync()).join() !== ref) throw new Error(`tfjs-wasm search ${n}×${dim} disagrees with js`);
        top.values.dispose(); top.indices.dispose();
        cands.push({ name: "tfjs-wasm single", run: () => { const r = single(queries.subarray((qi % 64) * dim, (qi % 64 + 1) * dim)); r.values.dispose(); r.indices.dispose(); qi++; } });
        cands.push({ name: "tfjs-wasm batch", run: () => { const r = batch(); r.values.dispose(); r.indices.dispose(); } });
      }
      const wasm = paths.filter((p) => p !== "js");
      for (const p of wasm) {
        const be = backends[p];
        const probe = be.tensor(corpus, [n, dim]); // a copy with the index's size, for the stream probe
        cands.push({ name: `${p} stream`, run: () => be.probes.probe_stream_f32(probe.ptr(), n * dim - ((n * dim) % 32)), probe });
      }
      const t = measure(cands, opts);
      for (const x of peerTensors) x.dispose();
      const entry = { n, dim, qps: {}, boundQps: {} };
      const row = [`${n}×${dim}`];
      if (peers) {
        entry.qps["tfjs-wasm"] = { single: 1000 / t["tfjs-wasm single"].median, batch: 64_000 / t["tfjs-wasm batch"].median };
        row.push(entry.qps["tfjs-wasm"].single.toFixed(1), entry.qps["tfjs-wasm"].batch.toFixed(0));
      }
      for (const p of paths) {
        const single = 1000 / t[`${p} single`].median, batch = t[`${p} batch`] ? 64_000 / t[`${p} batch`].median : NaN;
        entry.qps[p] = { single, batch };
        row.push(single.toFixed(1), Number.isNaN(batch) ? "—" : batch.toFixed(0));
        if (p !== "js") {
          entry.boundQps[p] = 1000 / t[`${p} stream`].median;
          row.push(`${entry.boundQps[p].toFixed(1)} (${Math.round((100 * single) / entry.boundQps[p])}%)`);
        }
      }
      rows.push(row);
      data.push(entry);
      for (const c of cands) c.probe?.dispose();
      for (const idx of Object.values(indexes)) idx.dispose();
    }
    const header = ["n×dim", ...(peers ? ["tfjs-wasm single", "batch"] : []), ...paths.flatMap((p) => (p === "js" ? ["js single", "js batch"] : [`${p} single`, "batch", "bound (single %)"]))];
    const summary = data.filter((e) => e.dim === 384).flatMap((e) => paths.filter((p) => p !== "js").map((p) => {
      const frac = e.qps[p].single / e.boundQps[p];
      const vsPeer = peers ? `, ${(e.qps[p].batch / e.qps["tfjs-wasm"].batch).toFixed(2)}× tfjs-backend-wasm (≥ 1.8×)` : "";
      return `${frac >= 0.9 ? "meets" : "MISSES"} the single-query bar on ${p}: ${Math.round(100 * frac)}% of the bandwidth bound (≥ 90%); batch ${e.qps[p].batch.toFixed(0)} queries/s (≥ 600)${vsPeer}`;
    }));
    const chart = data.flatMap((e) => ["single", "batch"].filter((kind) => Number.isFinite(e.qps.js[kind])).map((kind) => ({
      label: `${e.n / 1000}k×${e.dim} ${kind}`,
      values: Object.fromEntries(Object.entries(e.qps).filter(([p]) => p !== "js").map(([p, q]) => [p, q[kind] / e.qps.js[kind]])),
    })));
    return { header, rows, summary, data, chart };
  },
};
