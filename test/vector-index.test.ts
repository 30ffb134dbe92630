import { mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FormatError, InputError, ShapeError, VectorIndex, WasmlaError, createBackend, type Metric } from "../src/index";
import { EPS32, PATHS, backend, expectClose, randomF32, rng } from "./helpers";

/** Brute-force float64 reference: scores of every row, best first (ties to the earlier row). */
function bruteForce(rows: Float32Array, n: number, dim: number, q: Float32Array, metric: Metric, k: number) {
  const norm = (v: ArrayLike<number>, o: number) => { let s = 0; for (let i = 0; i < dim; i++) s += v[o + i] ** 2; return Math.sqrt(s); };
  const qn = norm(q, 0);
  const scored = Array.from({ length: n }, (_, r) => {
    let dot = 0, d2 = 0;
    for (let i = 0; i < dim; i++) { dot += rows[r * dim + i] * q[i]; d2 += (rows[r * dim + i] - q[i]) ** 2; }
    const score = metric === "cosine" ? dot / (norm(rows, r * dim) * qn) : metric === "dot" ? dot : d2;
    return { r, score };
  });
  scored.sort((a, b) => (a.score === b.score ? a.r - b.r : metric === "l2" ? a.score - b.score : b.score - a.score));
  return scored.slice(0, k);
}

describe.each(PATHS)("VectorIndex on %s", (path) => {
  it.each(["cosine", "dot", "l2"] as Metric[])("%s search returns the brute-force float64 top-k, single and batched", async (metric) => {
    const be = await backend(path);
    const [n, dim] = [1003, 37];
    const data = randomF32(n * dim, 7);
    const index = new VectorIndex(be, { dim, metric });
    index.add(data.subarray(0, 500 * dim));          // in chunks, with default ids 0..n-1
    index.add(data.subarray(500 * dim));
    expect(index.size).toBe(n);
    const queries = randomF32(9 * dim, 8);
    const batch = index.searchBatch(queries, 10);
    for (let qi = 0; qi < 9; qi++) {
      const q = queries.subarray(qi * dim, (qi + 1) * dim);
      const want = bruteForce(data, n, dim, q, metric, 10);
      const got = index.search(q, 10);
      expect(got.map((h) => h.id)).toEqual(want.map((w) => w.r));
      got.forEach((h, j) => expect(Math.abs(h.score - want[j].score)).toBeLessThan(1e-5 * (1 + Math.abs(want[j].score))));
      expect(batch[qi].map((h) => h.id)).toEqual(got.map((h) => h.id)); // batch equals single searches
    }
    index.dispose();
  });

  it("handles k = 0, k > size, an empty index, filters, strings ids, upsert, remove and get", async () => {
    const be = await backend(path);
    const index = new VectorIndex(be, { dim: 3 });
    expect(index.search([1, 0, 0], 5)).toEqual([]);
    index.add([[1, 0, 0], [0, 1, 0], [1, 1, 0]], ["x", "y", "xy"]);
    expect(index.search([1, 0, 0], 0)).toEqual([]);
    expect(index.search([1, 0, 0], 10).map((h) => h.id)).toEqual(["x", "xy", "y"]);
    expect(index.search([1, 0, 0], 10, { filter: (id) => id !== "x" }).map((h) => h.id)).toEqual(["xy", "y"]);
    expect(() => index.add([[1, 2, 3]], ["x"])).toThrow('add: id "x" is already in the index');
    index.add([[0, 0, 1]], ["x"], { upsert: true });
    expect(Array.from(index.get("x")!)).toEqual([0, 0, 1]);
    expect(index.remove(["y", "nope"])).toBe(1);
    expect(index.size).toBe(2);
    expect(index.search([0, 1, 0.01], 2).map((h) => h.id)).toEqual(["xy", "x"]);
    expect(index.get("y")).toBeUndefined();
    index.dispose();
  });

  it("selects exactly the brute-force top-k when scores tie massively", async () => {
    const be = await backend(path);
    const [n, dim] = [3001, 4];
    const data = randomF32(n * dim, 11).map((v) => Math.round(v)); // values in {-1, 0, 1}: few distinct scores
    const index = new VectorIndex(be, { dim, metric: "dot" });
    index.add(data);
    for (let t = 0; t < 20; t++) {
      const q = randomF32(dim, 100 + t).map((v) => Math.round(v * 2));
      for (const k of [1, 7, 25, 300]) {
        expect(index.search(q, k).map((h) => h.id)).toEqual(bruteForce(data, n, dim, q, "dot", k).map((w) => w.r));
      }
    }
  });

  it.each([["dot", "f32"], ["l2", "f32"], ["dot", "i8"]] as const)("%s, %s: a batch over 40,000 rows is scored in blocks and merged: equal to single searches and to brute force, ties and filters across blocks, scores memory O(queries · block)", async (metric, storage) => {
    const be = await backend(path);
    const [n, dim, nq, k] = [40000, 4, 64, 25];
    // integers in [-8, 8]: exact float32 scores, duplicate rows (and so ties) across blocks, and the best rows in every block
    const data = randomF32(n * dim, 21).map((v) => Math.round(v * 8));
    const index = new VectorIndex(be, { dim, metric, storage });
    index.add(data);
    const queries = randomF32(nq * dim, 22).map((v) => Math.round(v * 2));
    const filter = (id: string | number) => (id as number) % 3 !== 1;
    be.heap.resetPeak();
    const before = be.memoryStats().liveBytes;
    const batch = index.searchBatch(queries, k), filtered = index.searchBatch(queries, k, { filter });
    // the scores of a block (16384 rows per query), not of the whole table (40000)
    expect(be.memoryStats().peakBytes - before).toBeLessThan(nq * 20000 * 4);
    for (let r = 0; r < nq; r++) {
      const q = queries.subarray(r * dim, (r + 1) * dim);
      expect(batch[r]).toEqual(index.search(q, k)); // one query: the whole table in one block
      expect(filtered[r]).toEqual(index.search(q, k, { filter }));
      if (r < 6 && storage === "f32") { // (int8 scores are approximate: the batch must equal single searches, above)
        const want = bruteForce(data, n, dim, q, metric, n);
        expect(batch[r].map((h) => h.id)).toEqual(want.slice(0, k).map((w) => w.r));
        expect(filtered[r].map((h) => h.id)).toEqual(want.filter((w) => filter(w.r)).slice(0, k).map((w) => w.r));
      }
    }
    index.dispose();
  });

  it("answers a batch of 600 queries (past the 256 scored together) as single searches", async () => {
    const be = await backend(path);
    const [n, dim, nq] = [2000, 8, 600];
    const index = new VectorIndex(be, { dim });
    index.add(randomF32(n * dim, 31));
    const queries = randomF32(nq * dim, 32);
    const batch = index.searchBatch(queries, 5);
    expect(batch).toHaveLength(nq);
    for (let r = 0; r < nq; r++) {
      const single = index.search(queries.subarray(r * dim, (r + 1) * dim), 5); // a matrix-vector product: other rounding
      expect(batch[r].map((h) => h.id)).toEqual(single.map((h) => h.id));
      batch[r].forEach((h, j) => expect(Math.abs(h.score - single[j].score)).toBeLessThan(1e-6));
    }
    index.dispose();
  });

  it("the top-k merge kernel keeps exactly a float64 selection: NaN, ±Infinity, ties, every tail length, both orders, merged block by block", async () => {
    const be = await backend(path), kern = be.kernels, heap = be.heap, random = rng(41);
    // few distinct values (ties), NaN (never kept), ±Infinity, -0 against 0; a candidate at
    // every offset within a run of sixteen and every tail length; rows with a stride past n
    const pool = [0.5, -0.25, 0, -0, 1, NaN, Infinity, -Infinity, 2, 0.75];
    for (const largest of [true, false]) {
      for (const k of [1, 3, 10]) {
        for (const n of [...Array(34).keys(), 47, 64, 100]) { // every tail length, after no run of sixteen and after one
          const rows = 3, ld = n + 3, blocks = 3;
          const scores = Float32Array.from({ length: blocks * rows * ld }, () => (random() < 0.9 ? random() - 0.5 : pool[Math.floor(random() * pool.length)]));
          const sPtr = heap.alloc(Math.max(4, scores.length * 4)), iPtr = heap.alloc(rows * k * 4), oPtr = heap.alloc(rows * k * 4);
          new Int32Array(heap.memory.buffer, iPtr, rows * k).fill(-1);
          heap.f32(oPtr, rows * k).fill(largest ? -Infinity : Infinity);
          heap.f32(sPtr, scores.length).set(scores);
          for (let b = 0; b < blocks; b++) kern.topk_merge_f32(sPtr + b * rows * ld * 4, rows, n, ld, b * n, k, largest ? 1 : 0, iPtr, oPtr);
          const idx = Array.from(new Int32Array(heap.memory.buffer, iPtr, rows * k)), val = Array.from(heap.f32(oPtr, rows * k));
          for (let r = 0; r < rows; r++) {
            // the reference: every finite-or-infinite score that beats the padding, best first, ties to the lower index
            const offered: { i: number; v: number }[] = [];
            for (let b = 0; b < blocks; b++) for (let i = 0; i < n; i++) offered.push({ i: b * n + i, v: scores[(b * rows + r) * ld + i] });
            const want = offered.filter(({ v }) => (largest ? v > -Infinity : v < Infinity))
              .sort((a, c) => (a.v === c.v ? a.i - c.i : largest ? c.v - a.v : a.v - c.v)).slice(0, k);
            const what = `largest ${largest}, k ${k}, n ${n}, row ${r}`;
            expect(idx.slice(r * k, r * k + want.length), what).toEqual(want.map((w) => w.i));
            expect(val.slice(r * k, r * k + want.length), what).toEqual(want.map((w) => w.v));
            expect(idx.slice(r * k + want.length, (r + 1) * k), what).toEqual(Array(k - want.length).fill(-1));
          }
          for (const p of [sPtr, iPtr, oPtr]) heap.free(p);
        }
      }
    }
  });

  it("ties go to the earlier-added vector", async () => {
    const be = await backend(path);
    const index = new VectorIndex(be, { dim: 2, metric: "dot" });
    index.add([[1, 0], [0, 1], [1, 0], [1, 0]], ["a", "b", "c", "d"]);
    expect(index.search([1, 0], 3).map((h) => h.id)).toEqual(["a", "c", "d"]);
    index.remove(["a"]);
    expect(index.search([1, 0], 2).map((h) => h.id)).toEqual(["c", "d"]);
  });

  it("normalises rows whose float32 norm would overflow (values near 3e38) in float64", async () => {
    const be = await backend(path);
    const index = new VectorIndex(be, { dim: 3 });
    index.add([[3e38, -3e38, 1e38], [1, 2, 2]], ["huge", "small"]);
    const len = Math.hypot(3, 3, 1);
    expectClose(Array.from(index.get("huge")!), [3 / len, -3 / len, 1 / len], 1e-6, "huge row");
    expectClose(Array.from(index.get("small")!), [1 / 3, 2 / 3, 2 / 3], 1e-6, "small row");
  });

  it("adds a batch larger than its 4 MiB scratch block: every row normalised, a bad row in a later block named, nothing added", async () => {
    const be = await backend(path);
    const dim = 1536, n = 1500; // 682 rows a block: three blocks
    const data = randomF32(n * dim, 77);
    for (let c = 0; c < dim; c++) data[700 * dim + c] = (c % 2 ? -3e38 : 3e38) * (c < 4 ? 1 : 0.001); // overflows float32's sum of squares
    const index = new VectorIndex(be, { dim });
    const bad = data.slice();
    bad.fill(0, 1400 * dim, 1401 * dim);
    expect(() => index.add(bad)).toThrow("add: row 1400 is a zero vector");
    expect(index.size).toBe(0);
    index.add(data);
    expect(index.size).toBe(n);
    for (const r of [0, 681, 682, 700, 1364, 1499]) {
      const row = Array.from(data.subarray(r * dim, (r + 1) * dim)), len = Math.hypot(...row);
      expectClose(Array.from(index.get(r)!), row.map((v) => v / len), 1e-6, `row ${r}`);
    }
  });

  it("adds rows given as a view of backend memory even when adding grows that memory", async () => {
    const be = await createBackend(path); // fresh, small memory: the index's rows must grow it
    const [n, dim] = [3072, 1024]; // 12 MiB of rows; the index reserves 16 MiB more
    using T = be.tensor(randomF32(n * dim, 91), [n, dim]);
    const expected = T.toFloat32Array(), index = new VectorIndex(be, { dim, metric: "dot" });
    const bytesBefore = be.heap.memory.buffer.byteLength;
    index.add(be.heap.f32(T.ptr(), n * dim));
    expect(be.heap.memory.buffer.byteLength).toBeGreaterThan(bytesBefore); // the case under test happened
    for (const r of [0, 1500, n - 1]) expect(Array.from(index.get(r)!)).toEqual(Array.from(expected.subarray(r * dim, (r + 1) * dim)));
    index.dispose();
  });

  it("rejects bad vectors and queries with errors naming the row, and adds nothing", async () => {
    const be = await backend(path);
    const index = new VectorIndex(be, { dim: 3 });
    expect(() => index.add([[1, 2, 3], [0, 0, 0]])).toThrow("add: row 1 is a zero vector");
    expect(() => index.add([[1, 2, 3], [1, NaN, 3]])).toThrow("add: row 1 has a non-finite value (NaN) at column 1");
    expect(() => index.add(new Float32Array([1, 2, 3, 4, 5, 6, 7, -Infinity, 9]))).toThrow("add: row 2 has a non-finite value (-Infinity) at column 1");
    expect(() => index.add([[1, 2, 3], [1, 2]])).toThrow(ShapeError);
    expect(() => index.add([[1, 2, 3], [4, 5, 6]], ["a", "a"])).toThrow(InputError);
    expect(index.size).toBe(0);
    index.add([[1, 2, 3]]);
    expect(() => index.search([1, 2], 1)).toThrow(ShapeError);
    expect(() => index.search([1, Infinity, 2], 1)).toThrow("search: query 0 has a non-finite value (Infinity) at column 1");
    expect(() => index.search([1, 2, 3], -1)).toThrow(InputError);
  });

  it("round-trips through bytes and files with identical results; damaged files throw and load nothing", async () => {
    const be = await backend(path);
    const [n, dim] = [200, 16];
    const index = new VectorIndex(be, { dim, metric: "cosine" });
    index.add(randomF32(n * dim, 3), Array.from({ length: n }, (_, i) => (i % 2 ? `doc-${i}` : i)));
    const q = randomF32(dim, 4);
    const bytes = index.toBytes();
    const copy = VectorIndex.fromBytes(be, bytes);
    expect(copy.search(q, 20)).toEqual(index.search(q, 20));
    const dir = mkdtempSync(join(tmpdir(), "wasmla-"));
    try {
      const file = join(dir, "index.wvi");
      await index.save(file);
      expect(readdirSync(dir)).toEqual(["index.wvi"]); // no temporary left behind
      expect((await VectorIndex.load(be, file)).search(q, 20)).toEqual(index.search(q, 20));
      writeFileSync(file, bytes.subarray(0, bytes.length - 9));
      await expect(VectorIndex.load(be, file)).rejects.toThrow(FormatError);
      expect(existsSync(file)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true });
    }
    const v2 = Uint8Array.from(bytes);
    new DataView(v2.buffer).setUint32(8, 2, true);
    expect(() => VectorIndex.fromBytes(be, v2)).toThrow("unsupported version 2");
    const flipped = Uint8Array.from(bytes);
    flipped[bytes.length - 100] ^= 4;
    expect(() => VectorIndex.fromBytes(be, flipped)).toThrow(/checksum mismatch/);
  });
});

describe.each(PATHS)("int8 storage on %s", (path) => {
  it("the int8 scan kernel equals the integer dot product times the scales (odd row counts, several strides, query codes at the limit)", async () => {
    const be = await backend(path), k = be.kernels, limit = k.i8_query_limit();
    expect(limit).toBe(path === "wasm-relaxed-simd" ? 63 : 2047);
    const next = rng(9);
    // One query over 16+ rows goes by quarters; a batch four queries at a time over row pairs,
    // then the odd row and the last queries one by one.
    for (const [n, stride, nq] of [[1, 32, 1], [7, 64, 3], [515, 416, 2], [515, 416, 1], [18, 32, 1], [515, 416, 6], [8, 64, 4]]) {
      const codes = Int8Array.from({ length: n * stride }, () => Math.round(next() * 127));
      const q = Int16Array.from({ length: nq * stride }, () => Math.round(next() * limit));
      q[0] = limit; q[1] = -limit; // both ends of the range
      const sums = Int32Array.from({ length: n }, (_, i) => codes.subarray(i * stride, (i + 1) * stride).reduce((a, c) => a + c, 0));
      const scales = Float32Array.from({ length: n }, () => 0.01 + Math.abs(next()));
      const qScales = Float32Array.from({ length: nq }, () => 0.01 + Math.abs(next()));
      const h = be.heap;
      const [cp, qp, mp, qsp, op] = [n * stride, nq * stride * 2, n * 8, nq * 4, nq * n * 4].map((b) => h.alloc(b));
      const work = h.alloc(Math.max(1, k.i8_work_bytes(nq, stride)));
      new Int8Array(h.memory.buffer, cp, codes.length).set(codes);
      new Int16Array(h.memory.buffer, qp, q.length).set(q);
      const meta = h.f32(mp, 2 * n), metaSums = new Int32Array(h.memory.buffer, mp, 2 * n);
      for (let i = 0; i < n; i++) { meta[2 * i] = scales[i]; metaSums[2 * i + 1] = sums[i]; }
      h.f32(qsp, nq).set(qScales);
      k.dot_i8_rows(cp, stride, n, qp, nq, mp, qsp, op, n, work);
      const got = h.f32(op, nq * n).slice();
      expect(Array.from(new Int16Array(h.memory.buffer, qp, q.length))).toEqual(Array.from(q)); // the queries are left as they were
      for (let j = 0; j < nq; j++) {
        for (let i = 0; i < n; i++) {
          let dot = 0;
          for (let p = 0; p < stride; p++) dot += codes[i * stride + p] * q[j * stride + p];
          const want = dot * scales[i] * qScales[j];
          expect(Math.abs(got[j * n + i] - want)).toBeLessThanOrEqual(4 * EPS32 * Math.abs(want));
        }
      }
      for (const p of [cp, qp, mp, qsp, op, work]) h.free(p);
    }
  });

  it("the int8 scan stays exact over hundreds of calls, while V8 moves it from its baseline to its optimised code", async () => {
    // Node 20's baseline compiler doubles the fused relaxed dot-add: the scan checks it on its
    // first call and must agree with itself before and after tier-up, alone and in a batch.
    const be = await backend(path), k = be.kernels, h = be.heap, limit = k.i8_query_limit();
    const next = rng(31), [n, stride] = [4096, 384];
    const codes = Int8Array.from({ length: n * stride }, () => Math.round(next() * 127));
    const q = Int16Array.from({ length: 4 * stride }, () => Math.round(next() * limit));
    const [cp, qp, mp, qsp, op] = [n * stride, 4 * stride * 2, n * 8, 16, 4 * n * 4].map((b) => h.alloc(b));
    const work = h.alloc(Math.max(1, k.i8_work_bytes(4, stride)));
    new Int8Array(h.memory.buffer, cp, codes.length).set(codes);
    new Int16Array(h.memory.buffer, qp, q.length).set(q);
    const meta = h.f32(mp, 2 * n), sums = new Int32Array(h.memory.buffer, mp, 2 * n);
    for (let i = 0; i < n; i++) {
      meta[2 * i] = 1;
      sums[2 * i + 1] = codes.subarray(i * stride, (i + 1) * stride).reduce((a, c) => a + c, 0);
    }
    h.f32(qsp, 4).fill(1);
    const want = Float32Array.from({ length: 4 * n }, (_, x) => {
      const j = Math.floor(x / n), i = x % n;
      let dot = 0;
      for (let p = 0; p < stride; p++) dot += codes[i * stride + p] * q[j * stride + p];
      return dot;
    });
    const wrong: string[] = [];
    for (let call = 0; call < (path === "js" ? 2 : 300); call++) {
      const nq = call % 2 ? 4 : 1; // one query by quarters, four by pairs of rows
      k.dot_i8_rows(cp, stride, n, qp, nq, mp, qsp, op, n, work);
      const got = h.f32(op, nq * n);
      for (let x = 0; x < nq * n; x++) if (got[x] !== want[x]) { wrong.push(`call ${call}, query ${Math.floor(x / n)}, row ${x % n}: ${got[x]} ≠ ${want[x]}`); break; }
    }
    expect(wrong.slice(0, 3)).toEqual([]);
    for (const p of [cp, qp, mp, qsp, op, work]) h.free(p);
  });

  it.each(["cosine", "dot", "l2"] as Metric[])("%s: approximate scores within the quantisation bound; with rerank, the exact top-k", async (metric) => {
    const be = await backend(path);
    const [n, dim] = [1003, 37];
    const data = randomF32(n * dim, 21);
    const index = new VectorIndex(be, { dim, metric, storage: "i8", keepOriginals: true });
    index.add(data.subarray(0, 400 * dim));
    index.add(data.subarray(400 * dim));
    const queries = randomF32(6 * dim, 22);
    const batch = index.searchBatch(queries, 10), batchReranked = index.searchBatch(queries, 10, { rerank: 60 });
    for (let qi = 0; qi < 6; qi++) {
      const q = queries.subarray(qi * dim, (qi + 1) * dim);
      const want = bruteForce(data, n, dim, q, metric, n);
      const exact = new Map(want.map((w) => [w.r, w.score]));
      const scale = metric === "cosine" ? 1 : Math.max(...want.map((w) => Math.abs(w.score)));
      const got = index.search(q, 10);
      // every score is near the true score of its vector (codes carry ~7 bits plus sign)
      for (const h of got) expect(Math.abs(h.score - exact.get(h.id as number)!)).toBeLessThan(0.03 * scale);
      expect(batch[qi]).toEqual(got);
      const reranked = index.search(q, 10, { rerank: 60 });
      expect(reranked.map((h) => h.id)).toEqual(want.slice(0, 10).map((w) => w.r));
      reranked.forEach((h, j) => expect(Math.abs(h.score - want[j].score)).toBeLessThan(1e-5 * (1 + Math.abs(want[j].score))));
      expect(batchReranked[qi]).toEqual(reranked);
    }
    index.dispose();
  });

  it("takes a quarter of the memory of f32; get, remove, upsert and filters work; rerank without originals is a clear error", async () => {
    const be = await backend(path);
    const [n, dim] = [2048, 384];
    const data = randomF32(n * dim, 5);
    const grown = (storage: "f32" | "i8") => {
      const before = be.memoryStats().liveBytes;
      const index = new VectorIndex(be, { dim, storage });
      index.add(data);
      const bytes = be.memoryStats().liveBytes - before;
      index.dispose();
      return bytes;
    };
    expect(grown("i8") / grown("f32")).toBeLessThan(0.27);
    const index = new VectorIndex(be, { dim: 3, storage: "i8" });
    index.add([[1, 0, 0], [0, 1, 0], [1, 1, 0]], ["x", "y", "xy"]);
    expect(Array.from(index.get("xy")!).map((v) => +v.toFixed(2))).toEqual([0.71, 0.71, 0]); // dequantised
    expect(index.search([1, 0, 0], 10, { filter: (id) => id !== "x" }).map((h) => h.id)).toEqual(["xy", "y"]);
    index.add([[0, 0, 1]], ["x"], { upsert: true });
    expect(index.remove(["y"])).toBe(1);
    expect(index.search([0, 0.1, 1], 2).map((h) => h.id)).toEqual(["x", "xy"]);
    expect(() => index.search([1, 0, 0], 1, { rerank: 5 })).toThrow(/rerank needs "i8" storage with the float32 vectors kept/);
    expect(() => new VectorIndex(be, { dim: 3, keepOriginals: true })).toThrow(/keepOriginals applies to "i8" storage only/);
    index.dispose();
  });

  it.each([false, true])("round-trips through bytes with identical results (keepOriginals %s)", async (keepOriginals) => {
    const be = await backend(path);
    const [n, dim] = [300, 40];
    const index = new VectorIndex(be, { dim, metric: "l2", storage: "i8", keepOriginals });
    index.add(randomF32(n * dim, 13), Array.from({ length: n }, (_, i) => `v${i}`));
    index.remove(["v3", "v200"]);
    const copy = VectorIndex.fromBytes(be, index.toBytes());
    expect(copy.storage).toBe("i8");
    expect(copy.keepsOriginals).toBe(keepOriginals);
    const q = randomF32(dim, 14);
    expect(copy.search(q, 15)).toEqual(index.search(q, 15));
    if (keepOriginals) expect(copy.search(q, 15, { rerank: 40 })).toEqual(index.search(q, 15, { rerank: 40 }));
    expect(copy.get("v7")).toEqual(index.get("v7"));
    copy.dispose();
    index.dispose();
  });
});

describe("VectorIndex files under fuzzing", () => {
  it.each(["f32", "i8"] as const)("thousands of mutated %s files each load as a valid index or throw a FormatError", async (storage) => {
    const be = await backend("wasm-simd");
    const index = new VectorIndex(be, { dim: 8, metric: "l2", storage, keepOriginals: storage === "i8" });
    index.add(randomF32(40 * 8, 5), Array.from({ length: 40 }, (_, i) => `id${i}`));
    const good = index.toBytes();
    const next = rng(42);
    const before = be.memoryStats().liveBytes;
    let loaded = 0;
    for (let i = 0; i < 3000; i++) {
      const bytes = Uint8Array.from(good);
      const at = Math.floor(((next() + 1) / 2) * bytes.length);
      let input = bytes;
      if (i % 3 === 0) bytes[at] ^= 1 << (i % 8);
      else if (i % 3 === 1) input = bytes.subarray(0, at);
      else new DataView(bytes.buffer).setUint32(8 + 4 * (i % 5), Math.floor(((next() + 1) / 2) * 2 ** 32), true); // header fields
      try {
        const idx = VectorIndex.fromBytes(be, input);
        expect(idx.size).toBe(40);
        idx.dispose();
        loaded++;
      } catch (e) {
        if (!(e instanceof FormatError)) throw e;
        expect(e).toBeInstanceOf(WasmlaError);
      }
    }
    expect(be.memoryStats().liveBytes).toBe(before); // failures allocate nothing that stays
    expect(loaded).toBeLessThan(3000);
  });
});
