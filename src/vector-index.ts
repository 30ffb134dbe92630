import type { Backend, TensorLike } from "./backend";
import { FormatError, InputError, ShapeError } from "./errors";
import { RowBuffer } from "./row-buffer";
import { formatShape } from "./shape";
import { Tensor } from "./tensor";

export type Metric = "cosine" | "dot" | "l2";
export type VectorId = string | number;

/** Options of a `VectorIndex`. */
export interface VectorIndexOptions {
  dim: number;
  /** cosine (vectors normalised on insert; score = cosine similarity, higher is better), dot (score =
   *  dot product, higher is better) or l2 (score = squared Euclidean distance, lower is better). */
  metric?: Metric;
  /** Only "f32" for now. */
  storage?: "f32";
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
}

const METRICS: readonly Metric[] = ["cosine", "dot", "l2"];
const MAGIC = "WLAVIDX\0";
const VERSION = 1;
const HEADER_BYTES = 32;

/**
 * Embeddings in WASM memory with exact top-k search: scores by a matrix-vector product (one
 * query) or a matrix product (a batch), top-k selection in the kernel. Ties go to the
 * earlier-added vector. Files: `toBytes()` / `VectorIndex.fromBytes()` everywhere, `save()` /
 * `VectorIndex.load()` in Node (atomic: temporary file, fsync, rename).
 */
export class VectorIndex {
  readonly dim: number;
  readonly metric: Metric;
  readonly storage = "f32" as const;
  readonly backend: Backend;
  readonly #matrix: RowBuffer; // [capacity, dim]
  #ids: VectorId[] = [];
  #rows = new Map<VectorId, number>();
  #sqNorms: number[] = []; // l2 only
  #nextId = 0;

  constructor(backend: Backend, options: VectorIndexOptions) {
    const { dim, metric = "cosine", storage = "f32" } = options;
    if (!Number.isInteger(dim) || dim < 1) throw new InputError(`VectorIndex: dim must be a positive integer, got ${dim}`);
    if (!METRICS.includes(metric)) throw new InputError(`VectorIndex: metric must be one of ${METRICS.join(", ")}, got ${JSON.stringify(metric)}`);
    if (storage !== "f32") throw new InputError(`VectorIndex: storage ${JSON.stringify(storage)} is not supported (only "f32")`);
    this.backend = backend;
    this.dim = dim;
    this.metric = metric;
    this.#matrix = new RowBuffer(backend, dim, 16);
  }

  /** Number of vectors. */
  get size(): number {
    return this.#ids.length;
  }

  /**
   * Adds vectors ([n, dim] tensor, number[][], or a flat Float32Array of n·dim) under `ids`
   * (numbers or strings; by default consecutive integers). A non-finite value, a zero vector
   * (cosine), a wrong width or a duplicate id (unless `upsert`) throws, naming the row, and adds
   * nothing.
   */
  add(vectors: TensorLike, ids?: readonly VectorId[], { upsert = false }: { upsert?: boolean } = {}): void {
    this.insert(this.rowsOf("add", vectors), ids, upsert, true);
  }

  /** Checks everything, then writes; `normalise` is false only for vectors read back from a file. */
  private insert(data: Float32Array, ids: readonly VectorId[] | undefined, upsert: boolean, normalise: boolean): void {
    const n = data.length / this.dim;
    const newIds = ids ? [...ids] : Array.from({ length: n }, () => this.#nextId++);
    if (newIds.length !== n) throw new ShapeError(`add: ${n} vectors but ${newIds.length} ids`);
    const seen = new Set<VectorId>();
    newIds.forEach((id, i) => {
      if (!(typeof id === "string" || (typeof id === "number" && Number.isFinite(id)))) throw new InputError(`add: id at ${i} must be a string or a finite number, got ${String(id)}`);
      if (seen.has(id)) throw new InputError(`add: id ${JSON.stringify(id)} appears twice in this batch (rows ${newIds.indexOf(id)} and ${i})`);
      seen.add(id);
      if (!upsert && this.#rows.has(id)) throw new InputError(`add: id ${JSON.stringify(id)} is already in the index (pass { upsert: true } to replace it)`);
    });
    for (let r = 0; r < n; r++) {
      let ss = 0;
      for (let c = 0; c < this.dim; c++) {
        const v = data[r * this.dim + c];
        if (!Number.isFinite(v)) throw new InputError(`add: row ${r} has a non-finite value (${v}) at column ${c}`);
        ss += v * v;
      }
      if (this.metric === "cosine" && ss === 0) throw new InputError(`add: row ${r} is a zero vector, which has no direction for cosine similarity`);
    }
    // All checked: now write.
    const fresh = newIds.filter((id) => !this.#rows.has(id)).length;
    this.#matrix.reserve(this.size + fresh, this.size);
    const heap = this.backend.heap, dim = this.dim;
    newIds.forEach((id, r) => {
      let row = this.#rows.get(id);
      if (row === undefined) {
        row = this.#ids.length;
        this.#ids.push(id);
        this.#rows.set(id, row);
        if (typeof id === "number" && id >= this.#nextId) this.#nextId = Math.floor(id) + 1;
      }
      const dst = heap.f32(this.#matrix.ptr + row * dim * 4, dim);
      dst.set(data.subarray(r * dim, (r + 1) * dim));
      if (this.metric === "cosine" && normalise) normaliseInPlace(dst);
      if (this.metric === "l2") this.#sqNorms[row] = sumSquares(dst);
    });
  }

  /** Removes vectors by id; returns how many were present. The rest keep their insertion order. */
  remove(ids: readonly VectorId[]): number {
    const rows = [...new Set(ids)].map((id) => this.#rows.get(id)).filter((r): r is number => r !== undefined).sort((a, b) => a - b);
    if (rows.length === 0) return 0;
    const view = this.backend.heap.f32(this.#matrix.ptr, this.#matrix.capacity * this.dim), dim = this.dim;
    let write = rows[0];
    for (let k = 0; k < rows.length; k++) {
      const from = rows[k] + 1, to = k + 1 < rows.length ? rows[k + 1] : this.size;
      view.copyWithin(write * dim, from * dim, to * dim);
      write += to - from;
    }
    const gone = new Set(rows);
    const keepRow = (_: unknown, r: number) => !gone.has(r);
    this.#ids = this.#ids.filter(keepRow);
    if (this.metric === "l2") this.#sqNorms = this.#sqNorms.filter(keepRow);
    this.#rows = new Map(this.#ids.map((id, r) => [id, r]));
    return rows.length;
  }

  /** A copy of the stored vector (normalised, for cosine), or undefined. */
  get(id: VectorId): Float32Array | undefined {
    const row = this.#rows.get(id);
    return row === undefined ? undefined : this.backend.heap.f32(this.#matrix.ptr + row * this.dim * 4, this.dim).slice();
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
   * The k best matches of each query ([q, dim]); scores come from one matrix product, so a
   * batch costs far less than its queries one by one.
   */
  searchBatch(queries: TensorLike, k: number, options: SearchOptions = {}): SearchResult[][] {
    return this.query("searchBatch", queries, k, options);
  }

  private query(op: string, queries: TensorLike, k: number, options: SearchOptions): SearchResult[][] {
    if (!Number.isInteger(k) || k < 0) throw new InputError(`${op}: k must be a non-negative integer, got ${k}`);
    const q = this.rowsOf(op, queries);
    const nq = q.length / this.dim, n = this.size, dim = this.dim;
    for (let i = 0; i < q.length; i++) {
      if (!Number.isFinite(q[i])) throw new InputError(`${op}: query ${Math.floor(i / dim)} has a non-finite value (${q[i]}) at column ${i % dim}`);
    }
    if (this.metric === "cosine") {
      for (let r = 0; r < nq; r++) {
        const row = q.subarray(r * dim, (r + 1) * dim);
        if (sumSquares(row) === 0) throw new InputError(`${op}: query ${r} is a zero vector, which has no direction for cosine similarity`);
        normaliseInPlace(row);
      }
    }
    const kk = Math.min(k, n);
    if (kk === 0 || nq === 0) return Array.from({ length: nq }, () => []);
    const be = this.backend, heap = be.heap, kern = be.kernels;
    const qPtr = heap.alloc(q.length * 4), sPtr = heap.alloc(nq * n * 4);
    const iPtr = heap.alloc(nq * kk * 4), oPtr = heap.alloc(nq * kk * 4);
    try {
      heap.f32(qPtr, q.length).set(q);
      // scores[r, i] = query r · row i: one GEMM for a batch, a matrix-vector product for one
      be.withWork(kern.matmul_work_bytes(nq, dim, n), (work) =>
        kern.matmul_f32(qPtr, this.#matrix.ptr, sPtr, nq, dim, n, 1, 0, 0, work));
      const scores = heap.f32(sPtr, nq * n);
      if (this.metric === "l2") {
        for (let r = 0; r < nq; r++) {
          const qq = sumSquares(q.subarray(r * dim, (r + 1) * dim));
          for (let i = 0; i < n; i++) scores[r * n + i] = Math.max(0, this.#sqNorms[i] - 2 * scores[r * n + i] + qq);
        }
      }
      if (options.filter) {
        const drop = this.metric === "l2" ? Infinity : -Infinity;
        this.#ids.forEach((id, i) => { if (!options.filter!(id)) for (let r = 0; r < nq; r++) scores[r * n + i] = drop; });
      }
      kern.topk_f32(sPtr, nq, n, n, kk, this.metric === "l2" ? 0 : 1, iPtr, oPtr);
      const idx = new Int32Array(heap.memory.buffer, iPtr, nq * kk), val = heap.f32(oPtr, nq * kk);
      const excluded = options.filter ? (this.metric === "l2" ? Infinity : -Infinity) : NaN;
      return Array.from({ length: nq }, (_, r) => {
        const out: SearchResult[] = [];
        for (let j = 0; j < kk; j++) {
          const i = idx[r * kk + j];
          if (i < 0 || val[r * kk + j] === excluded) break;
          out.push({ id: this.#ids[i], score: val[r * kk + j] });
        }
        return out;
      });
    } finally {
      for (const p of [qPtr, sPtr, iPtr, oPtr]) heap.free(p);
    }
  }

  /** The index as bytes: a versioned header, the ids, the vectors and a CRC-32. */
  toBytes(): Uint8Array {
    const ids = new TextEncoder().encode(JSON.stringify(this.#ids));
    const pad = (4 - (ids.length % 4)) % 4;
    const vecBytes = this.size * this.dim * 4;
    const out = new Uint8Array(HEADER_BYTES + ids.length + pad + vecBytes + 4);
    const dv = new DataView(out.buffer);
    out.set(new TextEncoder().encode(MAGIC), 0);
    dv.setUint32(8, VERSION, true);
    dv.setUint32(12, this.dim, true);
    dv.setUint8(16, METRICS.indexOf(this.metric));
    dv.setUint8(17, 0); // storage: f32
    dv.setUint32(20, this.size, true);
    dv.setUint32(24, ids.length, true);
    out.set(ids, HEADER_BYTES);
    const vectors = this.backend.heap.f32(this.#matrix.ptr, this.size * this.dim);
    out.set(new Uint8Array(vectors.buffer, vectors.byteOffset, vecBytes), HEADER_BYTES + ids.length + pad);
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
    const dim = dv.getUint32(12, true), metricCode = dv.getUint8(16), storage = dv.getUint8(17);
    const count = dv.getUint32(20, true), idBytes = dv.getUint32(24, true);
    if (dim < 1) fail(`dim ${dim} is invalid`);
    if (metricCode >= METRICS.length) fail(`metric code ${metricCode} is unknown`);
    if (storage !== 0) fail(`storage code ${storage} is unknown`);
    const pad = (4 - (idBytes % 4)) % 4;
    const expected = HEADER_BYTES + idBytes + pad + count * dim * 4 + 4;
    if (bytes.length !== expected) fail(`${count} vectors of dim ${dim} with ${idBytes} bytes of ids need ${expected} bytes, the file has ${bytes.length}`);
    let ids: unknown;
    try {
      ids = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + idBytes)));
    } catch {
      fail("the id list is not valid JSON");
    }
    if (!Array.isArray(ids) || ids.length !== count) fail(`the id list does not hold ${count} ids`);
    const start = HEADER_BYTES + idBytes + pad;
    const vectors = new Float32Array(count * dim);
    for (let i = 0; i < vectors.length; i++) vectors[i] = dv.getFloat32(start + 4 * i, true);
    const index = new VectorIndex(backend, { dim, metric: METRICS[metricCode] });
    try {
      index.insert(vectors, ids as VectorId[], false, false); // re-validates every id and value
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
    this.#matrix.dispose();
  }

  /** Rows of `dim` floats from any accepted input (a fresh copy). */
  private rowsOf(op: string, x: TensorLike): Float32Array {
    let data: Float32Array;
    if (x instanceof Tensor) {
      if (x.rank > 2 || (x.rank === 2 ? x.shape[1] : x.shape[0]) !== this.dim) {
        throw new ShapeError(`${op}: vectors ${formatShape(x.shape)} do not have dim ${this.dim}`);
      }
      data = x.toFloat32Array();
    } else if (x instanceof Float32Array || x instanceof Float64Array) {
      data = Float32Array.from(x);
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

function sumSquares(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  return s;
}

function normaliseInPlace(v: Float32Array): void {
  const inv = 1 / Math.sqrt(sumSquares(v));
  for (let i = 0; i < v.length; i++) v[i] *= inv;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE), as zlib computes it. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const hex = (x: number) => `0x${x.toString(16).padStart(8, "0")}`;
