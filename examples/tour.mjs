// npm start: a short tour of the linear algebra behind AI, on the fastest path this runtime has,
// with the WASM-vs-pure-JS time of the steps where speed matters.
import { performance } from "node:perf_hooks";
import {
  init, createBackend, tensor, add, scale, dot, norm, cosineSimilarity, matmul, dense, softmax,
  scope, ShapeError,
} from "../dist/index.js";

const be = await init();
const js = await createBackend("js");
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

console.log(`wasmla tour — running on ${be.name}\n`);

console.log("1. Embeddings are vectors");
scope(() => {
  const v = tensor([1, 2, 3]), w = tensor([4, 5, 6]);
  show("v = [1, 2, 3], |v| = √14", norm(v));
  show("v + w", add(v, w).toArray());
  show("2·v", scale(v, 2).toArray());
  show("v · w", dot(v, w));
  show("cos(v, w)", cosineSimilarity(v, w));
  show("cos(v, 2·v)", cosineSimilarity(v, scale(v, 2)));
});

console.log("\n2. A layer is a matrix times a vector");
scope(() => {
  const W = tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
  show("W·x, W [2,3], x = [1, 2, 3]", matmul(W, [1, 2, 3]).toArray());
  try {
    matmul(tensor(randn(15, 1), [3, 5]), tensor(randn(12, 2), [3, 4]));
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    console.log(`  shapes must line up:               ${e.name}: ${e.message}`);
  }
});

console.log("\n3. A batch is a matrix times a matrix, plus a bias");
scope(() => {
  const X = tensor(randn(32 * 3, 3), [32, 3]), W = tensor(randn(3 * 128, 4), [3, 128]), b = tensor(randn(128, 5));
  const Y = dense(X, W, b);
  show("X [32,3] · W [3,128] + b → shape", Y.shape);
});

console.log("\n4. Softmax turns scores into probabilities");
scope(() => {
  const p = softmax([2, 1, 0.1]);
  show("softmax([2, 1, 0.1])", p.toArray());
  show("sums to", (p.toArray()).reduce((a, x) => a + x, 0));
  show("stable at [1000, 999, -1000]", softmax([1000, 999, -1000]).toArray());
});

console.log("\n5. Attention is matmuls plus softmax: 5 tokens × 64 dims");
scope(() => {
  const Q = tensor(randn(5 * 64, 6), [5, 64]), K = tensor(randn(5 * 64, 7), [5, 64]), V = tensor(randn(5 * 64, 8), [5, 64]);
  const weights = softmax(scale(matmul(Q, K, { transposeB: true }), 1 / Math.sqrt(64)));
  const out = matmul(weights, V);
  show("weights (row 0) = softmax(Q·Kᵀ/√d)", weights.toArray()[0]);
  show("output shape", out.shape);
});

console.log(`\n6. Speed: ${be.name} vs pure JS (same API, same process)`);
for (const [label, make] of [
  ["dot, length 1536", (b) => { const x = b.tensor(randn(1536, 9)), y = b.tensor(randn(1536, 10)); return () => b.dot(x, y); }],
  ["softmax, 512×512", (b) => { const x = b.tensor(randn(512 * 512, 11), [512, 512]); return () => b.softmax(x).dispose(); }],
  ["matrix-vector, 1536×1536", (b) => { const W = b.tensor(randn(1536 * 1536, 12), [1536, 1536]), x = b.tensor(randn(1536, 13)); return () => b.matmul(W, x).dispose(); }],
  ["matmul, 256×256 · 256×256", (b) => { const A = b.tensor(randn(65536, 14), [256, 256]); return () => b.matmul(A, A).dispose(); }],
  ["batch layer, 128×384 · 384×1536", (b) => { const X = b.tensor(randn(128 * 384, 15), [128, 384]), W = b.tensor(randn(384 * 1536, 16), [384, 1536]); return () => b.matmul(X, W).dispose(); }],
]) race(label, make);

console.log("\nNext: `npm run bench` for GFLOP/s against this machine's peak; `npm test` for the checks.");
