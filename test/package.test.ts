// The built package as users load it: ESM and CommonJS entry points, inlined WebAssembly.
import { createRequire } from "node:module";
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

describe("the built package (dist/)", () => {
  it("loads as ESM and as CommonJS, with type declarations, and computes on WASM", async () => {
    for (const f of ["dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/index.d.cts"]) expect(existsSync(f)).toBe(true);
    const esm = await import("../dist/index.js");
    const cjs = createRequire(import.meta.url)("../dist/index.cjs");
    for (const lib of [esm, cjs]) {
      const be = await lib.createBackend("wasm-simd");
      expect(be.dot([1, 2, 3], [4, 5, 6])).toBe(32);
      expect(be.matmul([[1, 2]], [[3], [4]]).toArray()).toEqual([[11]]);
    }
    expect(readFileSync("dist/index.d.ts", "utf8")).toMatch(/declare function matmul\(a: TensorLike, b: TensorLike, options\?: MatmulOptions\): Tensor;/);
  });

  it("needs no .wasm file at run time: the binaries are inlined", () => {
    const js = readFileSync("dist/index.js", "utf8");
    expect(js).not.toMatch(/\.wasm["'`]/);
    expect(js).toMatch(/AGFzbQ/); // base64 of "\0asm"
  });
});
