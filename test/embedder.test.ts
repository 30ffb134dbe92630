import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddingError, InputError, createEmbedder } from "../src/index";

// A local stand-in for an OpenAI-compatible /v1/embeddings endpoint on 127.0.0.1 (never the internet).
const DIM = 6;
/** The vector the server gives a text: independent of the client, so results can be checked. */
const vectorOf = (text: string) => Array.from({ length: DIM }, (_, i) => Math.sin(text.length * (i + 1) + text.charCodeAt(0)));

type Handler = (req: IncomingMessage, body: { model: string; input: string[] }, res: ServerResponse) => void;
let server: Server, base: string, handler: Handler;
const requests: { auth?: string; model: string; input: string[] }[] = [];

const answer: Handler = (_req, body, res) => {
  // answer out of order, with indices, as the API allows
  const data = body.input.map((t, index) => ({ object: "embedding", index, embedding: vectorOf(t) })).reverse();
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ object: "list", data, model: body.model }));
};

beforeAll(async () => {
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => { raw += c; });
    req.on("end", () => {
      const body = JSON.parse(raw);
      requests.push({ auth: req.headers.authorization, model: body.model, input: body.input });
      if (req.url !== "/v1/embeddings") return void res.writeHead(404).end("not found");
      handler(req, body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }));

describe("createEmbedder against a local OpenAI-compatible server", () => {
  it("embeds in batches, in input order, with the key and model", async () => {
    handler = answer;
    requests.length = 0;
    const texts = Array.from({ length: 23 }, (_, i) => `text number ${i} ${"x".repeat(i)}`);
    const e = createEmbedder({ baseURL: base, apiKey: "sk-test", model: "tiny-embed", batchSize: 10 });
    const out = await e.embed(texts);
    expect([out.count, out.dim]).toEqual([23, DIM]);
    texts.forEach((t, i) => expect(Array.from(out.vectors.subarray(i * DIM, (i + 1) * DIM))).toEqual(vectorOf(t).map(Math.fround)));
    expect(requests.map((r) => r.input.length)).toEqual([10, 10, 3]);
    expect(requests.every((r) => r.auth === "Bearer sk-test" && r.model === "tiny-embed")).toBe(true);
  });

  it("retries 503 and 429 (honouring Retry-After), then succeeds", async () => {
    let calls = 0;
    handler = (req, body, res) => {
      calls++;
      if (calls === 1) return void res.writeHead(503, { "content-type": "application/json" }).end('{"error":{"message":"overloaded"}}');
      if (calls === 2) return void res.writeHead(429, { "retry-after": "0" }).end("slow down");
      answer(req, body, res);
    };
    const out = await createEmbedder({ baseURL: base, backoffMs: 1 }).embed(["a", "b"]);
    expect(calls).toBe(3);
    expect(out.count).toBe(2);
  });

  it("gives up after the retries with the server's message; a 400 is not retried", async () => {
    let calls = 0;
    handler = (_req, _body, res) => { calls++; res.writeHead(500).end('{"error":{"message":"boom"}}'); };
    await expect(createEmbedder({ baseURL: base, retries: 2, backoffMs: 1 }).embed(["a"])).rejects.toThrow(/answered 500 .*: boom .*gave up after 3 attempts/);
    expect(calls).toBe(3);
    calls = 0;
    handler = (_req, _body, res) => { calls++; res.writeHead(400, { "content-type": "application/json" }).end('{"error":{"message":"model not found"}}'); };
    const err = await createEmbedder({ baseURL: base, backoffMs: 1 }).embed(["a"]).catch((e) => e);
    expect(err).toBeInstanceOf(EmbeddingError);
    expect(err.status).toBe(400);
    expect(err.message).toContain("model not found");
    expect(calls).toBe(1);
  });

  it("rejects malformed answers, times out a silent server, and reports an unreachable one", async () => {
    handler = (_req, _body, res) => void res.writeHead(200).end('{"data":[{"index":0,"embedding":[1,"x"]}]}');
    await expect(createEmbedder({ baseURL: base }).embed(["a"])).rejects.toThrow(/malformed answer .*no embedding of finite numbers/);
    handler = (_req, _body, res) => void res.writeHead(200).end('{"data":[]}');
    await expect(createEmbedder({ baseURL: base }).embed(["a"])).rejects.toThrow("0 embeddings for 1 texts");
    handler = () => {}; // never answers
    await expect(createEmbedder({ baseURL: base, timeoutMs: 50, retries: 1, backoffMs: 1 }).embed(["a"])).rejects.toThrow(/did not answer within 50 ms; gave up after 2 attempts/);
    await expect(createEmbedder({ baseURL: "http://127.0.0.1:9/v1", retries: 0 }).embed(["a"])).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:9\/v1\/embeddings/);
    expect(() => createEmbedder({ baseURL: "ftp://x" })).toThrow(InputError);
  });
});
