// Cosine top-10 search over random normalised embeddings: one query at a time and batches of
// 64, in queries/s, beside the bound memory bandwidth sets (one streaming read of the index per
// query, measured in the same rounds).
import { VectorIndex } from "../../dist/index.js";

function randomRows(n, dim, seed) {
  const data = new Float32Array(n * dim);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; data[i] = s / 2 ** 32 - 0.5; }
  return data;
}

export const searchWorkload = {
  name: "search",
  title: "cosine top-10 search: queries/s (single query; batch of 64) and the memory-bandwidth bound",
  async run({ backends, paths, quick, measure, progress }) {
    const opts = quick ? { rounds: 3, sampleMs: 40, warmupMs: 60 } : { rounds: 7, sampleMs: 150, warmupMs: 200 };
    const rows = [], data = [];
    for (const [n, dim] of [[100_000, 384], [20_000, 1536]]) {
      progress(`search ${n}×${dim}`);
      const corpus = randomRows(n, dim, 1), queries = randomRows(64 * dim, 2);
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
      const wasm = paths.filter((p) => p !== "js");
      for (const p of wasm) {
        const be = backends[p];
        const probe = be.tensor(corpus, [n, dim]); // a copy with the index's size, for the stream probe
        cands.push({ name: `${p} stream`, run: () => be.probes.probe_stream_f32(probe.ptr(), n * dim - ((n * dim) % 32)), probe });
      }
      const t = measure(cands, opts);
      const entry = { n, dim, qps: {}, boundQps: {} };
      const row = [`${n}×${dim}`];
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
    const header = ["n×dim", ...paths.flatMap((p) => (p === "js" ? ["js single", "js batch"] : [`${p} single`, "batch", "bound (single %)"]))];
    const summary = data.filter((e) => e.dim === 384).flatMap((e) => paths.filter((p) => p !== "js").map((p) => {
      const frac = e.qps[p].single / e.boundQps[p];
      return `${frac >= 0.9 ? "meets" : "MISSES"} the single-query bar on ${p}: ${Math.round(100 * frac)}% of the bandwidth bound (≥ 90%); batch ${e.qps[p].batch.toFixed(0)} queries/s (≥ 600)`;
    }));
    return { header, rows, summary, data };
  },
};
