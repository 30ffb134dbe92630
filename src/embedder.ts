import { EmbeddingError, InputError } from "./errors";

/** Options of `createEmbedder`; unset ones come from the environment (Node) or defaults. */
export interface EmbedderOptions {
  /** Base URL of an OpenAI-compatible API, e.g. "https://api.openai.com/v1" or "http://127.0.0.1:8080/v1"
   *  (env WASMLA_EMBED_URL, then OPENAI_BASE_URL; default https://api.openai.com/v1). */
  baseURL?: string;
  /** Bearer token (env WASMLA_EMBED_KEY, then OPENAI_API_KEY); none for local servers. */
  apiKey?: string;
  /** Model name (env WASMLA_EMBED_MODEL; default "text-embedding-3-small"). */
  model?: string;
  /** Texts per request (default 64). */
  batchSize?: number;
  /** Retries of a request that failed by network error, timeout, 429 or 5xx (default 3). */
  retries?: number;
  /** Per-request timeout in ms (default 30000). */
  timeoutMs?: number;
  /** First retry delay in ms, doubled each retry; a Retry-After header takes precedence (default 500). */
  backoffMs?: number;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

/** Embeddings of texts: rows of `dim` floats, in the order of the texts. */
export interface Embeddings {
  vectors: Float32Array;
  dim: number;
  count: number;
}

/** A client of an OpenAI-compatible `/embeddings` endpoint. */
export interface Embedder {
  readonly baseURL: string;
  readonly model: string;
  /** Embeds texts in batches; an EmbeddingError (after retries) if the endpoint fails or answers malformed data. */
  embed(texts: readonly string[]): Promise<Embeddings>;
}

const env = (name: string): string | undefined =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name] || undefined;

/**
 * An embedder for any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Azure-style
 * gateways, llama.cpp, Ollama, vLLM, LM Studio…): batched requests, retries with exponential
 * backoff on network errors, timeouts, 429 and 5xx, and clear errors naming what went wrong.
 */
export function createEmbedder(options: EmbedderOptions = {}): Embedder {
  const baseURL = (options.baseURL ?? env("WASMLA_EMBED_URL") ?? env("OPENAI_BASE_URL") ?? "https://api.openai.com/v1").replace(/\/+$/, "");
  const apiKey = options.apiKey ?? env("WASMLA_EMBED_KEY") ?? env("OPENAI_API_KEY");
  const model = options.model ?? env("WASMLA_EMBED_MODEL") ?? "text-embedding-3-small";
  const { batchSize = 64, retries = 3, timeoutMs = 30_000, backoffMs = 500 } = options;
  const doFetch = options.fetch ?? globalThis.fetch;
  if (!/^https?:\/\//.test(baseURL)) throw new InputError(`createEmbedder: baseURL must start with http:// or https://, got ${JSON.stringify(baseURL)}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError(`createEmbedder: batchSize must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(retries) || retries < 0) throw new InputError(`createEmbedder: retries must be a non-negative integer, got ${retries}`);
  if (typeof doFetch !== "function") throw new InputError("createEmbedder: no fetch in this runtime; pass one as options.fetch");
  const url = `${baseURL}/embeddings`;

  /** One request, retried; returns the batch's vectors in input order. */
  async function request(batch: readonly string[], first: number): Promise<number[][]> {
    for (let attempt = 0; ; attempt++) {
      let retryAfterMs: number | undefined, failure: EmbeddingError;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        const res = await doFetch(url, {
          method: "POST",
          headers: { "content-type": "application/json", ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
          body: JSON.stringify({ model, input: batch, encoding_format: "float" }),
          signal: controller.signal,
        });
        const body = await res.text();
        if (res.ok) return parseResponse(body, batch.length, first);
        const detail = serverMessage(body);
        failure = new EmbeddingError(`embeddings: ${url} answered ${res.status} ${res.statusText}${detail ? `: ${detail}` : ""} (texts ${first}..${first + batch.length - 1})`, res.status);
        if (res.status !== 429 && res.status < 500) throw failure; // the request itself is wrong: retrying will not help
        const after = Number(res.headers.get("retry-after"));
        if (Number.isFinite(after) && after >= 0) retryAfterMs = Math.min(after * 1000, 60_000);
      } catch (e) {
        if (e instanceof EmbeddingError && (e.status === undefined || (e.status !== 429 && e.status < 500))) throw e;
        failure = e instanceof EmbeddingError ? e : new EmbeddingError(controller.signal.aborted
          ? `embeddings: ${url} did not answer within ${timeoutMs} ms`
          : `embeddings: cannot reach ${url}: ${(e as Error).message}${(e as { cause?: Error }).cause ? ` (${(e as { cause: Error }).cause.message})` : ""}`);
      } finally {
        clearTimeout(timer);
      }
      if (attempt >= retries) throw new EmbeddingError(`${failure.message}; gave up after ${retries + 1} attempts`, failure.status);
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs ?? backoffMs * 2 ** attempt));
    }
  }

  return {
    baseURL, model,
    async embed(texts) {
      if (!Array.isArray(texts) || texts.some((t) => typeof t !== "string")) throw new InputError("embed: expected an array of strings");
      const rows: number[][] = [];
      for (let i = 0; i < texts.length; i += batchSize) rows.push(...(await request(texts.slice(i, i + batchSize), i)));
      const dim = rows[0]?.length ?? 0, vectors = new Float32Array(rows.length * dim);
      rows.forEach((r, i) => {
        if (r.length !== dim) throw new EmbeddingError(`embeddings: text ${i} got ${r.length} values, text 0 got ${dim}`);
        vectors.set(r, i * dim);
      });
      return { vectors, dim, count: rows.length };
    },
  };
}

/** The vectors of an `/embeddings` answer in input order, checked. */
function parseResponse(body: string, count: number, first: number): number[][] {
  const fail = (why: string): never => { throw new EmbeddingError(`embeddings: malformed answer for texts ${first}..${first + count - 1}: ${why}`); };
  let json: unknown;
  try { json = JSON.parse(body); } catch { fail(`not JSON (${JSON.stringify(body.slice(0, 80))})`); }
  const data = (json as { data?: unknown })?.data;
  if (!Array.isArray(data)) fail(`no "data" array`);
  if ((data as unknown[]).length !== count) fail(`${(data as unknown[]).length} embeddings for ${count} texts`);
  const out: number[][] = new Array(count);
  (data as { embedding?: unknown; index?: unknown }[]).forEach((d, i) => {
    const at = typeof d?.index === "number" ? d.index : i;
    if (!Number.isInteger(at) || at < 0 || at >= count || out[at]) fail(`item ${i} has an invalid or repeated index ${JSON.stringify(d?.index)}`);
    const v = d?.embedding;
    if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === "number" && Number.isFinite(x))) {
      fail(`item ${i} has no embedding of finite numbers (base64 encoding is not supported: the request asks for floats)`);
    }
    out[at] = v as number[];
  });
  return out;
}

/** The `error.message` of an OpenAI-style error body, or its first characters. */
function serverMessage(body: string): string {
  try {
    const m = (JSON.parse(body) as { error?: { message?: unknown } | string }).error;
    if (typeof m === "string") return m;
    if (m && typeof m.message === "string") return m.message;
  } catch { /* not JSON */ }
  return body.slice(0, 200).trim();
}
