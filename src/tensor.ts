import { DisposedError, ShapeError } from "./errors";
import type { Backend } from "./backend";
import { formatShape } from "./shape";
import { trackInScope } from "./scope";

/** Nested number arrays a tensor reads back as: a number (0-D), a row (1-D) or rows (2-D). */
export type NestedArray = number | number[] | number[][];

// `using` needs Symbol.dispose; where the runtime lacks it, define it as the symbol that the
// TypeScript and esbuild downlevel helpers look up, so `using` works on any engine.
(Symbol as { dispose?: symbol }).dispose ??= Symbol.for("Symbol.dispose");

// The safety net for tensors that were never disposed: frees their block when they are
// collected. dispose() unregisters, so the callback can never free a block twice.
const finalizer = typeof FinalizationRegistry === "function"
  ? new FinalizationRegistry<{ backend: Backend; ptr: number }>(({ backend, ptr }) => backend.release(ptr))
  : undefined;

/**
 * A float32 tensor (0-D, 1-D or 2-D, row-major) living in one backend's memory. Read it back
 * with `toArray()` / `toFloat32Array()` (copies), free it with `dispose()`, `using`, or a
 * `scope()`; a FinalizationRegistry frees forgotten tensors eventually, but don't rely on it.
 */
export class Tensor {
  /** Dimensions, e.g. `[rows, cols]`; `[]` for a scalar. */
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly size: number;
  /** The backend whose memory holds the data. */
  readonly backend: Backend;
  #ptr: number;

  /**
   * @internal Use `tensor()` or a backend's `tensor()`; this wraps an allocated block.
   * `transient` marks a temporary the library frees itself within the same call: no finalizer
   * and no scope (registering them cost more than a small kernel).
   */
  constructor(backend: Backend, shape: readonly number[], ptr: number, transient = false) {
    this.backend = backend;
    this.shape = Object.freeze([...shape]);
    this.size = shape.reduce((a, b) => a * b, 1);
    this.#ptr = ptr;
    this.#tracked = !transient;
    if (transient) return;
    finalizer?.register(this, { backend, ptr }, this);
    trackInScope(this);
  }

  #tracked: boolean;

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** True once `dispose()` has run. */
  get disposed(): boolean {
    return this.#ptr < 0;
  }

  /**
   * @internal Byte offset of the data in backend memory, valid until dispose. `op` names the
   * caller for the error message when the tensor is already disposed.
   */
  ptr(op = "read"): number {
    if (this.#ptr < 0) throw new DisposedError(`${op}: tensor ${formatShape(this.shape)} was disposed`);
    return this.#ptr;
  }

  /** A copy of the data, row-major. */
  toFloat32Array(): Float32Array {
    return this.backend.heap.f32(this.ptr("toFloat32Array"), this.size).slice();
  }

  /** A copy as nested arrays: a number for 0-D, `number[]` for 1-D, `number[][]` for 2-D. */
  toArray(): NestedArray {
    const flat = this.backend.heap.f32(this.ptr("toArray"), this.size);
    if (this.rank === 0) return flat[0];
    if (this.rank === 1) return Array.from(flat);
    const [rows, cols] = this.shape;
    const out: number[][] = new Array(rows);
    for (let i = 0; i < rows; i++) out[i] = Array.from(flat.subarray(i * cols, (i + 1) * cols));
    return out;
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item: tensor ${formatShape(this.shape)} has ${this.size} elements, not 1`);
    return this.backend.heap.f32(this.ptr("item"), 1)[0];
  }

  /** A copy of this tensor in another backend's memory (e.g. to compare paths side by side). */
  copyTo(backend: Backend): Tensor {
    return backend.tensor(this.toFloat32Array(), this.shape);
  }

  /** Frees the memory now. Idempotent; any later use throws DisposedError. */
  dispose(): void {
    if (this.#ptr < 0) return;
    if (this.#tracked) finalizer?.unregister(this);
    this.backend.release(this.#ptr);
    this.#ptr = -1;
  }

  /** `using t = tensor(...)` disposes at the end of the block. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.backend.name}${this.disposed ? ", disposed" : ""})`;
  }
}
