import { describe, expect, it } from "vitest";
import * as wasmla from "../src/index";
import { BackendError, InputError, createBackend, detectFeatures, getBackend, init } from "../src/index";

describe("choosing a path", () => {
  it("init() picks the best path this runtime validates and makes it the default", async () => {
    const f = detectFeatures();
    expect(f.simd).toBe(true);
    const be = await init();
    expect(be.name).toBe(f.relaxedSimd ? "wasm-relaxed-simd" : "wasm-simd");
    expect(getBackend()).toBe(be);
    const y = wasmla.matmul(wasmla.tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]), [1, 2, 3]).toArray() as number[];
    expect(y[0]).toBeCloseTo(1.4, 6);
    expect(y[1]).toBeCloseTo(3.2, 6);
  });

  it("init() can be forced to any path, the JS one included", async () => {
    for (const name of ["js", "wasm-simd", "wasm-relaxed-simd"] as const) {
      const be = await init({ backend: name });
      expect(be.name).toBe(name);
      expect(wasmla.dot([1, 2, 3], [4, 5, 6])).toBe(32);
    }
    await expect(createBackend("gpu" as never)).rejects.toThrow(InputError);
  });

  it("holds two paths side by side with separate memories", async () => {
    const js = await createBackend("js"), simd = await createBackend("wasm-simd");
    const a = js.tensor([[1, 2], [3, 4]]), b = a.copyTo(simd);
    expect(b.backend).toBe(simd);
    expect(js.matmul(a, a).toArray()).toEqual(simd.matmul(b, b).toArray());
    // module-level functions follow their tensors' backend, not the default
    expect(wasmla.matmul(a, a).backend).toBe(js);
    expect(() => js.add(a, b)).toThrow(BackendError);
    expect(() => js.add(a, b)).toThrow("add: argument 2 lives on backend 'wasm-simd', the operation runs on 'js'");
  });

  it("the first tensor of a fresh backend works as a bias, gamma or mask (no block at address 0)", async () => {
    for (const name of ["js", "wasm-simd", "wasm-relaxed-simd"] as const) {
      const be = await createBackend(name);
      const first = be.tensor([10, 20]);
      expect(be.dense([[1, 2]], [[1, 0], [0, 1]], first).toArray()).toEqual([[11, 22]]);
      expect(be.rmsNorm([[3, 4]], first).toArray()).not.toEqual(be.rmsNorm([[3, 4]]).toArray());
    }
  });

  it("is exported as ESM with typed errors carrying a code", () => {
    const e = new wasmla.ShapeError("x");
    expect(e).toBeInstanceOf(wasmla.WasmlaError);
    expect(e.code).toBe("SHAPE");
    expect(e.name).toBe("ShapeError");
  });
});
