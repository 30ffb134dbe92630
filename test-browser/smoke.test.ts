// The built package in a real browser: Debian's Chromium, headless, driven by playwright-core
// against a static server on 127.0.0.1. Never downloads a browser.
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { chromium, type Browser } from "playwright-core";

const ROOT = process.cwd();
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".map": "application/json" };

let server: Server;
let browser: Browser;
let origin = "";

beforeAll(async () => {
  if (!existsSync(join(ROOT, "dist/index.js"))) throw new Error("dist/index.js is missing: run `npm run build` first");
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    const file = join(ROOT, path);
    if (!file.startsWith(ROOT) || !existsSync(file)) { res.writeHead(404).end(); return; }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  origin = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--no-first-run", "--disable-sync", "--disable-quic"],
  });
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

it("loads the built package in headless Chromium, picks a WASM path and computes a matmul that matches float64", async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("console", (msg) => { if (msg.type() === "error") errors.push(msg.text()); });
  page.on("pageerror", (err) => errors.push(String(err)));
  await page.goto(`${origin}/test-browser/page.html`);
  await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, null, { timeout: 60_000 });
  const result = await page.evaluate(() => (window as unknown as { __result: Record<string, unknown> }).__result);
  expect(result.error).toBeUndefined();
  expect(errors).toEqual([]);
  expect(result.backend).toMatch(/^wasm-/);
  expect((result.features as { simd: boolean }).simd).toBe(true);
  expect(result.length).toBe(65 * 17);
  expect(result.worstRatio as number).toBeLessThanOrEqual(1);
  console.log(`chromium ${browser.version()}: ${result.backend}, worst error ${(result.worstRatio as number).toFixed(3)} of the float64 bound`);
});
