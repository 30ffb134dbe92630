// The tour's semantic search: Debian's package descriptions (data/debian-packages.jsonl.gz)
// embedded by latent semantic analysis (TF-IDF, then the library's randomized SVD), stored in a
// VectorIndex, and cached on disk with the index's own save/load. The cache key covers the
// corpus bytes, every parameter and the library build, so a change to any of them rebuilds it.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { LsaModel, VectorIndex, FormatError } from "../dist/index.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const CORPUS_FILE = join(root, "data", "debian-packages.jsonl.gz");
const CACHE_DIR = join(root, ".cache", "tour");
export const LSA_PARAMS = { dims: 256, minDf: 2, maxDfRatio: 0.5, powerIters: 2, seed: 1 };

/** The corpus: [{ id, title, text }] */
export function loadCorpus(file = CORPUS_FILE) {
  return gunzipSync(readFileSync(file)).toString("utf8").trim().split("\n").map((line) => JSON.parse(line));
}

/** What LSA reads of a document: the package name and title count twice, being the densest words. */
const documentText = (d) => `${d.id} ${d.title}\n${d.id} ${d.title}\n${d.text}`;

/**
 * The LSA model and the index of the corpus: loaded from the cache when it matches, else built
 * (with `onProgress(stage, fraction)`) and cached. Returns { model, index, docs, built, ms }.
 */
export async function corpusIndex(backend, { onProgress, cacheDir = CACHE_DIR } = {}) {
  const bytes = readFileSync(CORPUS_FILE);
  const library = readFileSync(join(root, "dist", "index.js"));
  const key = createHash("sha256").update(bytes).update(JSON.stringify(LSA_PARAMS)).update(library).digest("hex").slice(0, 16);
  const dir = join(cacheDir, key);
  const docs = loadCorpus();
  const t0 = performance.now();
  if (existsSync(join(dir, "index.wvi"))) {
    try {
      const model = LsaModel.fromBytes(backend, readFileSync(join(dir, "model.lsa")));
      const index = await VectorIndex.load(backend, join(dir, "index.wvi"));
      return { model, index, docs, built: false, ms: performance.now() - t0 };
    } catch (e) {
      if (!(e instanceof FormatError)) throw e;
      console.warn(`  (the cached index is damaged: ${e.message}; rebuilding it)`);
    }
  }
  const { model, embeddings } = LsaModel.fit(backend, docs.map(documentText), { ...LSA_PARAMS, onProgress });
  const index = new VectorIndex(backend, { dim: model.dims, metric: "cosine" });
  // a description with no kept term embeds as zeros: it has no direction, so it is left out
  const rows = embeddings.toFloat32Array(), dim = model.dims, keepRows = [];
  embeddings.dispose();
  for (let i = 0; i < docs.length; i++) if (rows.subarray(i * dim, (i + 1) * dim).some((x) => x !== 0)) keepRows.push(i);
  const kept = new Float32Array(keepRows.length * dim);
  keepRows.forEach((r, j) => kept.set(rows.subarray(r * dim, (r + 1) * dim), j * dim));
  index.add(kept, keepRows);
  // the model first, the index last: a present index.wvi means a complete cache entry
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `model.lsa.tmp-${process.pid}`);
  writeFileSync(tmp, model.toBytes());
  renameSync(tmp, join(dir, "model.lsa"));
  await index.save(join(dir, "index.wvi"));
  for (const old of readdirSync(cacheDir)) if (old !== key) rmSync(join(cacheDir, old), { recursive: true, force: true });
  return { model, index, docs, built: true, ms: performance.now() - t0 };
}

/** The k best documents for a text query, or a reason why there are none. */
export function searchCorpus({ model, index, docs }, query, k = 5) {
  const known = model.knownTerms(query);
  if (known.length === 0) return { hits: [], reason: "none of its words occur in the corpus vocabulary" };
  const q = model.embed([query]);
  const hits = index.search(q.toFloat32Array(), k).map(({ id, score }) => ({ score, ...docs[id] }));
  q.dispose();
  return { hits, known };
}

/** A progress bar on a terminal, a line per stage in a log. */
export function progressBar(label) {
  let lastStage = "";
  return (stage, fraction) => {
    if (process.stdout.isTTY) {
      const width = 30, done = Math.round(fraction * width);
      process.stdout.write(`\r  ${label} [${"#".repeat(done)}${".".repeat(width - done)}] ${(100 * fraction).toFixed(0).padStart(3)}% ${stage}   `);
    } else if (stage !== lastStage) {
      console.log(`  ${label}: ${stage}…`);
    }
    lastStage = stage;
  };
}
progressBar.clear = () => { if (process.stdout.isTTY) process.stdout.write("\r\x1b[K"); };
