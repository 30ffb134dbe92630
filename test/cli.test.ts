import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeNpy } from "../src/index";
import { randomF32 } from "./helpers";

// `wasmla search` run as users run it (node bin/wasmla.mjs …), on files in a temporary directory
// and, for text queries, against a local OpenAI-compatible server on 127.0.0.1.
const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string> = {}) =>
  run(process.execPath, ["bin/wasmla.mjs", ...args], { env: { ...process.env, ...env } }).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: "" }),
    (e) => ({ code: e.code as number, stdout: e.stdout as string, stderr: e.stderr as string }));

const [N, DIM] = [200, 16];
const vectors = randomF32(N * DIM, 77);
const TEXTS = Array.from({ length: N }, (_, i) => `package ${i} does thing ${i % 7}`);
/** The server's embedding of a text: row i of `vectors` for TEXTS[i], else zeros. */
const embedText = (t: string) => { const i = TEXTS.indexOf(t); return i < 0 ? new Array(DIM).fill(0) : Array.from(vectors.subarray(i * DIM, (i + 1) * DIM)); };

let dir: string, server: Server, base: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "wasmla-cli-"));
  writeFileSync(join(dir, "emb.npy"), writeNpy({ data: vectors, shape: [N, DIM] }));
  writeFileSync(join(dir, "docs.jsonl"), TEXTS.map((text, i) => JSON.stringify({ id: `pkg-${i}`, text })).join("\n") + "\n");
  server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c) => { raw += c; });
    req.on("end", () => {
      const { input } = JSON.parse(raw) as { input: string[] };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: input.map((t, index) => ({ index, embedding: embedText(t) })) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => {
  rmSync(dir, { recursive: true });
  server.closeAllConnections();
  server.close();
});

/** Brute-force float64 cosine ranking of row q's neighbours. */
function neighbours(q: ArrayLike<number>, k: number): number[] {
  const norm = (o: number, v: ArrayLike<number>) => Math.sqrt(Array.from({ length: DIM }, (_, j) => v[o + j] ** 2).reduce((a, b) => a + b));
  const scores = Array.from({ length: N }, (_, i) => {
    let d = 0;
    for (let j = 0; j < DIM; j++) d += vectors[i * DIM + j] * q[j];
    return { i, s: d / (norm(i * DIM, vectors) * norm(0, q)) };
  });
  return scores.sort((a, b) => b.s - a.s).slice(0, k).map((x) => x.i);
}

describe("wasmla search (CLI)", () => {
  it("finds a row's neighbours in a .npy with texts from JSON Lines (float64 reference)", async () => {
    const { code, stdout } = await cli(["search", "--vectors", join(dir, "emb.npy"), "--texts", join(dir, "docs.jsonl"), "--query-row", "5", "-k", "4", "--json"]);
    expect(code).toBe(0);
    const hits = JSON.parse(stdout);
    expect(hits.map((h: { row: number }) => h.row)).toEqual(neighbours(vectors.subarray(5 * DIM, 6 * DIM), 4));
    expect(hits[0]).toMatchObject({ id: "pkg-5", text: TEXTS[5] });
    expect(hits[0].score).toBeCloseTo(1, 5);
  });

  it("embeds a text query through an OpenAI-compatible endpoint and prints a table", async () => {
    const { code, stdout } = await cli(["search", "--vectors", join(dir, "emb.npy"), "--texts", join(dir, "docs.jsonl"), "-k", "3", TEXTS[42]], { WASMLA_EMBED_URL: base });
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^\s*1\. 1\.0000 {2}pkg-42 {2}package 42 does thing 0$/);
    expect(lines.map((l) => l.match(/pkg-(\d+)/)![1]).map(Number)).toEqual(neighbours(vectors.subarray(42 * DIM, 43 * DIM), 3));
  });

  it("names what is wrong: usage (exit 2), files and data (exit 1)", async () => {
    const emb = join(dir, "emb.npy");
    expect(await cli(["search", "--vectors", emb])).toMatchObject({ code: 2, stderr: expect.stringContaining("give a query") });
    expect(await cli(["search", "--vectors", emb, "--query-vector", "[1,2]"])).toMatchObject({ code: 2, stderr: expect.stringContaining("the query has 2 values, the vectors have 16") });
    expect(await cli(["search", "--vectors", emb, "--texts", join(dir, "emb.npy"), "--query-row", "1"])).toMatchObject({ code: 2, stderr: expect.stringMatching(/lines, the vectors 200 rows|not valid JSON/) });
    expect(await cli(["search", "--vectors", join(dir, "missing.npy"), "--query-row", "1"])).toMatchObject({ code: 1, stderr: expect.stringContaining("ENOENT") });
    writeFileSync(join(dir, "bad.npy"), "not an npy file");
    expect(await cli(["search", "--vectors", join(dir, "bad.npy"), "--query-row", "1"])).toMatchObject({ code: 1, stderr: expect.stringContaining("npy: not a .npy file") });
  });
});
