// Everything heavy runs here, off the main thread: the page stays responsive while the library
// computes. Messages: { id, type, ...args } in; { id, type: "progress" | "result" | "error", ... } out.
import { init, createBackend, detectFeatures } from "../dist/index.js";
import { race, sentenceAttention, subset, buildCorpusMap } from "./pipeline.js";

const CORPUS_URL = new URL("../data/debian-packages.jsonl.gz", import.meta.url);
const ready = (async () => {
  const wasm = await init();
  const js = await createBackend("js");
  return { wasm, js, features: await detectFeatures() };
})();
let corpus; // { docs, map }

async function loadDocs() {
  const res = await fetch(CORPUS_URL);
  if (!res.ok) throw new Error(`cannot load the corpus (${res.status} ${res.statusText})`);
  // A dev server may send the .gz with Content-Encoding: gzip, which the browser already undid:
  // decompress only what still starts with gzip's magic bytes.
  const bytes = new Uint8Array(await res.arrayBuffer());
  const gzipped = bytes[0] === 0x1f && bytes[1] === 0x8b;
  const text = gzipped ? await new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text() : new TextDecoder().decode(bytes);
  return text.trim().split("\n").map((line) => JSON.parse(line));
}

const tasks = {
  async init() {
    const { wasm, features } = await ready;
    return { backend: wasm.name, features };
  },
  async bench({ sizes }, progress) {
    const { wasm, js } = await ready;
    const results = [];
    const ops = Object.entries(sizes);
    for (const [i, [op, size]] of ops.entries()) {
      progress({ stage: op, fraction: i / ops.length });
      results.push(race(op, size, wasm, js));
      progress({ stage: op, fraction: (i + 1) / ops.length, partial: results });
    }
    return { backend: wasm.name, results };
  },
  async attention({ sentence, causal }) {
    const { wasm } = await ready;
    return sentenceAttention(wasm, sentence, causal);
  },
  async corpus(_args, progress) {
    const { wasm } = await ready;
    if (!corpus) {
      progress({ stage: "download", fraction: 0 });
      const docs = subset(await loadDocs());
      const t0 = performance.now();
      const map = buildCorpusMap(wasm, docs, { onProgress: (stage, fraction) => progress({ stage, fraction }) });
      corpus = { docs, map, ms: performance.now() - t0 };
    }
    const { docs, map, ms } = corpus;
    return {
      points: map.points, explained: map.explained, ms, dims: map.model.dims, terms: map.model.vocabulary.size,
      labels: docs.map((d) => `${d.id}: ${d.title}`),
    };
  },
  async search({ query, k }) {
    if (!corpus) throw new Error("the corpus is not loaded yet");
    return corpus.map.search(query, k);
  },
};

self.onmessage = async ({ data: { id, type, ...args } }) => {
  try {
    const result = await tasks[type](args, (p) => self.postMessage({ id, type: "progress", ...p }));
    self.postMessage({ id, type: "result", result });
  } catch (e) {
    self.postMessage({ id, type: "error", message: `${e.name}: ${e.message}` });
  }
};
