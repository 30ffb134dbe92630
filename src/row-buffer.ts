import type { Backend } from "./backend";
import { keep } from "./scope";
import type { Tensor } from "./tensor";

/**
 * A growable [capacity, width] block of rows in backend memory, owned by its holder (kept out
 * of any scope()): the storage of a KV cache and of a vector index. Capacity doubles as needed.
 */
export class RowBuffer {
  #rows: Tensor;
  #capacity: number;

  constructor(readonly backend: Backend, readonly width: number, capacity: number) {
    this.#capacity = Math.max(1, capacity);
    this.#rows = keep(backend.zeros([this.#capacity, width]));
  }

  /** Byte offset of row 0; re-read it after `reserve`, which may move the rows. */
  get ptr(): number {
    return this.#rows.ptr();
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Makes room for `needed` rows, keeping the first `used`. */
  reserve(needed: number, used: number): void {
    if (needed <= this.#capacity) return;
    let cap = this.#capacity;
    while (cap < needed) cap *= 2;
    const next = keep(this.backend.zeros([cap, this.width]));
    const heap = this.backend.heap, n = used * this.width;
    heap.f32(next.ptr(), n).set(heap.f32(this.#rows.ptr(), n));
    this.#rows.dispose();
    this.#rows = next;
    this.#capacity = cap;
  }

  dispose(): void {
    this.#rows.dispose();
  }
}
