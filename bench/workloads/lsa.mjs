// Building the tour's semantic index: LSA (tokenize, TF-IDF, randomized SVD to 256 dims, the
// documents' embeddings) of the shipped corpus, on every path: all 20,000 descriptions in a full
// run (what the tour builds), 2,000 in a quick one. Tokenizing and TF-IDF are plain JS on every
// path, so they bound the ratio from above.
import { LsaModel } from "../../dist/index.js";
import { loadCorpus } from "../../examples/corpus.mjs";
import { fixedAgainst, pairedRatio } from "../harness.mjs";

export const lsaWorkload = {
  name: "lsa",
  title: "index build: LSA (TF-IDF + randomized SVD to 256 dims) of Debian package descriptions, seconds",
  async run({ backends, paths, quick, measure, progress }) {
    const step = quick ? 10 : 1;
    const docs = loadCorpus().filter((_, i) => i % step === 0);
    const texts = docs.map((d) => `${d.id} ${d.title}\n${d.id} ${d.title}\n${d.text}`);
    progress(`lsa ${docs.length} documents`);
    const build = (be) => () => {
      const { model, embeddings } = LsaModel.fit(be, texts, { dims: 256 });
      model.dispose();
      embeddings.dispose();
    };
    // one build per sample (the JS path takes about a minute on the full corpus); the warm-up
    // build fills the tokenizer's term cache for every path alike
    const t = await measure(paths.map((p) => ({ name: p, run: build(backends[p]) })), { rounds: quick ? 1 : 3, sampleMs: 1, warmupMs: 1 });
    const s = Object.fromEntries(paths.map((p) => [p, t[p].median / 1000]));
    const speedUp = Object.fromEntries(paths.map((p) => [p, pairedRatio(t, "js", p)]));
    const rows = paths.map((p) => [p, s[p].toFixed(2), `${(t[p].min / 1000).toFixed(2)}–${(t[p].max / 1000).toFixed(2)}`, speedUp[p].toFixed(1)]);
    const summary = paths.filter((p) => p !== "js").map((p) =>
      `${speedUp[p] >= 15 ? "meets" : "MISSES"} the index-build bar on ${p}: ${fixedAgainst(speedUp[p], 15, 1)}× the pure-JS path (≥ 15×) for ${docs.length} documents`);
    return {
      header: [`path (${docs.length} documents)`, "seconds", "min–max", "× js"], rows, summary,
      data: { documents: docs.length, seconds: s, min: Object.fromEntries(paths.map((p) => [p, t[p].min / 1000])), max: Object.fromEntries(paths.map((p) => [p, t[p].max / 1000])) },
      chart: [{ label: `index build, ${docs.length} docs`, values: Object.fromEntries(paths.filter((p) => p !== "js").map((p) => [p, speedUp[p]])) }],
    };
  },
};
