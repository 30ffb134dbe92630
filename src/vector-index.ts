import type { Backend, TensorLike } from "./backend";
import { FormatError, InputError, ShapeError } from "./errors";
import { crc32 } from "./checksum";
import { RowBuffer } from "./row-buffer";
import { formatShape } from "./shape";
import { Tensor } from "./tensor";

export type Metric = "cosine" | "dot" | "l2";
export type Storage = "f32" | "i8";
export type VectorId = string | number;

/** Options of a `VectorIndex`. */
export interface VectorIndexOptions {
  dim: number;
  /** cosine (vectors normalised on insert; score = cosine similarity, higher is better), dot (score =
   *  dot product, higher is better) or l2 (score = squared Euclidean distance, lower is better). */
  metric?: Metric;
  /** "f32" (default): exact scores. "i8": one byte per value and a scale per vector, a quarter of
   *  the memory and of the bytes a search reads; scores are approximate (see `rerank`). */
  storage?: Storage;
  /** "i8" only: also keep the float32 vectors (in JS memory, outside the WebAssembly heap) so a
   *  search can re-rank its candidates exactly with `{ rerank }`. Default false. */
  keepOriginals?: boolean;
}

/** One search hit. */
export interface SearchResult {
  id: VectorId;
  score: number;
}

/** Options of `search` and `searchBatch`. */
export interface SearchOptions {
  /** Only ids for which this returns true are candidates. */
  filter?: (id: VectorId) => boolean;
  /** "i8" storage with `keepOriginals`: take this many candidates by the int8 scores, then
   *  re-score them exactly in float32 and return the best k (scores are then exact). */
  rerank?: number;
}

const METRICS: readonly Metric[] = ["cosine", "dot", "l2"];
const STORAGES: readonly Storage[] = ["f32", "i8"];
const MAGIC = "WLAVIDX\0";
const VERSION = 1;
const HEADER_BYTES = 32;
const HAS_ORIGINALS = 1; // flag bit of header byte 18
/** Longest int8 vector: the scan's i32 sums of code products stay exact up to here (queries
 *  carry 12 bits, ±2047, or 7 on the relaxed build: kernels.i8_query_limit()). */
const I8_MAX_DIM = 32768;

/**
 * Embeddings in WASM memory with top-k search: scores by a matrix-vector product (one query) or
 * a matrix product (a batch) in float32, or by an int8 scan; top-k selection in the kernel. Ties
 * go to the earlier-added vector. Files: `toBytes()` / `VectorIndex.fromBytes()` everywhere,
 * `save()` / `VectorIndex.load()` in Node (atomic: temporary file, fsync, rename).
 */
export class VectorIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly storage: Storage;
  readonly backend: Backend;
  readonly #store: F32Store | I8Store;
  #ids: VectorId[] = [];
  #rows = new Map<VectorId, number>();
  #sqNorms: number[] = []; // l2 only: squared lengths of the stored vectors
  #nextId = 0;

  constructor(backend: Backend, options: VectorIndexOptions) {
    const { dim, metric = "cosine", storage = "f32", keepOriginals = false } = options;
    if (!Number.isInteger(dim) || dim < 1) throw new InputError(`VectorIndex: dim must be a positive integer, got ${dim}`);
    if (!METRICS.includes(metric)) throw new InputError(`VectorIndex: metric must be one of ${METRICS.join(", ")}, got ${JSON.stringify(metric)}`);
    if (!STORAGES.includes(storage)) throw new InputError(`VectorIndex: storage must be one of ${STORAGES.join(", ")}, got ${JSON.stringify(storage)}`);
    if (storage === "i8" && dim > I8_MAX_DIM) throw new InputError(`VectorIndex: "i8" storage supports dim up to ${I8_MAX_DIM}, got ${dim}`);
    if (keepOriginals && storage !== "i8") throw new InputError(`VectorIndex: keepOriginals applies to "i8" storage only (f32 storage holds the vectors themselves)`);
    this.backend = backend;
    this.dim = dim;
    this.metric = metric;
    this.storage = storage;
    this.#store = storage === "f32" ? new F32Store(backend, dim) : new I8Store(backend, dim, keepOriginals);
  }

  /** Number of vectors. */
  get size(): number {
    return this.#ids.length;
  }

  /** Whether the float32 vectors are kept, so `{ rerank }` is available ("i8" storage). */
  get keepsOriginals(): boolean {
    return this.#store instanceof I8Store && this.#store.originals !== undefined;
  }

  /**
   * Adds vectors ([n, dim] tensor, number[][], or a flat Float32Array of n·dim) under `ids`
   * (numbers or strings; by default consecutive integers). A non-finite value, a zero vector
   * (cosine), a wrong width or a duplicate id (unless `upsert`) throws, naming the row, and adds
   * nothing.
   */
  add(vectors: TensorLike, ids?: readonly VectorId[], { upsert = false }: { upsert?: boolean } = {}): void {
    const given = this.rowsOf("add", vectors, false), n = given.length / this.dim;
    const newIds = this.checkIds(ids, n, upsert);
    if (n === 0) return;
    const data = this.backend.heap.outside(given); // read across the allocations below
    // The backend's kernels check and normalise the rows (a pass of JS over 100k×384 floats
    // costs about 100 ms), a few MiB at a time through one scratch block in backend memory: a
    // pass to check them all, then, the index changing only now, a pass to normalise and store.
    const be = this.backend, heap = be.heap, dim = this.dim;
    const chunk = Math.max(1, Math.min(n, Math.floor(ADD_CHUNK_BYTES / (dim * 4))));
    const tmp = heap.alloc(chunk * dim * 4);
    const rowsIn = (r0: number) => { // rows r0… of data into tmp; returns how many
      const m = Math.min(chunk, n - r0);
      heap.f32(tmp, m * dim).set(data.subarray(r0 * dim, (r0 + m) * dim));
      return m;
    };
    try {
      const huge = new Set<number>(); // rows whose float32 norm overflows (values near 3e38): normalised in float64
      for (let r0 = 0; r0 < n; r0 += chunk) {
        const m = rowsIn(r0);
        for (let r = r0; r < r0 + m; r++) {
          const norm = be.kernels.norm_f32(tmp + (r - r0) * dim * 4, dim);
          if (!Number.isFinite(norm)) {
            checkRows("add", "row", data.subarray(r * dim, (r + 1) * dim), dim, this.metric, r); // throws, naming the value
            huge.add(r);
          }
          if (this.metric === "cosine" && norm === 0) throw new InputError(`add: row ${r} is a zero vector, which has no direction for cosine similarity`);
        }
      }
      const rows = this.placeRows(newIds);
      for (let r0 = 0; r0 < n; r0 += chunk) {
        const m = rowsIn(r0);
        if (this.metric === "cosine") {
          be.kernels.normalize_rows_f32(tmp, tmp, m, dim);
          for (let r = r0; r < r0 + m; r++) {
            if (!huge.has(r)) continue;
            const v = Float32Array.from(data.subarray(r * dim, (r + 1) * dim));
            normaliseInPlace(v);
            heap.f32(tmp + (r - r0) * dim * 4, dim).set(v);
          }
        }
        this.#store.writeRows(rows.slice(r0, r0 + m), heap.f32(tmp, m * dim));
      }
      this.updateNorms(rows);
    } finally {
      heap.free(tmp);
    }
  }

  /** The ids a batch of n vectors goes under, checked: strings or finite numbers, no duplicates. */
  private checkIds(ids: readonly VectorId[] | undefined, n: number, upsert: boolean): VectorId[] {
    let next = this.#nextId;
    const newIds = ids ? [...ids] : Array.from({ length: n }, () => next++);
    if (newIds.length !== n) throw new ShapeError(`add: ${n} vectors but ${newIds.length} ids`);
    const seen = new Set<VectorId>();
    newIds.forEach((id, i) => {
      if (!(typeof id === "string" || (typeof id === "number" && Number.isFinite(id)))) throw new InputError(`add: id at ${i} must be a string or a finite number, got ${String(id)}`);
      if (seen.has(id)) throw new InputError(`add: id ${JSON.stringify(id)} appears twice in this batch (rows ${newIds.indexOf(id)} and ${i})`);
      seen.add(id);
      if (!upsert && this.#rows.has(id)) throw new InputError(`add: id ${JSON.stringify(id)} is already in the index (pass { upsert: true } to replace it)`);
    });
    return newIds;
  }

  /** The row of each id: its current row, or a new one at the end (made room for). */
  private placeRows(newIds: VectorId[]): number[] {
    const fresh = newIds.filter((id) => !this.#rows.has(id)).length;
    this.#store.reserve(this.size + fresh, this.size);
    return newIds.map((id) => {
      let row = this.#rows.get(id);
      if (row === undefined) {
        row = this.#ids.length;
        this.#ids.push(id);
        this.#rows.set(id, row);
        if (typeof id === "number" && id >= this.#nextId) this.#nextId = Math.floor(id) + 1;
      }
      return row;
    });
  }

  /** l2 only: the squared lengths of the rows just written. */
  private updateNorms(rows: readonly number[]): void {
    if (this.metric === "l2") for (const r of rows) this.#sqNorms[r] = this.#store.sqNorm(r);
  }

  /** Removes vectors by id; returns how many were present. The rest keep their insertion order. */
  remove(ids: readonly VectorId[]): number {
    const rows = [...new Set(ids)].map((id) => this.#rows.get(id)).filter((r): r is number => r !== undefined).sort((a, b) => a - b);
    if (rows.length === 0) return 0;
    this.#store.compact(rows, this.size);
    const gone = new Set(rows);
    const keepRow = (_: unknown, r: number) => !gone.has(r);
    this.#ids = this.#ids.filter(keepRow);
    if (this.metric === "l2") this.#sqNorms = this.#sqNorms.filter(keepRow);
    this.#rows = new Map(this.#ids.map((id, r) => [id, r]));
    return rows.length;
  }

  /** A copy of the stored vector (normalised, for cosine; for "i8", the original if kept, else
   *  the dequantised codes), or undefined. */
  get(id: VectorId): Float32Array | undefined {
    const row = this.#rows.get(id);
    return row === undefined ? undefined : this.#store.read(row);
  }

  /** Whether an id is present. */
  has(id: VectorId): boolean {
    return this.#rows.has(id);
  }

  /** The k best matches of one query, best first (fewer if the index or the filter has fewer). */
  search(query: TensorLike, k: number, options: SearchOptions = {}): SearchResult[] {
    return this.query("search", query, k, options)[0];
  }

  /**
   * The k best matches of each query ([q, dim]); scores come from one matrix product (or one
   * blocked int8 scan), so a batch costs far less than its queries one by one.
   */
  searchBatch(queries: TensorLike, k: number, options: SearchOptions = {}): SearchResult[][] {
    return this.query("searchBatch", queries, k, options);
  }

  private query(op: string, queries: TensorLike, k: number, options: SearchOptions): SearchResult[][] {
    if (!Number.isInteger(k) || k < 0) throw new InputError(`${op}: k must be a non-negative integer, got ${k}`);
    const { filter, rerank = 0 } = options;
    if (!Number.isInteger(rerank) || rerank < 0) throw new InputError(`${op}: rerank must be a non-negative integer, got ${rerank}`);
    const originals = this.#store instanceof I8Store ? this.#store.originals : undefined;
    if (rerank > 0 && !originals) {
      throw new InputError(`${op}: rerank needs "i8" storage with the float32 vectors kept (new VectorIndex(backend, { storage: "i8", keepOriginals: true, ... }))`);
    }
    const q = this.rowsOf(op, queries);
    const nq = q.length / this.dim, n = this.size, dim = this.dim;
    checkRows(op, "query", q, dim, this.metric);
    if (this.metric === "cosine") for (let r = 0; r < nq; r++) normaliseInPlace(q.subarray(r * dim, (r + 1) * dim));
    const kk = Math.min(k, n), candidates = Math.min(n, Math.max(kk, rerank));
    if (kk === 0 || nq === 0) return Array.from({ length: nq }, () => []);
    const keep = filter ? this.#ids.map((id) => filter(id)) : undefined;
    const results: SearchResult[][] = [];
    for (let r0 = 0; r0 < nq; r0 += QUERY_BLOCK) {
      const rows = Math.min(QUERY_BLOCK, nq - r0);
      results.push(...this.best(q.subarray(r0 * dim, (r0 + rows) * dim), rows, kk, candidates, rerank, keep));
    }
    return results;
  }

  /**
   * The kk best rows for each of nq prepared queries (checked; normalised for cosine), from
   * `candidates` (≥ kk) by the store's scores, re-ranked exactly when `rerank`; `keep` marks
   * the rows a filter lets through.
   */
  private best(q: Float32Array, nq: number, kk: number, candidates: number, rerank: number, keep?: boolean[]): SearchResult[][] {
    const heap = this.backend.heap, largest = this.metric !== "l2", n = this.size, dim = this.dim;
    const originals = this.#store instanceof I8Store ? this.#store.originals : undefined;
    // The table is scored a block of rows at a time and each block merged into the running top-k
    // lists, so the scores take O(queries · block) memory, not O(queries · size).
    const block = Math.min(n, Math.max(SCORE_BLOCK_ROWS, Math.floor(SCORE_BLOCK_FLOATS / nq)));
    const scorer = this.#store.scorer(q, nq);
    let sPtr = 0, iPtr = 0, oPtr = 0;
    try {
      sPtr = heap.alloc(nq * block * 4);
      iPtr = heap.alloc(nq * candidates * 4);
      oPtr = heap.alloc(nq * candidates * 4);
      new Int32Array(heap.memory.buffer, iPtr, nq * candidates).fill(-1);
      heap.f32(oPtr, nq * candidates).fill(largest ? -Infinity : Infinity); // what every candidate must beat
      const qq = this.metric === "l2" ? Array.from({ length: nq }, (_, r) => sumSquares(q.subarray(r * dim, (r + 1) * dim))) : [];
      for (let first = 0; first < n; first += block) {
        const count = Math.min(block, n - first);
        scorer.score(first, count, sPtr); // scores[r·count + i] = query r · row first + i
        if (this.metric === "l2" || keep) {
          const scores = heap.f32(sPtr, nq * count);
          for (let r = 0; r < nq; r++) {
            const s = scores.subarray(r * count, (r + 1) * count);
            if (this.metric === "l2") for (let i = 0; i < count; i++) s[i] = Math.max(0, this.#sqNorms[first + i] - 2 * s[i] + qq[r]);
            if (keep) for (let i = 0; i < count; i++) if (!keep[first + i]) s[i] = NaN; // never a candidate
          }
        }
        this.backend.kernels.topk_merge_f32(sPtr, nq, count, count, first, candidates, largest ? 1 : 0, iPtr, oPtr);
      }
      const idx = new Int32Array(heap.memory.buffer, iPtr, nq * candidates), val = heap.f32(oPtr, nq * candidates);
      return Array.from({ length: nq }, (_, r) => {
        let hits: { row: number; score: number }[] = [];
        for (let j = 0; j < candidates && idx[r * candidates + j] >= 0; j++) hits.push({ row: idx[r * candidates + j], score: val[r * candidates + j] });
        if (rerank > 0) {
          const qr = q.subarray(r * dim, (r + 1) * dim);
          hits = hits.map(({ row }) => ({ row, score: exactScore(this.metric, qr, originals!.subarray(row * dim, (row + 1) * dim)) }))
            .sort((a, b) => (a.score === b.score ? a.row - b.row : largest ? b.score - a.score : a.score - b.score));
        }
        return hits.slice(0, kk).map(({ row, score }) => ({ id: this.#ids[row], score }));
      });
    } finally {
      for (const p of [sPtr, iPtr, oPtr]) if (p) heap.free(p); // 0: never allocated
      scorer.dispose();
    }
  }

  /** The index as bytes: a versioned header, the ids, the vectors (or codes and scales) and a CRC-32. */
  toBytes(): Uint8Array {
    const ids = new TextEncoder().encode(JSON.stringify(this.#ids));
    const sections = [ids, ...this.#store.sections(this.size)];
    const total = HEADER_BYTES + sections.reduce((s, b) => s + align4(b.length), 0) + 4;
    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    out.set(new TextEncoder().encode(MAGIC), 0);
    dv.setUint32(8, VERSION, true);
    dv.setUint32(12, this.dim, true);
    dv.setUint8(16, METRICS.indexOf(this.metric));
    dv.setUint8(17, STORAGES.indexOf(this.storage));
    dv.setUint8(18, this.keepsOriginals ? HAS_ORIGINALS : 0);
    dv.setUint32(20, this.size, true);
    dv.setUint32(24, ids.length, true);
    let at = HEADER_BYTES;
    for (const b of sections) {
      out.set(b, at);
      at += align4(b.length);
    }
    dv.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
    return out;
  }

  /** An index from `toBytes()` output; a FormatError (and nothing allocated) if the bytes are damaged. */
  static fromBytes(backend: Backend, bytes: Uint8Array): VectorIndex {
    const fail = (why: string): never => { throw new FormatError(`VectorIndex: ${why}`); };
    if (bytes.length < HEADER_BYTES + 4) fail(`file is ${bytes.length} bytes, shorter than the ${HEADER_BYTES + 4}-byte minimum`);
    if (new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) fail("not a wasmla vector index (bad magic)");
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const version = dv.getUint32(8, true);
    if (version !== VERSION) fail(`unsupported version ${version} (this library reads version ${VERSION})`);
    const stored = dv.getUint32(bytes.length - 4, true), actual = crc32(bytes.subarray(0, bytes.length - 4));
    if (stored !== actual) fail(`checksum mismatch (stored ${hex(stored)}, computed ${hex(actual)}): the file is damaged or truncated`);
    const dim = dv.getUint32(12, true), metricCode = dv.getUint8(16), storageCode = dv.getUint8(17), flags = dv.getUint8(18);
    const count = dv.getUint32(20, true), idBytes = dv.getUint32(24, true);
    if (dim < 1) fail(`dim ${dim} is invalid`);
    if (metricCode >= METRICS.length) fail(`metric code ${metricCode} is unknown`);
    if (storageCode >= STORAGES.length) fail(`storage code ${storageCode} is unknown`);
    if (flags & ~HAS_ORIGINALS || (flags && storageCode === 0)) fail(`flags ${flags} are invalid for ${STORAGES[storageCode]} storage`);
    const storage = STORAGES[storageCode], keepOriginals = flags === HAS_ORIGINALS;
    const sizes = storage === "f32" ? [count * dim * 4] : [count * dim, count * 4, ...(keepOriginals ? [count * dim * 4] : [])];
    const expected = HEADER_BYTES + align4(idBytes) + sizes.reduce((s, b) => s + align4(b), 0) + 4;
    if (bytes.length !== expected) fail(`${count} vectors of dim ${dim} (${storage}) with ${idBytes} bytes of ids need ${expected} bytes, the file has ${bytes.length}`);
    let ids: unknown;
    try {
      ids = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + idBytes)));
    } catch {
      fail("the id list is not valid JSON");
    }
    if (!Array.isArray(ids) || ids.length !== count) fail(`the id list does not hold ${count} ids`);
    let at = HEADER_BYTES + align4(idBytes);
    const sections = sizes.map((size) => {
      const section = new Uint8Array(bytes.subarray(at, at + size)); // a copy, aligned (a Node Buffer's slice is a view)
      at += align4(size);
      return section;
    });
    const index = new VectorIndex(backend, { dim, metric: METRICS[metricCode], storage, keepOriginals });
    try {
      const rows = index.placeRows(index.checkIds(ids as VectorId[], count, false));
      index.#store.restore(sections, rows.length, index.metric);
      index.updateNorms(rows);
    } catch (e) {
      index.dispose();
      fail(`contents are invalid: ${(e as Error).message}`);
    }
    return index;
  }

  /** Writes the index to a file atomically (Node): a temporary file, fsync, then rename over `path`. */
  async save(path: string): Promise<void> {
    const { open, rename, unlink } = await import("node:fs/promises");
    const tmp = `${path}.tmp-${process.pid}-${Date.now().toString(36)}`;
    const file = await open(tmp, "w");
    try {
      await file.writeFile(this.toBytes());
      await file.sync();
    } catch (e) {
      await file.close();
      await unlink(tmp).catch(() => {});
      throw e;
    }
    await file.close();
    await rename(tmp, path);
  }

  /** Reads an index written by `save()` (Node). */
  static async load(backend: Backend, path: string): Promise<VectorIndex> {
    const { readFile } = await import("node:fs/promises");
    return VectorIndex.fromBytes(backend, await readFile(path));
  }

  /** Frees the index's memory. */
  dispose(): void {
    this.#store.dispose();
  }

  /** Rows of `dim` floats from any accepted input: a fresh copy, or (copy false) a Float32Array itself. */
  private rowsOf(op: string, x: TensorLike, copy = true): Float32Array {
    let data: Float32Array;
    if (x instanceof Tensor) {
      if (x.rank > 2 || (x.rank === 2 ? x.shape[1] : x.shape[0]) !== this.dim) {
        throw new ShapeError(`${op}: vectors ${formatShape(x.shape)} do not have dim ${this.dim}`);
      }
      data = x.toFloat32Array();
    } else if (x instanceof Float32Array || x instanceof Float64Array) {
      data = !copy && x instanceof Float32Array ? x : Float32Array.from(x);
    } else if (Array.isArray(x) && (x.length === 0 || Array.isArray(x[0]))) {
      const rows = x as readonly (readonly number[])[];
      data = new Float32Array(rows.length * this.dim);
      rows.forEach((row, r) => {
        if (!Array.isArray(row) || row.length !== this.dim) throw new ShapeError(`${op}: row ${r} has ${Array.isArray(row) ? row.length : "no"} values, dim is ${this.dim}`);
        data.set(row, r * this.dim);
      });
    } else if (Array.isArray(x)) {
      data = Float32Array.from(x as readonly number[]);
    } else {
      throw new InputError(`${op}: expected vectors as a tensor, number[][], or Float32Array`);
    }
    if (data.length % this.dim !== 0) throw new ShapeError(`${op}: ${data.length} values are not a whole number of ${this.dim}-dim vectors`);
    return data;
  }
}

/** Scores of a search's queries against a block of rows, from a store; `dispose` frees its memory. */
interface Scorer {
  /** scores[r·count + i] = query r · row first + i. */
  score(first: number, count: number, sPtr: number): void;
  dispose(): void;
}

/** Float32 rows in backend memory, scored by a matrix-vector or matrix product. */
class F32Store {
  readonly #matrix: RowBuffer; // [capacity, dim]

  constructor(readonly backend: Backend, readonly dim: number) {
    this.#matrix = new RowBuffer(backend, dim, 16);
  }

  reserve(needed: number, used: number): void {
    this.#matrix.reserve(needed, used);
  }

  private view(row: number): Float32Array {
    return this.backend.heap.f32(this.#matrix.ptr + row * this.dim * 4, this.dim);
  }

  write(row: number, v: Float32Array): void {
    this.view(row).set(v);
  }

  /** Row r of data into row rows[r], through one view of the matrix (a run of rows in one copy). */
  writeRows(rows: readonly number[], data: Float32Array): void {
    if (rows.length === 0) return;
    const dim = this.dim, m = this.backend.heap.f32(this.#matrix.ptr, this.#matrix.capacity * dim);
    if (rows.every((row, r) => row === rows[0] + r)) m.set(data, rows[0] * dim);
    else rows.forEach((row, r) => m.set(data.subarray(r * dim, (r + 1) * dim), row * dim));
  }

  read(row: number): Float32Array {
    return this.view(row).slice();
  }

  sqNorm(row: number): number {
    return sumSquares(this.view(row));
  }

  compact(removed: number[], size: number): void {
    compactRows(this.backend.heap.f32(this.#matrix.ptr, this.#matrix.capacity * this.dim), this.dim, removed, size);
  }

  /** Scores queries against blocks of rows: one GEMM per block for a batch, a matrix-vector product for one query. */
  scorer(q: Float32Array, nq: number): Scorer {
    const be = this.backend, heap = be.heap, kern = be.kernels, dim = this.dim;
    const qPtr = heap.alloc(q.length * 4);
    heap.f32(qPtr, q.length).set(q);
    return {
      score: (first, count, sPtr) => be.withWork(kern.matmul_work_bytes(nq, dim, count, 1), (work) =>
        kern.matmul_f32(qPtr, this.#matrix.ptr + first * dim * 4, sPtr, nq, dim, count, 1, 0, 0, work)),
      dispose: () => heap.free(qPtr),
    };
  }

  /** The file sections after the ids: the vectors. */
  sections(size: number): Uint8Array[] {
    return [new Uint8Array(this.backend.heap.f32(this.#matrix.ptr, size * this.dim).slice().buffer)];
  }

  /** Writes rows 0..count from `sections()` output, checking every value. */
  restore([vectors]: Uint8Array[], count: number, metric: Metric): void {
    const v = new Float32Array(vectors.buffer, vectors.byteOffset, count * this.dim);
    checkRows("load", "row", v, this.dim, metric);
    for (let r = 0; r < count; r++) this.write(r, v.subarray(r * this.dim, (r + 1) * this.dim));
  }

  dispose(): void {
    this.#matrix.dispose();
  }
}

/**
 * Int8 rows in backend memory: each vector as codes round(v/s) in [-127, 127] with s =
 * max|v|/127, rows padded with zeros to `stride` bytes (a multiple of 32) for the SIMD scan.
 * Queries are coded within ±kernels.i8_query_limit(): 12 bits (nearly all the error is the rows'),
 * or 7 on the relaxed build, whose dot instruction is exact only for 7-bit operands. Each row's
 * code sum is kept for that build's correction. The float32 vectors are optionally kept in JS
 * memory, read only to re-rank candidates.
 */
class I8Store {
  readonly stride: number;
  readonly #codes: RowBuffer; // [capacity, stride bytes]
  // [capacity, 2]: each row's scale (f32) and the sum of its codes (i32), side by side so the
  // scan reads them as one stream (two arrays made the relaxed build's scan 1.2× slower).
  readonly #meta: RowBuffer;
  #originals?: Float32Array; // [capacity, dim]

  constructor(readonly backend: Backend, readonly dim: number, keepOriginals: boolean) {
    this.stride = Math.ceil(dim / 32) * 32;
    this.#codes = new RowBuffer(backend, this.stride / 4, 16);
    this.#meta = new RowBuffer(backend, 2, 16);
    if (keepOriginals) this.#originals = new Float32Array(16 * dim);
  }

  get originals(): Float32Array | undefined {
    return this.#originals;
  }

  reserve(needed: number, used: number): void {
    this.#codes.reserve(needed, used);
    this.#meta.reserve(needed, used);
    const o = this.#originals;
    if (o && o.length < this.#codes.capacity * this.dim) {
      this.#originals = new Float32Array(this.#codes.capacity * this.dim);
      this.#originals.set(o.subarray(0, used * this.dim));
    }
  }

  private codeView(row: number): Int8Array {
    return new Int8Array(this.backend.heap.memory.buffer, this.#codes.ptr + row * this.stride, this.stride);
  }

  /** Row r's scale is at [2r] (its code sum, as i32 bits, at [2r + 1]). */
  private metaView(): Float32Array {
    return this.backend.heap.f32(this.#meta.ptr, 2 * this.#meta.capacity);
  }

  /** Row `row` := these codes (dim of them; the padding stays zero) and their sum. */
  private setCodes(row: number, codes: Int8Array): void {
    const view = this.codeView(row);
    view.fill(0);
    view.set(codes);
    let sum = 0;
    for (let i = 0; i < codes.length; i++) sum += codes[i];
    new Int32Array(this.backend.heap.memory.buffer, this.#meta.ptr + row * 8 + 4, 1)[0] = sum;
  }

  writeRows(rows: readonly number[], data: Float32Array): void {
    rows.forEach((row, r) => this.write(row, data.subarray(r * this.dim, (r + 1) * this.dim)));
  }

  write(row: number, v: Float32Array): void {
    const codes = new Int8Array(this.dim);
    this.metaView()[2 * row] = quantise(v, 127, codes);
    this.setCodes(row, codes);
    this.#originals?.set(v, row * this.dim);
  }

  read(row: number): Float32Array {
    if (this.#originals) return this.#originals.slice(row * this.dim, (row + 1) * this.dim);
    const codes = this.codeView(row), s = this.metaView()[2 * row];
    return Float32Array.from({ length: this.dim }, (_, i) => codes[i] * s);
  }

  /** Squared length of the dequantised vector: what the int8 scores measure distance to. */
  sqNorm(row: number): number {
    const codes = this.codeView(row), s = this.metaView()[2 * row];
    let ss = 0;
    for (let i = 0; i < this.dim; i++) ss += codes[i] * codes[i];
    return ss * s * s;
  }

  compact(removed: number[], size: number): void {
    const heap = this.backend.heap;
    compactRows(new Int8Array(heap.memory.buffer, this.#codes.ptr, this.#codes.capacity * this.stride), this.stride, removed, size);
    compactRows(this.metaView(), 2, removed, size);
    if (this.#originals) compactRows(this.#originals, this.dim, removed, size);
  }

  /** Scores queries against blocks of rows from int8 codes: one blocked pass over a block's rows for a batch. */
  scorer(q: Float32Array, nq: number): Scorer {
    const be = this.backend, heap = be.heap, kern = be.kernels, dim = this.dim, stride = this.stride;
    const codes = new Int16Array(nq * stride), qScales = new Float32Array(nq), limit = kern.i8_query_limit();
    for (let r = 0; r < nq; r++) qScales[r] = quantise(q.subarray(r * dim, (r + 1) * dim), limit, codes.subarray(r * stride, (r + 1) * stride));
    const qPtr = heap.alloc(nq * stride * 2);
    let qsPtr = 0;
    try {
      qsPtr = heap.alloc(nq * 4);
    } catch (e) {
      heap.free(qPtr);
      throw e;
    }
    new Int16Array(heap.memory.buffer, qPtr, nq * stride).set(codes);
    heap.f32(qsPtr, nq).set(qScales);
    return {
      score: (first, count, sPtr) => be.withWork(kern.i8_work_bytes(nq, stride), (work) => kern.dot_i8_rows(
        this.#codes.ptr + first * stride, stride, count, qPtr, nq, this.#meta.ptr + first * 8, qsPtr, sPtr, count, work)),
      dispose: () => { heap.free(qPtr); heap.free(qsPtr); },
    };
  }

  /** The file sections after the ids: codes (dim bytes per row), scales, and the vectors if kept. */
  sections(size: number): Uint8Array[] {
    const codes = new Uint8Array(size * this.dim);
    for (let r = 0; r < size; r++) codes.set(new Uint8Array(this.codeView(r).buffer, this.#codes.ptr + r * this.stride, this.dim), r * this.dim);
    const meta = this.metaView(), scales = new Uint8Array(Float32Array.from({ length: size }, (_, r) => meta[2 * r]).buffer);
    return this.#originals ? [codes, scales, new Uint8Array(this.#originals.slice(0, size * this.dim).buffer)] : [codes, scales];
  }

  /** Writes rows 0..count from `sections()` output, checking every value. */
  restore([codeBytes, scaleBytes, originalBytes]: Uint8Array[], count: number, metric: Metric): void {
    const codes = new Int8Array(codeBytes.buffer, codeBytes.byteOffset, count * this.dim);
    const scales = new Float32Array(scaleBytes.buffer, scaleBytes.byteOffset, count);
    const at = codes.indexOf(-128);
    if (at >= 0) throw new InputError(`row ${Math.floor(at / this.dim)} has code -128 at column ${at % this.dim} (codes are in [-127, 127])`);
    scales.forEach((s, r) => { if (!(Number.isFinite(s) && s >= 0)) throw new InputError(`row ${r} has scale ${s} (scales are finite and >= 0)`); });
    if (this.#originals) checkRows("load", "row", new Float32Array(originalBytes.buffer, originalBytes.byteOffset, count * this.dim), this.dim, metric);
    for (let r = 0; r < count; r++) this.setCodes(r, codes.subarray(r * this.dim, (r + 1) * this.dim));
    const meta = this.metaView();
    scales.forEach((s, r) => { meta[2 * r] = s; });
    if (this.#originals) this.#originals.set(new Float32Array(originalBytes.buffer, originalBytes.byteOffset, count * this.dim));
  }

  dispose(): void {
    this.#codes.dispose();
    this.#meta.dispose();
  }
}

/** Codes round(v/s) in [-limit, limit] written to `codes`; returns the scale s = max|v|/limit (0 for a zero vector). */
function quantise(v: Float32Array, limit: number, codes: Int8Array | Int16Array): number {
  let max = 0;
  for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]));
  const s = Math.fround(max / limit);
  if (s === 0) return 0;
  for (let i = 0; i < v.length; i++) codes[i] = Math.max(-limit, Math.min(limit, Math.round(v[i] / s)));
  return s;
}

/** Moves rows down over the removed ones (sorted), keeping order; rows past the new size are stale. */
function compactRows(view: Float32Array | Int8Array, width: number, removed: number[], size: number): void {
  let write = removed[0];
  for (let k = 0; k < removed.length; k++) {
    const from = removed[k] + 1, to = k + 1 < removed.length ? removed[k + 1] : size;
    view.copyWithin(write * width, from * width, to * width);
    write += to - from;
  }
}

/**
 * Refuses a row with a non-finite value, or (cosine) a zero row; `first` numbers the rows in the
 * message. A float64 sum of float32 squares is finite exactly when every value is, so only a
 * row that fails is searched for its culprit.
 */
function checkRows(op: string, what: string, data: Float32Array, dim: number, metric: Metric, first = 0): void {
  for (let r = 0; r * dim < data.length; r++) {
    let ss = 0;
    for (let i = r * dim; i < (r + 1) * dim; i++) ss += data[i] * data[i];
    if (!Number.isFinite(ss)) {
      const c = data.subarray(r * dim, (r + 1) * dim).findIndex((v) => !Number.isFinite(v));
      throw new InputError(`${op}: ${what} ${first + r} has a non-finite value (${data[r * dim + c]}) at column ${c}`);
    }
    if (metric === "cosine" && ss === 0) throw new InputError(`${op}: ${what} ${first + r} is a zero vector, which has no direction for cosine similarity`);
  }
}

/** The exact float64 score of a query against a stored vector (re-ranking). */
function exactScore(metric: Metric, q: Float32Array, x: Float32Array): number {
  let s = 0;
  if (metric === "l2") for (let i = 0; i < q.length; i++) s += (q[i] - x[i]) ** 2;
  else for (let i = 0; i < q.length; i++) s += q[i] * x[i];
  return s;
}

const align4 = (n: number) => Math.ceil(n / 4) * 4;

/** Queries a batch search scores together: a GEMM's worth (every block of the index is read
 *  once per QUERY_BLOCK queries), with the scores of a block bounded at 16 MiB. */
const QUERY_BLOCK = 256;
/** Rows a search scores per block: at least SCORE_BLOCK_ROWS (a batch's GEMM stays efficient),
 *  and up to SCORE_BLOCK_FLOATS scores per block (one query scans 256k rows in one pass). */
const SCORE_BLOCK_ROWS = 16384;
const SCORE_BLOCK_FLOATS = 1 << 18;

/** Size of add's scratch block: rows pass through it a few MiB at a time (cache-sized, and no second copy of a large batch in backend memory). */
const ADD_CHUNK_BYTES = 4 << 20;

function sumSquares(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
}

function normaliseInPlace(v: Float32Array): void {
  const inv = 1 / Math.sqrt(sumSquares(v));
  for (let i = 0; i < v.length; i++) v[i] *= inv;
}

const hex = (x: number) => `0x${x.toString(16).padStart(8, "0")}`;
