import { activationCode, type Activation } from "./activation";
import { BackendError, InputError, LengthError, ShapeError } from "./errors";
import { BinaryOp, type BinaryOpName, type GrowableMemory, type Kernels, type Probes } from "./kernels";
import { Heap, type MemoryStats } from "./memory";
import { asMatrix, broadcastShapes, broadcastStrides, formatShape, sameDims } from "./shape";
import { Tensor } from "./tensor";

/** The paths, fastest first. */
export type BackendName = "wasm-relaxed-simd" | "wasm-simd" | "js";
export const BACKEND_NAMES: readonly BackendName[] = ["wasm-relaxed-simd", "wasm-simd", "js"];

/** Data a tensor can be made from: a number (0-D), `number[]` (1-D), `number[][]` (2-D), or a typed array. */
export type TensorData = number | readonly number[] | readonly (readonly number[])[] | Float32Array | Float64Array;
/** What the operations accept: a tensor of this backend, or data that is copied in for the call. */
export type TensorLike = Tensor | TensorData;

/** Options of `attention`. */
export interface AttentionOptions {
  /** Query i sees keys j ≤ i + (sk − sq) only (the queries are the last sq positions). */
  causal?: boolean;
  /** Additive [sq, sk] mask: 0 to keep, -Infinity to block (or any bias). */
  mask?: TensorLike;
  /** Factor on Q·Kᵀ; 1/√d by default. */
  scale?: number;
}

/** The weights of `projections` for multi-head attention, each [in, out] like `dense`. */
export interface AttentionWeights {
  wq: TensorLike; wk: TensorLike; wv: TensorLike; wo: TensorLike;
  bq?: TensorLike | null; bk?: TensorLike | null; bv?: TensorLike | null; bo?: TensorLike | null;
}

/** Options of `multiHeadAttention`. */
export interface MultiHeadOptions extends AttentionOptions {
  /** Number of heads; the projected width must divide by it. */
  heads: number;
  /** Keys and values come from this sequence instead of x (cross-attention). */
  context?: TensorLike;
}

/** Options of `matmul`. */
export interface MatmulOptions {
  /** Multiply by Bᵀ: B is given as [n, k] (the layout of keys in attention and of an embedding table). */
  transposeB?: boolean;
}

/**
 * One computation path (`wasm-relaxed-simd`, `wasm-simd` or `js`) with its own memory. All
 * operations check shapes before allocating anything, so a failed call leaves the backend as it
 * was. Get one with `init()` (the default) or `createBackend(name)`.
 */
export class Backend {
  /** @internal */
  readonly heap: Heap;

  /** @internal Backends are made by `createBackend()`. */
  constructor(
    /** Which path this is. */
    readonly name: BackendName,
    memory: GrowableMemory,
    heapBase: number,
    /** @internal The raw kernels (pointer-level). */
    readonly kernels: Kernels,
    /** @internal Ceiling probes (WebAssembly paths only), for the benchmark. */
    readonly probes?: Probes,
  ) {
    this.heap = new Heap(memory, heapBase);
  }

  /** Live, peak and capacity bytes of this backend's memory. */
  memoryStats(): MemoryStats {
    return this.heap.stats();
  }

  /** @internal Frees a tensor's block (called by Tensor.dispose and the finalizer). */
  release(ptr: number): void {
    this.heap.free(ptr);
  }

  // ---- creation ----------------------------------------------------------------------------

  /**
   * A tensor in this backend's memory, copied from `data`. The shape comes from the nesting of
   * `data`, or from `shape` for flat data (`Float32Array` + `[rows, cols]`). Float64 input is
   * rounded to float32.
   */
  tensor(data: TensorData, shape?: readonly number[]): Tensor {
    return this.fromData(data, shape, false);
  }

  /** Copies data in; `transient` tensors are freed by the caller within the same call. */
  private fromData(data: TensorData, shape: readonly number[] | undefined, transient: boolean): Tensor {
    const op = "tensor";
    if (typeof data === "number") {
      const s = shape ?? [];
      checkShape(op, s);
      if (sizeOf(s) !== 1) throw new LengthError(`${op}: shape ${formatShape(s)} needs ${sizeOf(s)} values, got 1`);
      return this.fill(s, (v) => { v[0] = data; }, transient);
    }
    if (ArrayBuffer.isView(data)) {
      if (!(data instanceof Float32Array || data instanceof Float64Array)) {
        throw new InputError(`${op}: typed arrays must be Float32Array or Float64Array, got ${(data as object).constructor.name}`);
      }
      const s = shape ?? [data.length];
      checkShape(op, s);
      if (sizeOf(s) !== data.length) {
        throw new LengthError(`${op}: shape ${formatShape(s)} needs ${sizeOf(s)} values, got ${data.length}`);
      }
      const source = this.heap.outside(data); // read after the allocation
      return this.fill(s, (v) => v.set(source), transient);
    }
    if (!Array.isArray(data)) throw new InputError(`${op}: expected a number, an array or a Float32Array, got ${describe(data)}`);
    if (data.length > 0 && Array.isArray(data[0])) return this.fromRows(op, data as readonly (readonly number[])[], shape, transient);
    const flat = data as readonly number[];
    const s = shape ?? [flat.length];
    checkShape(op, s);
    if (sizeOf(s) !== flat.length) throw new LengthError(`${op}: shape ${formatShape(s)} needs ${sizeOf(s)} values, got ${flat.length}`);
    for (let i = 0; i < flat.length; i++) {
      if (typeof flat[i] !== "number") throw new InputError(`${op}: element [${i}] is ${describe(flat[i])}, not a number`);
    }
    return this.fill(s, (v) => v.set(flat), transient);
  }

  /** A tensor of zeros. */
  zeros(shape: readonly number[]): Tensor {
    checkShape("zeros", shape);
    return this.fill(shape, (v) => v.fill(0));
  }

  private fromRows(op: string, rows: readonly (readonly number[])[], shape: readonly number[] | undefined, transient: boolean): Tensor {
    const cols = rows[0].length;
    rows.forEach((row, i) => {
      if (!Array.isArray(row)) throw new InputError(`${op}: row ${i} is ${describe(row)}, not an array`);
      if (row.length !== cols) throw new LengthError(`${op}: row ${i} has ${row.length} values, row 0 has ${cols}`);
      for (let j = 0; j < cols; j++) {
        if (typeof row[j] !== "number") throw new InputError(`${op}: element [${i}][${j}] is ${describe(row[j])}, not a number`);
      }
    });
    const s = [rows.length, cols];
    if (shape && !sameDims(shape, s)) {
      throw new ShapeError(`${op}: data has shape ${formatShape(s)} but shape ${formatShape(shape)} was given`);
    }
    return this.fill(s, (v) => rows.forEach((row, i) => v.set(row, i * cols)), transient);
  }

  /** Allocates a tensor and lets `init` write its data through a fresh view. */
  private fill(shape: readonly number[], init: (view: Float32Array) => void, transient = false): Tensor {
    return this.produce(shape, (ptr, size) => init(this.heap.f32(ptr, size)), transient);
  }

  /** @internal Allocates an output, runs `write` on it, and frees it again if `write` throws. */
  produce(shape: readonly number[], write: (ptr: number, size: number) => void, transient = false): Tensor {
    const size = sizeOf(shape);
    const ptr = this.heap.alloc(size * 4);
    try {
      write(ptr, size);
    } catch (err) {
      this.heap.free(ptr);
      throw err;
    }
    return new Tensor(this, shape, ptr, transient);
  }

  /**
   * Runs `body` on the inputs as tensors of this backend: data is copied into temporary tensors,
   * freed when `body` returns or throws; a disposed tensor or one of another backend is an error.
   */
  /** @internal (for the layer and cache helpers) */
  run<R>(op: string, inputs: TensorLike[], body: (ts: Tensor[]) => R): R {
    const temps: Tensor[] = [];
    try {
      const ts = inputs.map((x, i) => {
        if (x instanceof Tensor) {
          if (x.backend !== this) {
            throw new BackendError(`${op}: argument ${i + 1} lives on backend '${x.backend.name}', ` +
              `the operation runs on '${this.name}' (copy it with t.copyTo(backend))`);
          }
          x.ptr(op); // throws DisposedError
          return x;
        }
        const t = this.fromData(x, undefined, true);
        temps.push(t);
        return t;
      });
      return body(ts);
    } finally {
      for (const t of temps) t.dispose();
    }
  }

  // ---- products ----------------------------------------------------------------------------

  /**
   * Matrix product with numpy's rules: [m,k]·[k,n] → [m,n]; a vector on the left is a row
   * ([k]·[k,n] → [n]), on the right a column ([m,k]·[k] → [m]); two vectors give a 0-D tensor.
   * With `transposeB`, B is [n,k] and the product is A·Bᵀ.
   */
  matmul(a: TensorLike, b: TensorLike, options: MatmulOptions = {}): Tensor {
    return this.run("matmul", [a, b], ([A, B]) => this.product("matmul", A, B, !!options.transposeB, undefined, 0));
  }

  /**
   * A dense layer: `activation(x·W + bias)` for x [batch, in] (or [in]), W [in, out], bias [out]
   * or null. The bias is added in the product's final write and the activation applied to each
   * output tile while it is still in cache: no second pass over the output.
   */
  dense(x: TensorLike, weights: TensorLike, bias?: TensorLike | null, activation: Activation = "identity"): Tensor {
    const act = activationCode("dense", activation);
    const inputs = bias == null ? [x, weights] : [x, weights, bias];
    return this.run("dense", inputs, ([X, W, b]) => {
      if (W.rank !== 2) throw new ShapeError(`dense: weights must be [in, out], got ${formatShape(W.shape)}`);
      return this.product("dense", X, W, false, b, act);
    });
  }

  /** An activation applied elementwise: relu, gelu (erf), gelu_tanh, silu, sigmoid, tanh or identity. */
  activate(a: TensorLike, activation: Activation): Tensor {
    const act = activationCode("activate", activation);
    return this.run("activate", [a], ([A]) => this.produce(A.shape, (out) => this.kernels.activate_f32(act, A.ptr(), out, A.size)));
  }

  private product(op: string, A: Tensor, B: Tensor, transB: boolean, bias: Tensor | undefined, act: number): Tensor {
    // built only for an error: formatting it on every call was a tenth of a small product's time
    const sign = () => `${formatShape(A.shape)} @ ${formatShape(B.shape)}${transB ? "ᵀ" : ""}`;
    if (A.rank === 0 || B.rank === 0) throw new ShapeError(`${op}: ${sign()}: scalar operands are not allowed (use scale)`);
    const [m, k] = A.rank === 1 ? [1, A.shape[0]] : A.shape;
    const [kb, n] = B.rank === 1 ? [B.shape[0], 1] : transB ? [B.shape[1], B.shape[0]] : B.shape;
    if (k !== kb) throw new ShapeError(`${op}: ${sign()}: inner dimensions ${k} and ${kb} differ`);
    if (bias && (bias.rank !== 1 || bias.shape[0] !== n)) {
      throw new ShapeError(`${op}: bias ${formatShape(bias.shape)} does not match the output width ${n} of ${sign()}`);
    }
    const shape = A.rank === 1 ? (B.rank === 1 ? [] : [n]) : B.rank === 1 ? [m] : [m, n];
    const tB = transB && B.rank === 2 ? 1 : 0;
    return this.withWork(this.kernels.matmul_work_bytes(m, k, n, tB), (work) => this.produce(shape, (c) =>
      this.kernels.matmul_f32(A.ptr(), B.ptr(), c, m, k, n, tB, bias ? bias.ptr() : 0, act, work)));
  }

  /** The transpose of a matrix ([m,n] → [n,m]); vectors and scalars are copied unchanged. */
  transpose(a: TensorLike): Tensor {
    return this.run("transpose", [a], ([A]) => {
      const [m, n] = asMatrix(A.shape);
      const shape = A.rank === 2 ? [n, m] : A.shape;
      return this.produce(shape, (out) => this.kernels.transpose_f32(A.ptr(), out, m, n));
    });
  }

  // ---- elementwise -------------------------------------------------------------------------

  /** a + b, elementwise, with numpy broadcasting (e.g. a bias [n] over the rows of [m,n]). */
  add(a: TensorLike, b: TensorLike): Tensor { return this.binary("add", a, b); }
  /** a − b, elementwise, with numpy broadcasting. */
  sub(a: TensorLike, b: TensorLike): Tensor { return this.binary("sub", a, b); }
  /** a · b, elementwise (Hadamard), with numpy broadcasting. */
  mul(a: TensorLike, b: TensorLike): Tensor { return this.binary("mul", a, b); }
  /** a / b, elementwise, with numpy broadcasting. */
  div(a: TensorLike, b: TensorLike): Tensor { return this.binary("div", a, b); }

  private binary(op: BinaryOpName, a: TensorLike, b: TensorLike): Tensor {
    return this.run(op, [a, b], ([A, B]) => {
      const shape = broadcastShapes(op, A.shape, B.shape);
      const [rows, cols] = asMatrix(shape);
      const [aRS, aCS] = broadcastStrides(A.shape);
      const [bRS, bCS] = broadcastStrides(B.shape);
      return this.produce(shape, (out) =>
        this.kernels.binary_f32(BinaryOp[op], A.ptr(), aRS, aCS, B.ptr(), bRS, bCS, out, rows, cols));
    });
  }

  /** a · s for a number s. */
  scale(a: TensorLike, s: number): Tensor {
    checkNumber("scale", "factor", s);
    return this.run("scale", [a], ([A]) => this.produce(A.shape, (out) => this.kernels.scale_f32(A.ptr(), s, out, A.size)));
  }

  /** alpha·x + y (BLAS axpy) for x and y of the same shape. */
  axpy(alpha: number, x: TensorLike, y: TensorLike): Tensor {
    checkNumber("axpy", "alpha", alpha);
    return this.run("axpy", [x, y], ([X, Y]) => {
      sameShape("axpy", X, Y);
      return this.produce(X.shape, (out) => this.kernels.axpy_f32(alpha, X.ptr(), Y.ptr(), out, X.size));
    });
  }

  // ---- reductions --------------------------------------------------------------------------

  /** The dot product of two vectors of equal length. */
  dot(a: TensorLike, b: TensorLike): number {
    // Resident tensors skip run()'s bookkeeping: a 1536-long dot is ~300 ns, so it shows.
    if (a instanceof Tensor && b instanceof Tensor && a.backend === this && b.backend === this) {
      vectorPair("dot", a, b);
      return this.kernels.dot_f32(a.ptr("dot"), b.ptr("dot"), a.size);
    }
    return this.typedVectors([a, b], ([pa, pb], n) => this.kernels.dot_f32(pa, pb, n))
      ?? this.run("dot", [a, b], ([A, B]) => this.dot(A, B));
  }

  /** The Euclidean (L2) norm: of a vector, or of all entries (Frobenius) of a matrix. */
  norm(a: TensorLike): number {
    if (a instanceof Tensor && a.backend === this) return this.kernels.norm_f32(a.ptr("norm"), a.size);
    return this.typedVectors([a], ([pa], n) => this.kernels.norm_f32(pa, n))
      ?? this.run("norm", [a], ([A]) => this.norm(A));
  }

  /**
   * The fast path of the scalar reductions for typed arrays of one length: they are copied side
   * by side into one block, freed on return, with no tensors made (their bookkeeping cost 2 µs
   * per call, ten times a 1536-long dot). Undefined when it does not apply (other inputs, or
   * lengths that differ, which the general path reports).
   */
  private typedVectors(inputs: TensorLike[], body: (ptrs: number[], n: number) => number): number | undefined {
    const typed = inputs.filter((x): x is Float32Array | Float64Array => x instanceof Float32Array || x instanceof Float64Array);
    const n = typed.length === inputs.length ? typed[0].length : 0;
    if (n === 0 || typed.some((x) => x.length !== n)) return undefined;
    const sources = typed.map((x) => this.heap.outside(x)); // read after the allocation
    const ptr = this.heap.alloc(sources.length * n * 4);
    try {
      const block = this.heap.f32(ptr, sources.length * n);
      sources.forEach((x, i) => block.set(x, i * n));
      return body(sources.map((_, i) => ptr + i * n * 4), n);
    } finally {
      this.heap.free(ptr);
    }
  }

  /** Sum of all entries. */
  sum(a: TensorLike): number {
    return this.run("sum", [a], ([A]) => this.kernels.sum_f32(A.ptr(), A.size));
  }

  /** cos θ = a·b / (|a||b|) of two vectors; 0 when either is all zeros (as scikit-learn does). */
  cosineSimilarity(a: TensorLike, b: TensorLike): number {
    const cos = (pa: number, pb: number, n: number) => {
      const na = this.kernels.norm_f32(pa, n), nb = this.kernels.norm_f32(pb, n);
      return na === 0 || nb === 0 ? 0 : this.kernels.dot_f32(pa, pb, n) / (na * nb);
    };
    return this.typedVectors([a, b], ([pa, pb], n) => cos(pa, pb, n))
      ?? this.run("cosineSimilarity", [a, b], ([A, B]) => {
        vectorPair("cosineSimilarity", A, B);
        return cos(A.ptr(), B.ptr(), A.size);
      });
  }

  // ---- row-wise ----------------------------------------------------------------------------

  /** Each row divided by its L2 norm (a vector: the vector); all-zero rows stay zero. */
  normalizeRows(a: TensorLike): Tensor {
    return this.run("normalizeRows", [a], ([A]) => {
      const [rows, cols] = asMatrix(A.shape);
      return this.produce(A.shape, (out) => this.kernels.normalize_rows_f32(A.ptr(), out, rows, cols));
    });
  }

  /**
   * Softmax along the last axis (each row of a matrix; a vector as one row), with the row
   * maximum subtracted first so ±1000 is fine. A row of all -Infinity becomes all zeros; NaN or
   * +Infinity in a row makes that row NaN.
   */
  softmax(a: TensorLike): Tensor {
    return this.run("softmax", [a], ([A]) => {
      const [rows, cols] = asMatrix(A.shape);
      return this.produce(A.shape, (out) => this.kernels.softmax_rows_f32(A.ptr(), out, rows, cols));
    });
  }

  /**
   * Layer normalisation of each row (a vector: the vector): (x − mean)/√(var + eps)·gamma + beta,
   * with the biased variance as in PyTorch. gamma and beta are [n] or null (1 and 0).
   */
  layerNorm(x: TensorLike, gamma?: TensorLike | null, beta?: TensorLike | null, eps = 1e-5): Tensor {
    checkNumber("layerNorm", "eps", eps);
    return this.run("layerNorm", [x, ...present(gamma, beta)], ([X, ...rest]) => {
      const [rows, cols] = asMatrix(X.shape);
      const [G, B] = [gamma == null ? undefined : rest.shift(), beta == null ? undefined : rest.shift()];
      for (const [name, t] of [["gamma", G], ["beta", B]] as const) rowParameter("layerNorm", name, t, cols);
      return this.produce(X.shape, (out) =>
        this.kernels.layer_norm_f32(X.ptr(), G ? G.ptr() : 0, B ? B.ptr() : 0, out, rows, cols, eps));
    });
  }

  /** RMS normalisation of each row: x/√(mean(x²) + eps)·gamma, gamma [n] or null. */
  rmsNorm(x: TensorLike, gamma?: TensorLike | null, eps = 1e-6): Tensor {
    checkNumber("rmsNorm", "eps", eps);
    return this.run("rmsNorm", [x, ...present(gamma)], ([X, G]) => {
      const [rows, cols] = asMatrix(X.shape);
      rowParameter("rmsNorm", "gamma", G, cols);
      return this.produce(X.shape, (out) => this.kernels.rms_norm_f32(X.ptr(), G ? G.ptr() : 0, out, rows, cols, eps));
    });
  }

  /**
   * Scaled dot-product attention softmax(Q·Kᵀ·scale + mask)·V, fused: the scores are produced
   * and consumed block by block with an online softmax, so memory stays O(seq·d). Q [sq, d] (or
   * one query [d]), K [sk, d], V [sk, dv] → [sq, dv]. A query that can see no key (fully masked)
   * gets a row of zeros. With `returnWeights`, the [sq, sk] attention weights are computed too
   * (that part is O(sq·sk)), e.g. for heat maps.
   */
  attention(q: TensorLike, k: TensorLike, v: TensorLike, options?: AttentionOptions & { returnWeights?: false }): Tensor;
  attention(q: TensorLike, k: TensorLike, v: TensorLike, options: AttentionOptions & { returnWeights: true }): { output: Tensor; weights: Tensor };
  attention(q: TensorLike, k: TensorLike, v: TensorLike, options: AttentionOptions & { returnWeights?: boolean } = {}):
    Tensor | { output: Tensor; weights: Tensor } {
    const { causal = false, mask, returnWeights = false } = options;
    return this.run("attention", mask === undefined ? [q, k, v] : [q, k, v, mask], ([Q, K, V, M]) => {
      const sig = () => `${formatShape(Q.shape)}, ${formatShape(K.shape)}, ${formatShape(V.shape)}`; // only for an error
      if (Q.rank < 1 || Q.rank > 2 || K.rank !== 2 || V.rank !== 2) {
        throw new ShapeError(`attention: Q, K, V must be [sq,d] (or [d]), [sk,d], [sk,dv]; got ${sig()}`);
      }
      const [sq, d] = asMatrix(Q.shape), [sk, dk] = K.shape, [sv, dv] = V.shape;
      if (d !== dk) throw new ShapeError(`attention: ${sig()}: query width ${d} and key width ${dk} differ`);
      if (sk !== sv) throw new ShapeError(`attention: ${sig()}: ${sk} keys but ${sv} values`);
      maskFits("attention", M, sq, sk);
      const scale = options.scale ?? 1 / Math.sqrt(d || 1);
      checkNumber("attention", "scale", scale);
      const shape = Q.rank === 1 ? [dv] : [sq, dv];
      const output = this.withWork(this.kernels.attention_work_bytes(sq, sk, d, dv), (work) =>
        this.produce(shape, (out) => this.kernels.attention_f32(Q.ptr(), K.ptr(), V.ptr(), out, sq, sk, d, dv,
          d, d, dv, dv, scale, causal ? 1 : 0, M ? M.ptr() : 0, sk, work)));
      if (!returnWeights) return output;
      try {
        return { output, weights: this.attentionWeights(Q, K, sq, sk, scale, causal, M) };
      } catch (err) {
        output.dispose();
        throw err;
      }
    });
  }

  /** softmax(Q·Kᵀ·scale + mask) as a [sq, sk] tensor ([sk] for one query): the unfused path, O(sq·sk) memory. */
  private attentionWeights(Q: Tensor, K: Tensor, sq: number, sk: number, scale: number, causal: boolean, M?: Tensor): Tensor {
    const scores = this.product("attention", Q, K, true, undefined, 0); // [sq, sk], or [sk] for one query
    try {
      this.kernels.mask_scores_f32(scores.ptr(), sq, sk, scale, M ? M.ptr() : 0, sk, causal ? 1 : 0);
      this.kernels.softmax_rows_f32(scores.ptr(), scores.ptr(), sq, sk);
      return scores;
    } catch (err) {
      scores.dispose();
      throw err;
    }
  }

  /**
   * Multi-head attention over packed heads: Q = x·Wq + bq, K = c·Wk + bk, V = c·Wv + bv (c = the
   * context, x itself by default), each [seq, heads·dh]; head h attends with columns h·dh…(h+1)·dh
   * read in place (no split copies); the heads' outputs, concatenated, go through Wo (+ bo).
   */
  multiHeadAttention(x: TensorLike, w: AttentionWeights, options: MultiHeadOptions): Tensor {
    const { heads, causal = false, mask, context } = options;
    if (!Number.isInteger(heads) || heads < 1) throw new InputError(`multiHeadAttention: heads must be a positive integer, got ${heads}`);
    const ctx = context ?? x;
    const q = this.dense(x, w.wq, w.bq), k = this.dense(ctx, w.wk, w.bk), v = this.dense(ctx, w.wv, w.bv);
    let concat: Tensor | undefined;
    try {
      if (q.rank !== 2 || k.rank !== 2) throw new ShapeError("multiHeadAttention: x and context must be [seq, dModel]");
      const [sq, qw] = q.shape, [sk, kw] = k.shape, vw = v.shape[1];
      if (qw !== kw) throw new ShapeError(`multiHeadAttention: query projection width ${qw} and key projection width ${kw} differ`);
      for (const [name, width] of [["query/key", qw], ["value", vw]] as const) {
        if (width % heads) throw new ShapeError(`multiHeadAttention: ${name} projection width ${width} is not divisible by ${heads} heads`);
      }
      const dh = qw / heads, dvh = vw / heads;
      const scale = options.scale ?? 1 / Math.sqrt(dh || 1);
      checkNumber("multiHeadAttention", "scale", scale);
      concat = this.run("multiHeadAttention", mask === undefined ? [] : [mask], ([M]) => {
        maskFits("multiHeadAttention", M, sq, sk);
        return this.withWork(this.kernels.attention_work_bytes(sq, sk, dh, dvh), (work) =>
          this.produce([sq, vw], (out) => {
            for (let h = 0; h < heads; h++) {
              this.kernels.attention_f32(q.ptr() + h * dh * 4, k.ptr() + h * dh * 4, v.ptr() + h * dvh * 4, out + h * dvh * 4,
                sq, sk, dh, dvh, qw, kw, vw, vw, scale, causal ? 1 : 0, M ? M.ptr() : 0, sk, work);
            }
          }));
      });
      return this.dense(concat, w.wo, w.bo);
    } finally {
      for (const t of [q, k, v, concat]) t?.dispose();
    }
  }

  /** @internal Runs `body` with `bytes` of scratch memory (0 when none is needed), freed afterwards. */
  withWork<R>(bytes: number, body: (work: number) => R): R {
    const work = bytes > 0 ? this.heap.alloc(bytes) : 0;
    try {
      return body(work);
    } finally {
      if (work) this.heap.free(work);
    }
  }

  /** exp of every entry, with the same SIMD exp softmax uses (≤ 2.5 ulp). */
  exp(a: TensorLike): Tensor {
    return this.run("exp", [a], ([A]) => this.produce(A.shape, (out) => this.kernels.exp_f32(A.ptr(), out, A.size)));
  }

  toString(): string {
    return `Backend(${this.name})`;
  }
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function checkShape(op: string, shape: readonly number[]): void {
  if (!Array.isArray(shape)) throw new InputError(`${op}: shape must be an array of sizes, got ${describe(shape)}`);
  if (shape.length > 2) {
    throw new ShapeError(`${op}: shape ${formatShape(shape)} has rank ${shape.length}; tensors are 0-D, 1-D or 2-D`);
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`${op}: shape ${formatShape(shape)} has an invalid size ${d}`);
  }
}

function checkNumber(op: string, what: string, x: unknown): void {
  if (typeof x !== "number") throw new InputError(`${op}: ${what} must be a number, got ${describe(x)}`);
}

/** An attention mask must be [sq, sk], like the scores it is added to. */
function maskFits(op: string, mask: Tensor | undefined, sq: number, sk: number): void {
  if (mask && !sameDims(mask.shape, [sq, sk])) {
    throw new ShapeError(`${op}: mask ${formatShape(mask.shape)} does not match the scores [${sq},${sk}]`);
  }
}

/** The arguments that were given (not null or undefined). */
function present(...xs: (TensorLike | null | undefined)[]): TensorLike[] {
  return xs.filter((x): x is TensorLike => x != null);
}

/** A per-column parameter (gamma, beta) must be a vector of the row length. */
function rowParameter(op: string, name: string, t: Tensor | undefined, cols: number): void {
  if (t && (t.rank !== 1 || t.size !== cols)) {
    throw new ShapeError(`${op}: ${name} ${formatShape(t.shape)} does not match the row length ${cols}`);
  }
}

function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (!sameDims(a.shape, b.shape)) {
    throw new ShapeError(`${op}: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} differ`);
  }
}

function vectorPair(op: string, a: Tensor, b: Tensor): void {
  if (a.rank !== 1 || b.rank !== 1) {
    throw new ShapeError(`${op}: expects two vectors, got ${formatShape(a.shape)} and ${formatShape(b.shape)} (use matmul for matrices)`);
  }
  if (a.size !== b.size) throw new ShapeError(`${op}: ${formatShape(a.shape)} · ${formatShape(b.shape)}: lengths ${a.size} and ${b.size} differ`);
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "an array";
  if (typeof x === "object") return `a ${(x as object).constructor?.name ?? "object"}`;
  return typeof x === "string" ? `the string ${JSON.stringify(x.length > 20 ? x.slice(0, 20) + "…" : x)}` : `${typeof x} ${String(x)}`;
}
