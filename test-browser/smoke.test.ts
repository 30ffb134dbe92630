// The built package in a real browser: Debian's Chromium, headless, driven by playwright-core
// against a static server on 127.0.0.1. Never downloads a browser.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { launchChromium, serve } from "./harness";

const ROOT = process.cwd();
let browser: Browser;
let origin = "";
let stop: () => Promise<void>;

beforeAll(async () => {
  if (!existsSync(join(ROOT, "dist/index.js"))) throw new Error("dist/index.js is missing: run `npm run build` first");
  ({ origin, close: stop } = await serve(ROOT));
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stop?.();
});

it("loads the built package in headless Chromium, picks a WASM path, computes a matmul that matches float64 and int8 scans that stay exact over 200 calls", async () => {
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
  expect(result.i8Limit).toBe(result.backend === "wasm-relaxed-simd" ? 63 : 2047);
  expect(result.i8Wrong).toBe(0);
  console.log(`chromium ${browser.version()}: ${result.backend}, worst error ${(result.worstRatio as number).toFixed(3)} of the float64 bound`);
});
