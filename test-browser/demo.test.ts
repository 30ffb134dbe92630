// The demo (demo/, built by `npm run build:demo`) end to end in headless Chromium: served as
// static files on 127.0.0.1, every panel exercised, a screenshot of each saved to
// test-results/demo-*.png.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium, serve } from "./harness";

const DIST = join(process.cwd(), "demo", "dist");
const SHOTS = join(process.cwd(), "test-results");
let browser: Browser, page: Page, stop: () => Promise<void>;
const errors: string[] = [];

beforeAll(async () => {
  if (!existsSync(join(DIST, "index.html"))) throw new Error("demo/dist is missing: run `npm run build:demo` first");
  mkdirSync(SHOTS, { recursive: true });
  const server = await serve(DIST);
  stop = server.close;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1500 } });
  page.on("console", (msg) => { if (msg.type() === "error") errors.push(msg.text()); });
  page.on("pageerror", (err) => errors.push(String(err)));
  await page.goto(`${server.origin}/`);
});

afterAll(async () => {
  await browser?.close();
  await stop?.();
});

it("loads without console errors and reports the WASM variant and features", async () => {
  await page.waitForSelector("#status[data-backend]", { timeout: 60_000 });
  expect(await page.getAttribute("#status", "data-backend")).toMatch(/^wasm-(relaxed-)?simd$/);
  expect(await page.textContent("#features")).toContain("✓ simd");
  expect(errors, errors.join("\n")).toEqual([]);
});

it("runs the benchmark and draws its chart, WASM faster than JS on every operation", async () => {
  for (const [name, value] of [["matmul", "128"], ["softmax", "256"], ["attention", "128"], ["search", "5000"]]) {
    await page.selectOption(`#bench-form select[name=${name}]`, value);
  }
  await page.click("#bench-run");
  await page.waitForSelector("#bench-chart[data-done]", { timeout: 120_000 });
  const speedups = JSON.parse((await page.getAttribute("#bench-chart", "data-speedups"))!);
  expect(Object.keys(speedups).sort()).toEqual(["attention", "matmul", "search", "softmax"]);
  for (const s of Object.values(speedups)) expect(s).toBeGreaterThan(1);
  expect(await page.locator("#bench-chart svg rect").count()).toBe(8);
  await page.locator("#bench-panel").screenshot({ path: join(SHOTS, "demo-benchmark.png") });
  console.log(`demo speed-ups in chromium: ${Object.entries(speedups).map(([k, v]) => `${k} ${(v as number).toFixed(1)}×`).join(", ")}`);
});

it("draws the attention heat map of “the cat sat on the mat”, rows summing to 1; the causal mask blanks the future", async () => {
  await page.waitForSelector("#attention-canvas[data-tokens='6']", { timeout: 30_000 });
  const weights = async () => JSON.parse((await page.getAttribute("#attention-canvas", "data-weights"))!) as number[][];
  for (const row of await weights()) expect(row.reduce((a, b) => a + b)).toBeCloseTo(1, 3);
  await page.check("#attention-causal");
  await page.waitForSelector("#attention-canvas[data-causal='true']");
  const causal = await weights();
  causal.forEach((row, i) => row.forEach((w, j) => { if (j > i) expect(w).toBe(0); }));
  expect(causal[0][0]).toBeCloseTo(1, 4);
  await page.locator("#attention-panel").screenshot({ path: join(SHOTS, "demo-attention.png") });
});

it("builds the semantic map and finds the expected top hit for a known query", async () => {
  await page.waitForSelector("#map-status[data-ready]", { timeout: 120_000 });
  expect(Number(await page.getAttribute("#map-canvas", "data-points"))).toBeGreaterThan(3000);
  await page.fill("#search-input", "real-time strategy game of ancient warfare");
  await page.press("#search-input", "Enter");
  await page.waitForSelector("#search-results[data-done] li", { timeout: 30_000 });
  expect(await page.getAttribute("#search-results li:first-child", "data-id")).toBe("0ad");
  expect(await page.getAttribute("#map-canvas", "data-highlighted")).toBe("10");
  await page.locator("#map-panel").screenshot({ path: join(SHOTS, "demo-map.png") });
  expect(errors).toEqual([]);
});
