import type { Backend, TensorLike } from "./backend";
import { ShapeError } from "./errors";
import { formatShape } from "./shape";
import { RowBuffer } from "./row-buffer";
import type { Tensor } from "./tensor";

/** Options of a `KVCache`. */
export interface KVCacheOptions {
  /** Width of each key (the queries' width too). */
  keyDim: number;
  /** Width of each value; keyDim by default. */
  valueDim?: number;
  /** Positions to reserve before the first growth (it doubles when full). */
  capacity?: number;
}

/**
 * Keys and values of the positions seen so far, for incremental decoding: `append` one (or a
 * few) positions per step, `attend` with the new queries. Storage lives in backend memory and
 * doubles when full, so appending is amortised O(d) per position.
 */
export class KVCache {
  readonly keyDim: number;
  readonly valueDim: number;
  #length = 0;
  readonly #keys: RowBuffer;
  readonly #values: RowBuffer;

  constructor(readonly backend: Backend, options: KVCacheOptions) {
    this.keyDim = options.keyDim;
    this.valueDim = options.valueDim ?? options.keyDim;
    for (const [name, x] of [["keyDim", this.keyDim], ["valueDim", this.valueDim]] as const) {
      if (!Number.isInteger(x) || x < 1) throw new ShapeError(`KVCache: ${name} must be a positive integer, got ${x}`);
    }
    this.#keys = new RowBuffer(backend, this.keyDim, options.capacity ?? 64);
    this.#values = new RowBuffer(backend, this.valueDim, options.capacity ?? 64);
  }

  /** Positions stored. */
  get length(): number {
    return this.#length;
  }

  /** Appends t positions: keys [t, keyDim] (or one [keyDim]) and values [t, valueDim] (or [valueDim]). */
  append(keys: TensorLike, values: TensorLike): void {
    this.backend.run("KVCache.append", [keys, values], ([K, V]) => {
      const t = K.rank === 1 ? 1 : K.shape[0];
      const kw = K.rank === 1 ? K.shape[0] : K.shape[1], vw = V.rank === 1 ? V.shape[0] : V.shape[1];
      const tv = V.rank === 1 ? 1 : V.shape[0];
      if (K.rank > 2 || V.rank > 2 || kw !== this.keyDim || vw !== this.valueDim || t !== tv) {
        throw new ShapeError(`KVCache.append: keys ${formatShape(K.shape)} and values ${formatShape(V.shape)} must be ` +
          `[t,${this.keyDim}] and [t,${this.valueDim}] with the same t`);
      }
      this.#keys.reserve(this.#length + t, this.#length);
      this.#values.reserve(this.#length + t, this.#length);
      const heap = this.backend.heap;
      heap.f32(this.#keys.ptr + this.#length * this.keyDim * 4, t * this.keyDim).set(heap.f32(K.ptr(), K.size));
      heap.f32(this.#values.ptr + this.#length * this.valueDim * 4, t * this.valueDim).set(heap.f32(V.ptr(), V.size));
      this.#length += t;
    });
  }

  /**
   * Attention of queries [sq, keyDim] (or one [keyDim]) over the cached positions, the queries
   * being the last sq of them: causal by default, as in decoding.
   */
  attend(queries: TensorLike, { causal = true, scale }: { causal?: boolean; scale?: number } = {}): Tensor {
    const be = this.backend, sk = this.#length, d = this.keyDim, dv = this.valueDim;
    return be.run("KVCache.attend", [queries], ([Q]) => {
      const [sq, w] = Q.rank === 1 ? [1, Q.shape[0]] : Q.shape;
      if (Q.rank > 2 || w !== d) throw new ShapeError(`KVCache.attend: queries ${formatShape(Q.shape)} must be [sq,${d}]`);
      const s = scale ?? 1 / Math.sqrt(d);
      return be.withWork(be.kernels.attention_work_bytes(sq, sk, d, dv), (work) =>
        be.produce(Q.rank === 1 ? [dv] : [sq, dv], (out) => be.kernels.attention_f32(Q.ptr(), this.#keys.ptr, this.#values.ptr,
          out, sq, sk, d, dv, d, d, dv, dv, s, causal ? 1 : 0, 0, sk, work)));
    });
  }

  /** Frees the cache's memory. */
  dispose(): void {
    this.#keys.dispose();
    this.#values.dispose();
  }
}
