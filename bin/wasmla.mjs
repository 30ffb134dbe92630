#!/usr/bin/env node
// wasmla's command line: top-k search over your own embeddings.
//   wasmla search --vectors emb.npy --texts docs.jsonl "query text"      (text embedded by an endpoint)
//   wasmla search --vectors emb.npy --query-vector q.npy                  (or a JSON array, or --query-row N)
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { init, readNpy, parseEmbeddings, createEmbedder, VectorIndex, WasmlaError } from "../dist/index.js";

const HELP = `Usage: wasmla search --vectors <file> [options] ["query text"]

Searches embeddings for the k best matches of a query and prints them, best first.

  --vectors <file>       embeddings: .npy (float32/float64, [n, dim]), or JSON / JSON Lines
                         (arrays, records with "embedding" and optional "id"/"text",
                         or an OpenAI /v1/embeddings response)
  --texts <file>         JSON Lines, line i describing vector i: a string, or an object with
                         "text" (and optional "id", "title")
  --query-vector <v>     the query as a JSON array, or a .npy / .json file holding one
  --query-row <i>        the query is vector i of --vectors (find its neighbours)
  "query text"           embedded by an OpenAI-compatible endpoint: --base-url, --model,
                         --api-key, or env WASMLA_EMBED_URL / OPENAI_BASE_URL,
                         WASMLA_EMBED_MODEL, WASMLA_EMBED_KEY / OPENAI_API_KEY
  -k, --k <n>            how many results (default 10)
  --metric <m>           cosine (default), dot or l2
  --json                 print the results as JSON
  -h, --help             this text`;

class UsageError extends Error {}

async function main(argv) {
  const { values: o, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      vectors: { type: "string" }, texts: { type: "string" }, "query-vector": { type: "string" }, "query-row": { type: "string" },
      k: { type: "string", short: "k", default: "10" }, metric: { type: "string", default: "cosine" }, json: { type: "boolean" },
      "base-url": { type: "string" }, model: { type: "string" }, "api-key": { type: "string" }, help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...words] = positionals;
  if (o.help || !command || command === "help") return void console.log(HELP);
  if (command !== "search") throw new UsageError(`unknown command ${JSON.stringify(command)} (try: wasmla search --help)`);
  if (!o.vectors) throw new UsageError("search needs --vectors <file>");
  const k = Number(o.k);
  if (!Number.isInteger(k) || k < 1) throw new UsageError(`-k must be a positive integer, got ${o.k}`);
  const queryText = words.join(" ").trim();
  const ways = [queryText && "query text", o["query-vector"] && "--query-vector", o["query-row"] !== undefined && "--query-row"].filter(Boolean);
  if (ways.length !== 1) throw new UsageError(ways.length ? `give one query, not ${ways.join(" and ")}` : 'give a query: "text", --query-vector or --query-row');

  const { vectors, dim, count, ids, texts } = readVectors(o.vectors);
  const docs = o.texts ? readTexts(o.texts, count) : (texts ?? []).map((text) => ({ text }));
  const be = await init();
  const index = new VectorIndex(be, { dim, metric: o.metric });
  index.add(vectors, [...Array(count).keys()]);

  let query;
  if (o["query-row"] !== undefined) {
    const row = Number(o["query-row"]);
    if (!Number.isInteger(row) || row < 0 || row >= count) throw new UsageError(`--query-row must be an integer in 0..${count - 1}, got ${o["query-row"]}`);
    query = vectors.subarray(row * dim, (row + 1) * dim);
  } else if (o["query-vector"]) {
    query = readQueryVector(o["query-vector"]);
  } else {
    const embedder = createEmbedder({ baseURL: o["base-url"], model: o.model, apiKey: o["api-key"] });
    const e = await embedder.embed([queryText]);
    query = e.vectors;
  }
  if (query.length !== dim) throw new UsageError(`the query has ${query.length} values, the vectors have ${dim}`);

  const hits = index.search(query, k).map(({ id: row, score }) => ({
    row, id: ids?.[row] ?? docs[row]?.id ?? row, score, ...(docs[row]?.title ? { title: docs[row].title } : {}), ...(docs[row]?.text ? { text: docs[row].text } : {}),
  }));
  if (o.json) return void console.log(JSON.stringify(hits, null, 2));
  const width = Math.max(60, (process.stdout.columns || 100) - 24);
  for (const [i, h] of hits.entries()) {
    const label = [h.title, h.text].filter(Boolean).join(": ").replace(/\s+/g, " ");
    console.log(`${String(i + 1).padStart(3)}. ${h.score.toFixed(4)}  ${String(h.id)}${label ? `  ${label.length > width ? `${label.slice(0, width - 1)}…` : label}` : ""}`);
  }
}

/** Embeddings from .npy or JSON/JSONL. */
function readVectors(file) {
  const bytes = readFileSync(file);
  if (file.endsWith(".npy")) {
    const { data, shape } = readNpy(bytes);
    if (shape.length !== 2) throw new UsageError(`${file}: expected a [n, dim] array, got shape [${shape}]`);
    return { vectors: data, dim: shape[1], count: shape[0] };
  }
  return parseEmbeddings(bytes.toString("utf8"));
}

/** Line i of a JSON Lines file describes vector i. */
function readTexts(file, count) {
  const lines = readFileSync(file, "utf8").split(/\r?\n/).filter((l) => l.trim() !== "");
  if (lines.length !== count) throw new UsageError(`${file} has ${lines.length} lines, the vectors ${count} rows`);
  return lines.map((line, i) => {
    let r;
    try { r = JSON.parse(line); } catch { throw new UsageError(`${file}: line ${i + 1} is not valid JSON`); }
    return typeof r === "string" ? { text: r } : { id: r.id, title: r.title, text: r.text };
  });
}

function readQueryVector(arg) {
  if (arg.endsWith(".npy")) return readNpy(readFileSync(arg)).data;
  const text = arg.trim().startsWith("[") ? arg : readFileSync(arg, "utf8");
  let plain;
  try { plain = JSON.parse(text); } catch { /* JSON Lines, or an error parseEmbeddings names */ }
  if (Array.isArray(plain) && plain.length > 0 && plain.every((x) => typeof x === "number")) {
    if (!plain.every(Number.isFinite)) throw new UsageError("--query-vector has a non-finite value");
    return Float32Array.from(plain);
  }
  const { vectors, count } = parseEmbeddings(text);
  if (count !== 1) throw new UsageError(`--query-vector holds ${count} vectors, expected one`);
  return vectors;
}

main(process.argv.slice(2)).catch((e) => {
  if (e instanceof UsageError || e instanceof WasmlaError || e?.code === "ENOENT" || e?.code?.startsWith?.("ERR_PARSE_ARGS")) {
    console.error(`wasmla: ${e.message}`);
    process.exit(e instanceof UsageError || e?.code?.startsWith?.("ERR_PARSE_ARGS") ? 2 : 1);
  }
  throw e;
});
