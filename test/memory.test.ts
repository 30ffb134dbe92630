import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DisposedError, LengthError, MemoryLimitError, ShapeError, InputError, BackendError, CsrMatrix, createBackend, keep, scope } from "../src/index";
import { Heap, MAX_BYTES } from "../src/memory";
import { PATHS, backend, expectClose, randomF32, refMatmul } from "./helpers";

/** Index of the first element that differs (−1: none): toEqual walks millions of elements slowly. */
function firstDifference(x: Float32Array, y: Float32Array): number {
  if (x.length !== y.length) return Math.min(x.length, y.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

describe("Heap allocator", () => {
  it("hands out 64-byte aligned, non-overlapping blocks through random alloc/free sequences", () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 300_000 })), { maxLength: 200 }), (ops) => {
      const heap = new Heap(new WebAssembly.Memory({ initial: 1 }), 100);
      const live = new Map<number, number>();
      for (const [doFree, size] of ops) {
        if (doFree && live.size > 0) {
          const ptr = [...live.keys()][size % live.size];
          heap.free(ptr);
          live.delete(ptr);
          continue;
        }
        const ptr = heap.alloc(size);
        expect(ptr % 64).toBe(0);
        expect(ptr).toBeGreaterThanOrEqual(100);
        expect(ptr + size).toBeLessThanOrEqual(heap.memory.buffer.byteLength);
        for (const [p, s] of live) expect(ptr + Math.max(size, 1) <= p || p + Math.max(s, 1) <= ptr).toBe(true);
        live.set(ptr, size);
      }
      const expected = [...live.keys()].reduce((a, p) => a + heap.sizeOf(p)!, 0);
      expect(heap.stats().liveBytes).toBe(expected);
      for (const p of live.keys()) heap.free(p);
      expect(heap.stats().liveBytes).toBe(0);
      expect(heap.stats().freeBytes).toBe(0); // everything merged back into the top
    }));
  });

  it("never hands out address 0, which kernels read as 'none'", () => {
    expect(new Heap(new WebAssembly.Memory({ initial: 1 }), 0).alloc(4)).toBe(64);
  });

  it("reuses freed blocks instead of growing, and merges neighbours", () => {
    const heap = new Heap(new WebAssembly.Memory({ initial: 1 }), 0);
    const a = heap.alloc(1000), b = heap.alloc(1000), c = heap.alloc(1000);
    heap.alloc(64); // keeps c off the top
    heap.free(a); heap.free(b);
    expect(heap.alloc(2000)).toBe(a); // a and b merged into one block
    heap.free(c);
    expect(heap.alloc(500)).toBe(c);
    expect(heap.stats().peakBytes).toBeGreaterThanOrEqual(heap.stats().liveBytes);
  });

  it("grows in large steps and refuses past 4 GiB with a MemoryLimitError", () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const heap = new Heap(memory, 0);
    heap.alloc(100_000);
    expect(memory.buffer.byteLength).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    expect(() => heap.alloc(MAX_BYTES)).toThrow(MemoryLimitError);
    expect(() => heap.alloc(MAX_BYTES)).toThrow(/wasm32 memory is limited to 4 GiB/);
    expect(heap.alloc(64)).toBeGreaterThan(0); // still usable
  });
});

describe.each(PATHS)("tensor memory on %s", (path) => {
  it("tens of thousands of tensors created and disposed leave live bytes where they started", async () => {
    const be = await backend(path);
    const before = be.memoryStats().liveBytes;
    for (let i = 0; i < 20_000; i++) {
      const t = be.tensor(new Float32Array((i % 97) + 1));
      const u = be.scale(t, 2);
      t.dispose(); u.dispose();
    }
    for (let i = 0; i < 2_000; i++) {
      using t = be.zeros([i % 13, 7]);
      expect(t.size).toBe((i % 13) * 7);
    }
    const kept = scope(() => {
      const ts = Array.from({ length: 1000 }, (_, i) => be.tensor([i, i + 1]));
      return ts[999];
    });
    expect(kept.toArray()).toEqual([999, 1000]);
    kept.dispose();
    expect(be.memoryStats().liveBytes).toBe(before);
  });

  it("tensors made before memory grows read back their values after it", async () => {
    const be = await backend(path);
    const a = randomF32(1000, 1);
    const A = be.tensor(a, [10, 100]);
    const cap = be.memoryStats().capacityBytes;
    const big = be.zeros([4096, 4096]); // 64 MiB: forces growth
    expect(be.memoryStats().capacityBytes).toBeGreaterThan(cap);
    expect(A.toFloat32Array()).toEqual(a);
    const C = be.matmul(A, A, { transposeB: true });
    const { c, tol } = refMatmul(a, a, 10, 100, 10, true);
    expectClose(C.toFloat32Array(), c, tol, "after growth");
    big.dispose(); A.dispose(); C.dispose();
  });

  it("copies a tensor from a view of the backend's own memory even when making it grows that memory", async () => {
    const be = await createBackend(path); // fresh and small: a 12 MiB copy of a 12 MiB tensor must grow it
    const n = 3 << 20, a = randomF32(n, 3);
    using A = be.tensor(a);
    const cap = be.memoryStats().capacityBytes;
    using B = be.tensor(be.heap.f32(A.ptr(), n));
    expect(be.memoryStats().capacityBytes).toBeGreaterThan(cap); // the case under test happened
    expect(firstDifference(B.toFloat32Array(), a)).toBe(-1);
  });

  it("builds a CSR matrix from values that are a view of the backend's own memory when building it grows that memory", async () => {
    const be = await createBackend(path);
    const n = 3 << 20, v = randomF32(n, 4);
    using V = be.tensor(v);
    const cap = be.memoryStats().capacityBytes;
    const indptr = Int32Array.from({ length: n + 1 }, (_, i) => i), indices = new Int32Array(n); // one entry a row, in column 0
    using A = CsrMatrix.fromArrays(be, { shape: [n, 1], indptr, indices, values: be.heap.f32(V.ptr(), n) });
    expect(be.memoryStats().capacityBytes).toBeGreaterThan(cap); // the case under test happened
    using one = be.tensor([1], [1, 1]), P = A.matmul(one);
    expect(firstDifference(P.toFloat32Array(), v)).toBe(-1);
  });

  it("scope() frees intermediates, keeps returned tensors, and cleans up when it throws", async () => {
    const be = await backend(path);
    const before = be.memoryStats().liveBytes;
    const x = be.tensor([[1, 2], [3, 4]]);
    const { y, z } = scope(() => {
      const h = be.matmul(x, x);
      return { y: be.softmax(h), z: be.add(h, 1) };
    });
    expect(y.disposed).toBe(false);
    expect(z.toArray()).toEqual([[8, 11], [16, 23]]);
    let leaked: ReturnType<typeof be.zeros> | undefined;
    expect(() => scope(() => { leaked = be.zeros([5]); be.matmul(x, be.zeros([3, 3])); })).toThrow(ShapeError);
    expect(leaked!.disposed).toBe(true);
    const outer = scope(() => {
      const inner = scope(() => be.zeros([2]));
      const kept2 = keep(be.zeros([3]));
      expect(inner.disposed).toBe(false);
      return kept2;
    });
    expect(outer.disposed).toBe(false);
    x.dispose(); y.dispose(); z.dispose(); outer.dispose();
    expect(be.memoryStats().liveBytes).toBe(before);
  });

  it("every kind of bad input throws its own error and leaves the backend usable", async () => {
    const be = await backend(path);
    const before = be.memoryStats().liveBytes;
    const t = be.tensor([1, 2, 3]);
    t.dispose();
    t.dispose(); // idempotent
    expect(() => t.toArray()).toThrow(DisposedError);
    expect(() => be.dot(t, [1, 2, 3])).toThrow("dot: tensor [3] was disposed");
    expect(() => be.tensor(new Float32Array(5), [2, 3])).toThrow(LengthError);
    expect(() => be.tensor(new Float32Array(5), [2, 3])).toThrow("tensor: shape [2,3] needs 6 values, got 5");
    expect(() => be.tensor([[1, 2], [3]])).toThrow("tensor: row 1 has 1 values, row 0 has 2");
    expect(() => be.tensor([1, "2" as unknown as number])).toThrow(InputError);
    expect(() => be.tensor([[1, 2], [3, null as unknown as number]])).toThrow("tensor: element [1][1] is null, not a number");
    expect(() => be.zeros([2, 3, 4])).toThrow("zeros: shape [2,3,4] has rank 3; tensors are 0-D, 1-D or 2-D");
    expect(() => be.zeros([-1])).toThrow(ShapeError);
    expect(() => be.zeros([70_000, 70_000])).toThrow(MemoryLimitError);
    const A = be.zeros([40_000, 10]);
    expect(() => be.matmul(A, A, { transposeB: true })).toThrow(MemoryLimitError); // a 6.4 GB result
    A.dispose();
    const other = await backend(path === "js" ? "wasm-simd" : "js");
    expect(() => be.matmul(other.zeros([2, 2]), [[1, 0], [0, 1]])).toThrow(BackendError);
    expect(be.memoryStats().liveBytes).toBe(before); // no temporaries leaked by the failures
    expect(be.matmul([[1, 2]], [[3], [4]]).toArray()).toEqual([[11]]);
  });
});
