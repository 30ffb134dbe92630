// npm start: a short tour of the linear algebra behind AI, on the fastest path this runtime has,
// with the WASM-vs-pure-JS time of the steps where speed matters.
import { performance } from "node:perf_hooks";
// `npm start -- "a query"` skips the tour and searches the corpus for it.
import {
  init, createBackend, tensor, add, scale, dot, norm, cosineSimilarity, matmul, dense, softmax,
  attention, scope, ShapeError, VectorIndex,
} from "../dist/index.js";
import { corpusIndex, progressBar, searchCorpus } from "./corpus.mjs";

const started = performance.now();
const be = await init();
const js = await createBackend("js");
const userQuery = process.argv.slice(2).join(" ").trim();
const fmt = (x) => (typeof x === "number" ? +x.toPrecision(4) : Array.isArray(x) ? x.map(fmt) : x);
const show = (label, value) => console.log(`  ${label.padEnd(34)} ${JSON.stringify(fmt(value))}`);

/** Median ms per call of `fn` on a backend, over a few short samples. */
function time(fn) {
  fn();
  const samples = [];
  for (let s = 0; s < 5; s++) {
    let calls = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 40) { fn(); calls++; }
    samples.push((performance.now() - t0) / calls);
  }
  return samples.sort((a, b) => a - b)[2];
}
function race(label, make) {
  const wasm = time(make(be)), plain = time(make(js));
  console.log(`  ${label.padEnd(34)} ${be.name} ${ms(wasm)}  js ${ms(plain)}  → ${(plain / wasm).toFixed(1)}× faster`);
}
const ms = (t) => (t < 0.01 ? `${(t * 1000).toFixed(2)} µs` : t < 1 ? `${(t * 1000).toFixed(0)} µs` : `${t.toFixed(2)} ms`);
const randn = (n, seed) => { const a = new Float32Array(n); let s = seed; for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; } return a; };


/** Loads (or builds and caches) the corpus index, with a progress bar and the time it took. */
async function openCorpus() {
  const bar = progressBar("building the index");
  const corpus = await corpusIndex(be, { onProgress: bar });
  progressBar.clear();
  const what = corpus.built ? "built (TF-IDF + randomized SVD) and cached" : "loaded from the cache";
  console.log(`  ${corpus.index.size} package descriptions, ${corpus.model.vocabulary.size} terms → ${corpus.model.dims} dims: ${what} in ${(corpus.ms / 1000).toFixed(1)} s`);
  return corpus;
}

function printHits(corpus, query, k) {
  const { hits, reason } = searchCorpus(corpus, query, k);
  console.log(`\n  “${query}”`);
  if (reason) console.log(`    (no results: ${reason})`);
  for (const h of hits) console.log(`    ${h.score.toFixed(3)}  ${h.id}: ${h.title}`);
}

if (userQuery) {
  console.log(`wasmla semantic search over Debian package descriptions — on ${be.name}\n`);
  const corpus = await openCorpus();
  printHits(corpus, userQuery, 10);
  process.exit(0);
}

console.log(`wasmla tour — running on ${be.name}\n`);

console.log("1. Embeddings are vectors");
scope(() => {
  const v = tensor([1, 2, 3]), w = tensor([4, 5, 6]);
  show("v = [1, 2, 3], |v| = √14", norm(v));
  show("v + w, w = [4, 5, 6]", add(v, w).toArray());
  show("2·v", scale(v, 2).toArray());
  show("v · w (similarity as a dot product)", dot(v, w));
  show("cos(v, w)", cosineSimilarity(v, w));
  show("cos(v, 2·v) (same direction)", cosineSimilarity(v, scale(v, 2)));
});
race("dot, length 1536", (b) => { const x = b.tensor(randn(1536, 9)), y = b.tensor(randn(1536, 10)); return () => b.dot(x, y); });

console.log("\n2. A layer is a matrix times a vector");
scope(() => {
  const W = tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
  show("W·x, W [2,3], x = [1, 2, 3]", matmul(W, [1, 2, 3]).toArray());
  try {
    matmul(tensor(randn(15, 1), [3, 5]), tensor(randn(12, 2), [3, 4]));
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    console.log(`  the shapes must line up:            ${e.name}: ${e.message}`);
  }
});
race("matrix-vector, 1536×1536", (b) => { const W = b.tensor(randn(1536 * 1536, 12), [1536, 1536]), x = b.tensor(randn(1536, 13)); return () => b.matmul(W, x).dispose(); });

console.log("\n3. A batch is a matrix times a matrix, plus a bias");
scope(() => {
  const X = tensor(randn(32 * 3, 3), [32, 3]), W = tensor(randn(3 * 128, 4), [3, 128]), b = tensor(randn(128, 5));
  show("X [32,3] · W [3,128] + b → shape", dense(X, W, b).shape);
});
race("dense layer 128×384 → 1536, gelu", (b) => {
  const X = b.tensor(randn(128 * 384, 15), [128, 384]), W = b.tensor(randn(384 * 1536, 16), [384, 1536]), bias = b.tensor(randn(1536, 17));
  return () => b.dense(X, W, bias, "gelu").dispose();
});

console.log("\n4. Softmax turns scores into probabilities");
scope(() => {
  const p = softmax([2, 1, 0.1]);
  show("softmax([2, 1, 0.1])", p.toArray());
  show("sums to", p.toArray().reduce((a, x) => a + x, 0));
  show("stable at [1000, 999, -1000]", softmax([1000, 999, -1000]).toArray());
});
race("softmax, 512×512", (b) => { const x = b.tensor(randn(512 * 512, 11), [512, 512]); return () => b.softmax(x).dispose(); });

console.log("\n5. Attention is matmuls plus softmax: 5 tokens × 64 dims");
scope(() => {
  const Q = tensor(randn(5 * 64, 6), [5, 64]), K = tensor(randn(5 * 64, 7), [5, 64]), V = tensor(randn(5 * 64, 8), [5, 64]);
  const { output, weights } = attention(Q, K, V, { returnWeights: true });
  show("weights, row 0 = softmax(q₀·Kᵀ/√64)", weights.toArray()[0]);
  show("output = weights · V, shape", output.shape);
  const causal = attention(Q, K, V, { causal: true, returnWeights: true }).weights;
  show("causal mask, row 1 (sees tokens 0-1)", causal.toArray()[1]);
});
race("attention, one head, 512 tokens × 64", (b) => {
  const Q = b.tensor(randn(512 * 64, 18), [512, 64]), K = b.tensor(randn(512 * 64, 19), [512, 64]), V = b.tensor(randn(512 * 64, 20), [512, 64]);
  return () => b.attention(Q, K, V).dispose();
});

console.log("\n6. Semantic search: similarity is a dot product, over embeddings made by SVD");
const corpus = await openCorpus();
for (const q of ["How do computers learn from examples?", "play chess against the computer", "encrypt my files", "music player for the terminal"]) printHits(corpus, q, 5);
console.log();
{
  // the same vectors in a pure-JS index, for the race
  const ids = [...corpus.docs.keys()].filter((i) => corpus.index.has(i)), n = ids.length, dim = corpus.index.dim;
  const rows = new Float32Array(n * dim);
  ids.forEach((id, r) => rows.set(corpus.index.get(id), r * dim));
  const query = corpus.model.embed(["How do computers learn from examples?"]).toFloat32Array();
  race(`search, top-5 of ${n} × ${dim}`, (b) => {
    const index = b === be ? corpus.index : new VectorIndex(b, { dim });
    if (b !== be) index.add(rows, ids);
    return () => index.search(query, 5);
  });
}

console.log(`\nThe tour took ${((performance.now() - started) / 1000).toFixed(1)} s. Next: \`npm start -- "your query"\` searches the corpus;`);
console.log("`npm run bench` measures every op against this machine's peak and against tfjs; `npm test` runs the checks.");
