// The demo's work, free of the DOM so the Web Worker runs it: timing races, attention on a
// sentence, and the corpus map (LSA embeddings, a VectorIndex, PCA to 2-D).
import { LsaModel, VectorIndex, pca, tokenize } from "../dist/index.js";

/** Median ms per call over short samples. */
export function time(fn, sampleMs = 60, samples = 5) {
  fn();
  const out = [];
  for (let s = 0; s < samples; s++) {
    let calls = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < sampleMs) { fn(); calls++; }
    out.push((performance.now() - t0) / calls);
  }
  return out.sort((a, b) => a - b)[Math.floor(samples / 2)];
}

/** Seeded uniform floats in [-0.5, 0.5). */
export function randomFloats(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; }
  return a;
}

/** The benchmark's operations: set-up on a backend returns the call to time and its flop count. */
export const OPERATIONS = {
  matmul: { label: (n) => `matmul ${n}×${n}`, setup: (be, n) => {
    const a = be.tensor(randomFloats(n * n, 1), [n, n]), b = be.tensor(randomFloats(n * n, 2), [n, n]);
    return { run: () => be.matmul(a, b).dispose(), flops: 2 * n ** 3, free: () => { a.dispose(); b.dispose(); } };
  } },
  softmax: { label: (n) => `softmax ${n}×${n}`, setup: (be, n) => {
    const x = be.tensor(randomFloats(n * n, 3), [n, n]);
    return { run: () => be.softmax(x).dispose(), flops: 5 * n * n, free: () => x.dispose() };
  } },
  attention: { label: (n) => `attention ${n} tokens × 64`, setup: (be, n) => {
    const [q, k, v] = [4, 5, 6].map((s) => be.tensor(randomFloats(n * 64, s), [n, 64]));
    return { run: () => be.attention(q, k, v).dispose(), flops: 4 * n * n * 64, free: () => [q, k, v].forEach((t) => t.dispose()) };
  } },
  search: { label: (n) => `search top-10 of ${n}×384`, setup: (be, n) => {
    const index = new VectorIndex(be, { dim: 384 });
    index.add(randomFloats(n * 384, 7));
    const q = randomFloats(384, 8);
    return { run: () => index.search(q, 10), flops: 2 * n * 384, free: () => index.dispose() };
  } },
};

/** Times one operation on the WASM and the JS backend: { label, wasmMs, jsMs, gflops, jsGflops, speedup }. */
export function race(op, size, wasm, js) {
  const { label, setup } = OPERATIONS[op];
  const result = { op, label: label(size) };
  for (const [name, be] of [["wasm", wasm], ["js", js]]) {
    const { run, flops, free } = setup(be, size);
    try {
      const ms = time(run, name === "js" ? 80 : 60, name === "js" ? 3 : 5);
      result[`${name}Ms`] = ms;
      result[name === "wasm" ? "gflops" : "jsGflops"] = flops / ms / 1e6;
    } finally {
      free();
    }
  }
  result.speedup = result.jsMs / result.wasmMs;
  return result;
}

/** A word's vector for the attention panel: a fixed pseudo-random direction per word (FNV hash seed). */
function wordVector(word, dim) {
  let h = 0x811c9dc5;
  for (const ch of word) h = Math.imul(h ^ ch.codePointAt(0), 0x01000193) >>> 0;
  return randomFloats(dim, h);
}

/**
 * One head of scaled dot-product attention over a sentence: tokens → word vectors plus sinusoidal
 * positions → Q = K = V. Returns the tokens and the [n, n] weights.
 */
export function sentenceAttention(be, sentence, causal, dim = 64) {
  const tokens = sentence.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
  if (tokens.length === 0) return { tokens, weights: [] };
  const x = new Float32Array(tokens.length * dim);
  tokens.forEach((t, i) => {
    const v = wordVector(t, dim);
    for (let j = 0; j < dim; j++) {
      const angle = i / 10000 ** ((2 * Math.floor(j / 2)) / dim);
      x[i * dim + j] = v[j] + 0.5 * (j % 2 ? Math.cos(angle) : Math.sin(angle));
    }
  });
  const X = be.tensor(x, [tokens.length, dim]);
  const { output, weights } = be.attention(X, X, X, { causal, returnWeights: true });
  const w = weights.toArray();
  [X, output, weights].forEach((t) => t.dispose());
  return { tokens, weights: w };
}

/** Every `step`-th document: a spread-out subset that fits comfortably in a page. */
export const subset = (docs, step = 5) => docs.filter((_, i) => i % step === 0);

/**
 * The semantic map: LSA embeddings of the documents, a cosine VectorIndex over them, and their
 * PCA projection to 2-D. `onProgress(stage, fraction)` reports the fit.
 */
export function buildCorpusMap(be, docs, { dims = 150, onProgress } = {}) {
  const texts = docs.map((d) => `${d.id} ${d.title}\n${d.id} ${d.title}\n${d.text}`);
  const { model, embeddings } = LsaModel.fit(be, texts, { dims, onProgress });
  const rows = embeddings.toFloat32Array();
  const keep = [...docs.keys()].filter((i) => rows.subarray(i * dims, (i + 1) * dims).some((x) => x !== 0));
  const kept = new Float32Array(keep.length * dims);
  keep.forEach((r, j) => kept.set(rows.subarray(r * dims, (r + 1) * dims), j * dims));
  const index = new VectorIndex(be, { dim: dims });
  index.add(kept, keep);
  onProgress?.("pca", 1);
  const K = be.tensor(kept, [keep.length, dims]), p = pca(K, 2), projected = p.transform(K); // pca runs on K's backend
  const xy = projected.toFloat32Array();
  [K, projected].forEach((t) => t.dispose());
  const points = new Float32Array(docs.length * 2).fill(NaN);
  keep.forEach((r, j) => { points[2 * r] = xy[2 * j]; points[2 * r + 1] = xy[2 * j + 1]; });
  const explained = Array.from(p.explainedVarianceRatio);
  embeddings.dispose();
  p.dispose();
  return {
    model, index, points, explained,
    search(query, k = 10) {
      const known = model.knownTerms(query);
      if (known.length === 0) return { hits: [], known };
      const q = model.embed([query]);
      const hits = index.search(q.toFloat32Array(), k).map(({ id, score }) => ({ row: id, score, id: docs[id].id, title: docs[id].title }));
      q.dispose();
      return { hits, known };
    },
  };
}

export { tokenize };
