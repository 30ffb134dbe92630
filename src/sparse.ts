import type { Backend, TensorLike } from "./backend";
import { DisposedError, InputError, LengthError, ShapeError } from "./errors";
import { formatShape } from "./shape";
import { Tensor } from "./tensor";

/** The arrays of a CSR matrix: row i's entries are values[indptr[i]..indptr[i+1]) at columns indices[…]. */
export interface CsrArrays {
  shape: readonly [number, number];
  indptr: ArrayLike<number>;
  indices: ArrayLike<number>;
  values: ArrayLike<number>;
}

/**
 * A sparse matrix in compressed sparse row form, living in backend memory: the shape of a
 * term-document matrix, whose dense form would not fit. Products with dense tensors run in the
 * backend's kernels: `matmul(B)` = A·B and `tmatmul(B)` = Aᵀ·B. Free it with `dispose()` or `using`.
 */
export class CsrMatrix {
  readonly shape: readonly [number, number];
  /** Number of stored entries. */
  readonly nnz: number;
  readonly backend: Backend;
  #ptrs: [indptr: number, indices: number, values: number] | undefined;

  private constructor(backend: Backend, shape: readonly [number, number], nnz: number, ptrs: [number, number, number]) {
    this.backend = backend;
    this.shape = Object.freeze([...shape]) as readonly [number, number];
    this.nnz = nnz;
    this.#ptrs = ptrs;
  }

  /**
   * A CSR matrix from its arrays, checked: indptr has rows + 1 non-decreasing entries from 0 to
   * nnz, every column index is within the shape, every value is finite. Columns within a row may
   * come in any order; a repeated column adds up.
   */
  static fromArrays(backend: Backend, arrays: CsrArrays): CsrMatrix {
    const heap = backend.heap, { shape } = arrays; // the arrays are read after allocating
    const indptr = heap.outside(arrays.indptr), indices = heap.outside(arrays.indices), values = heap.outside(arrays.values);
    const [rows, cols] = shape;
    for (const d of shape) if (!Number.isInteger(d) || d < 0) throw new InputError(`CsrMatrix: shape ${formatShape(shape)} must hold non-negative integers`);
    if (indptr.length !== rows + 1) throw new LengthError(`CsrMatrix: indptr has ${indptr.length} entries, ${rows} rows need ${rows + 1}`);
    if (indices.length !== values.length) throw new LengthError(`CsrMatrix: ${indices.length} column indices but ${values.length} values`);
    const nnz = values.length;
    if (indptr[0] !== 0 || indptr[rows] !== nnz) throw new InputError(`CsrMatrix: indptr must run from 0 to nnz = ${nnz}, got ${indptr[0]} … ${indptr[rows]}`);
    for (let i = 0; i < rows; i++) {
      if (!(indptr[i + 1] >= indptr[i]) || !Number.isInteger(indptr[i + 1])) throw new InputError(`CsrMatrix: indptr decreases or is not an integer at row ${i} (${indptr[i]} → ${indptr[i + 1]})`);
    }
    for (let p = 0; p < nnz; p++) {
      const c = indices[p];
      if (!Number.isInteger(c) || c < 0 || c >= cols) throw new InputError(`CsrMatrix: column index ${c} at entry ${p} is outside 0..${cols - 1}`);
      if (!Number.isFinite(values[p])) throw new InputError(`CsrMatrix: value at entry ${p} is not finite (${values[p]})`);
    }
    const taken: number[] = [];
    try {
      for (const bytes of [(rows + 1) * 4, nnz * 4, nnz * 4]) taken.push(heap.alloc(bytes));
    } catch (e) {
      for (const p of taken) heap.free(p); // a MemoryLimitError leaves nothing behind
      throw e;
    }
    const ptrs = taken as [number, number, number];
    new Int32Array(heap.memory.buffer, ptrs[0], rows + 1).set(indptr);
    new Int32Array(heap.memory.buffer, ptrs[1], nnz).set(indices);
    heap.f32(ptrs[2], nnz).set(values);
    return new CsrMatrix(backend, [rows, cols], nnz, ptrs);
  }

  /** The nonzero entries of a dense matrix. */
  static fromDense(backend: Backend, dense: TensorLike): CsrMatrix {
    const [rows, cols, data] = backend.run("CsrMatrix.fromDense", [dense], ([t]) => {
      if (t.rank !== 2) throw new ShapeError(`CsrMatrix.fromDense: expected a matrix, got shape ${formatShape(t.shape)}`);
      return [t.shape[0], t.shape[1], t.toFloat32Array()] as const;
    });
    const indptr = [0], indices: number[] = [], values: number[] = [];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) if (data[i * cols + j] !== 0) { indices.push(j); values.push(data[i * cols + j]); }
      indptr.push(indices.length);
    }
    return CsrMatrix.fromArrays(backend, { shape: [rows, cols], indptr, indices, values });
  }

  private ptrs(op: string): [number, number, number] {
    if (!this.#ptrs) throw new DisposedError(`${op}: the CSR matrix ${formatShape(this.shape)} was disposed`);
    return this.#ptrs;
  }

  /** A·B for a dense B [cols, n] → [rows, n]. */
  matmul(b: TensorLike): Tensor {
    const [indptr, indices, values] = this.ptrs("CsrMatrix.matmul");
    return this.backend.run("CsrMatrix.matmul", [b], ([B]) => {
      if (B.rank !== 2 || B.shape[0] !== this.shape[1]) throw new ShapeError(`CsrMatrix.matmul: ${formatShape(this.shape)} @ ${formatShape(B.shape)}: B must be [${this.shape[1]}, n]`);
      return this.backend.produce([this.shape[0], B.shape[1]], (out) =>
        this.backend.kernels.csr_matmul_f32(indptr, indices, values, this.shape[0], B.ptr(), B.shape[1], out));
    });
  }

  /** Aᵀ·B for a dense B [rows, n] → [cols, n], without forming Aᵀ. */
  tmatmul(b: TensorLike): Tensor {
    const [indptr, indices, values] = this.ptrs("CsrMatrix.tmatmul");
    return this.backend.run("CsrMatrix.tmatmul", [b], ([B]) => {
      if (B.rank !== 2 || B.shape[0] !== this.shape[0]) throw new ShapeError(`CsrMatrix.tmatmul: ${formatShape(this.shape)}ᵀ @ ${formatShape(B.shape)}: B must be [${this.shape[0]}, n]`);
      return this.backend.produce([this.shape[1], B.shape[1]], (out) =>
        this.backend.kernels.csr_matmul_t_f32(indptr, indices, values, this.shape[0], this.shape[1], B.ptr(), B.shape[1], out));
    });
  }

  /** The dense matrix (for small ones: tests, printing). */
  toDense(): Tensor {
    const [indptr, indices, values] = this.ptrs("CsrMatrix.toDense");
    const heap = this.backend.heap, [rows, cols] = this.shape;
    const ip = new Int32Array(heap.memory.buffer, indptr, rows + 1).slice(), ix = new Int32Array(heap.memory.buffer, indices, this.nnz).slice();
    const vals = heap.f32(values, this.nnz).slice(), out = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let p = ip[i]; p < ip[i + 1]; p++) out[i * cols + ix[p]] += vals[p];
    return this.backend.tensor(out, [rows, cols]);
  }

  /** Frees the matrix's memory; using it afterwards throws a DisposedError. */
  dispose(): void {
    if (!this.#ptrs) return;
    for (const p of this.#ptrs) this.backend.heap.free(p);
    this.#ptrs = undefined;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
