/**
 * The kernel set every backend provides: the WebAssembly exports of assembly/index.ts, and the
 * same signatures in plain JS (src/js/kernels.ts). Pointers are byte offsets into the backend's
 * memory; kernels allocate nothing.
 */
export interface Kernels {
  /** C = act(A·B or A·Bᵀ + bias over rows); see assembly/matmul.ts. transB 0 or 1, bias 0 for none, act 0 for none. */
  matmul_f32(a: number, b: number, c: number, m: number, k: number, n: number,
             transB: number, bias: number, act: number, work: number): void;
  matmul_work_bytes(m: number, k: number, n: number, transB: number): number;
  transpose_f32(a: number, out: number, m: number, n: number): void;
  dot_f32(a: number, b: number, n: number): number;
  norm_f32(a: number, n: number): number;
  /** out[r,c] = a[r·aRS + c·aCS] op b[r·bRS + c·bCS]; op: 0 add, 1 sub, 2 mul, 3 div. */
  binary_f32(op: number, a: number, aRS: number, aCS: number, b: number, bRS: number, bCS: number,
             out: number, rows: number, cols: number): void;
  scale_f32(a: number, s: number, out: number, n: number): void;
  axpy_f32(alpha: number, x: number, y: number, out: number, n: number): void;
  normalize_rows_f32(a: number, out: number, rows: number, n: number): void;
  sum_f32(a: number, n: number): number;
  softmax_rows_f32(a: number, out: number, rows: number, n: number): void;
  exp_f32(a: number, out: number, n: number): void;
  /** out = activation(a); codes in src/activation.ts. */
  activate_f32(kind: number, a: number, out: number, n: number): void;
  /** Row-wise (x − mean)/√(var + eps)·gamma + beta; gamma, beta 0 for none. */
  layer_norm_f32(a: number, gamma: number, beta: number, out: number, rows: number, n: number, eps: number): void;
  /** Row-wise x/√(mean(x²) + eps)·gamma; gamma 0 for none. */
  rms_norm_f32(a: number, gamma: number, out: number, rows: number, n: number, eps: number): void;
  /** Fused softmax(Q·Kᵀ·scale + mask)·V with row strides; see assembly/attention.ts. causal 0 or 1, mask 0 for none. */
  attention_f32(q: number, k: number, v: number, out: number, sq: number, sk: number, d: number, dv: number,
                ldq: number, ldk: number, ldv: number, ldo: number, scale: number, causal: number,
                mask: number, ldm: number, work: number): void;
  attention_work_bytes(sq: number, sk: number, d: number, dv: number): number;
  /** In place: s = s·scale + mask, -Infinity above the causal diagonal. */
  mask_scores_f32(s: number, rows: number, cols: number, scale: number, mask: number, ldm: number, causal: number): void;
  /**
   * Merges a block of scores (row r: candidates first..first+n-1) into running lists of the k best
   * per row (i32 indices and scores, best first; fresh lists hold index -1 and ∓Infinity); a
   * candidate must beat the worst kept, so ties stay with the earlier row. See assembly/topk.ts.
   */
  topk_merge_f32(scores: number, rows: number, n: number, ld: number, first: number, k: number, largest: number, outIdx: number, outScores: number): void;
  /**
   * out[j·ldo + i] = scale[i]·qScales[j]·(int8 row i · int16 query j), `stride` codes each (a
   * multiple of 32; query codes within ±i8_query_limit()); rowMeta holds per row its scale (f32)
   * and Σ codes (i32); `work` holds i8_work_bytes(nq, stride). See assembly/quant.ts.
   */
  dot_i8_rows(codes: number, stride: number, n: number, q: number, nq: number, rowMeta: number,
              qScales: number, out: number, ldo: number, work: number): void;
  /** The largest |code| dot_i8_rows takes in a query: 2047, or 63 on the relaxed build (its dot is exact for 7-bit operands). */
  i8_query_limit(): number;
  i8_work_bytes(nq: number, stride: number): number;
  /** In-place Householder QR of the len×cols matrix whose columns are the rows of `a` (`tau`: householder_tau_bytes); see assembly/linalg.ts. */
  householder_qr_f32(a: number, cols: number, len: number, tau: number, diag: number, work: number): void;
  /** Qᵀ (cols rows of len floats) from householder_qr_f32's output. */
  householder_q_f32(a: number, cols: number, len: number, tau: number, q: number, work: number): void;
  /** Bytes of the Householder kernels' `tau`: cols floats, plus each panel's T factor on the blocked WASM path. */
  householder_tau_bytes(cols: number): number;
  /** Scratch bytes of the two Householder kernels (0 on the JS path, which applies reflectors one by one). */
  householder_work_bytes(cols: number, len: number): number;
  /** out (m×n) = A·B, A in CSR (indptr i32[m+1], indices i32, values f32). */
  csr_matmul_f32(indptr: number, indices: number, values: number, m: number, b: number, n: number, out: number): void;
  /** One-sided Jacobi SVD in float64 on n columns of m doubles (w) and of n doubles (v), in place; `norms` is n doubles of scratch; returns the sweeps used. */
  jacobi_svd_f64(w: number, v: number, n: number, m: number, maxSweeps: number, norms: number): number;
  /** out (cols×n) = Aᵀ·B, A in CSR with m rows, B (m×n). */
  csr_matmul_t_f32(indptr: number, indices: number, values: number, m: number, cols: number, b: number, n: number, out: number): void;
}

/** Ceiling probes, only in the WebAssembly builds (the benchmark reads them). */
export interface Probes {
  /** 10 independent chains s = s·a + b: 80·iters flops. */
  probe_chains_f32(iters: number): number;
  /** 8 accumulators of distinct products, a GEMM tile's pattern: 64·iters flops; p → 48 readable floats. */
  probe_tile_f32(iters: number, p: number): number;
  /** Reads n floats (n a multiple of 32) once, as `streams` (1, 2, 4 or 8) equal parts side by side. */
  probe_stream_f32(p: number, n: number, streams: number): number;
}

/** Operation codes of `binary_f32`. */
export const BinaryOp = { add: 0, sub: 1, mul: 2, div: 3 } as const;
export type BinaryOpName = keyof typeof BinaryOp;

/** A linear memory the allocator can grow: WebAssembly.Memory, or a plain-buffer stand-in. */
export interface GrowableMemory {
  readonly buffer: ArrayBuffer;
  /** Grows by `pages` of 64 KiB; returns the old size in pages; throws RangeError on failure. */
  grow(pages: number): number;
}
