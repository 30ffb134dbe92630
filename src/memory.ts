import { MemoryLimitError, WasmlaError } from "./errors";
import type { GrowableMemory } from "./kernels";

const PAGE = 65536;
/** wasm32 addresses 4 GiB: 65536 pages. */
export const MAX_BYTES = 65536 * PAGE;
/** Blocks are cache-line aligned, which also suits every v128 load. */
export const ALIGN = 64;
/** Grow by at least this much (or by half the current size, if larger): growth detaches views, so do it rarely. */
const MIN_GROW_BYTES = 16 * 1024 * 1024;

/** Live, peak and capacity figures of one backend's memory. */
export interface MemoryStats {
  /** Bytes in blocks handed out and not yet freed. */
  liveBytes: number;
  /** The most `liveBytes` has been since the backend was created (or `resetPeak()`). */
  peakBytes: number;
  /** Size of the linear memory now. */
  capacityBytes: number;
  /** Bytes in free blocks waiting for reuse. */
  freeBytes: number;
}

/**
 * The allocator over a backend's linear memory: 64-byte aligned blocks, freed blocks reused
 * (best of a size class, split, and merged with free neighbours), memory grown in large steps.
 * Free blocks sit in power-of-two size classes; a free block that reaches the top of the heap
 * lowers the top instead.
 */
export class Heap {
  private top: number;
  private live = 0;
  private peak = 0;
  private freeTotal = 0;
  private readonly sizes = new Map<number, number>();      // live block → size
  private readonly freeAt = new Map<number, number>();     // free block start → size
  private readonly freeEndingAt = new Map<number, number>(); // free block end → start
  private readonly classes: Set<number>[] = Array.from({ length: 33 }, () => new Set<number>());

  constructor(readonly memory: GrowableMemory, base: number) {
    // Address 0 is never handed out: kernels take 0 to mean "no bias / mask / gamma".
    this.top = roundUp(Math.max(base, 1), ALIGN);
  }

  /** A block of at least `bytes` bytes, 64-byte aligned. Throws MemoryLimitError past 4 GiB. */
  alloc(bytes: number): number {
    if (!Number.isFinite(bytes) || bytes < 0) throw new WasmlaError("INTERNAL", `alloc: bad size ${bytes}`);
    const size = Math.max(ALIGN, roundUp(bytes, ALIGN));
    const ptr = this.takeFree(size) ?? this.bump(size);
    this.sizes.set(ptr, size);
    this.live += size;
    if (this.live > this.peak) this.peak = this.live;
    return ptr;
  }

  /** Returns a block to the heap. */
  free(ptr: number): void {
    const size = this.sizes.get(ptr);
    if (size === undefined) throw new WasmlaError("INTERNAL", `free: ${ptr} is not a live block`);
    this.sizes.delete(ptr);
    this.live -= size;
    let start = ptr, end = ptr + size;
    const before = this.freeEndingAt.get(start);
    if (before !== undefined) { this.unlinkFree(before); start = before; }
    const afterSize = this.freeAt.get(end);
    if (afterSize !== undefined) { this.unlinkFree(end); end += afterSize; }
    if (end === this.top) this.top = start;
    else this.linkFree(start, end - start);
  }

  /** The size of a live block (its rounded size, not the bytes asked for). */
  sizeOf(ptr: number): number | undefined {
    return this.sizes.get(ptr);
  }

  /** A fresh view over memory. Never keep one across an allocation: growth detaches it. */
  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  /**
   * `data` itself, or a copy of it when it is a view of this memory: growing the memory detaches
   * every view of it, so input read after an allocation must not be one.
   */
  outside<T extends ArrayLike<number>>(data: T): T {
    return ArrayBuffer.isView(data) && data.buffer === this.memory.buffer ? (data as unknown as Float32Array).slice() as unknown as T : data;
  }

  stats(): MemoryStats {
    return { liveBytes: this.live, peakBytes: this.peak, capacityBytes: this.memory.buffer.byteLength, freeBytes: this.freeTotal };
  }

  /** Starts peak tracking afresh from the current live bytes. */
  resetPeak(): void {
    this.peak = this.live;
  }

  private takeFree(size: number): number | undefined {
    for (let c = sizeClass(size); c < this.classes.length; c++) {
      if (this.classes[c].size === 0) continue; // skip without creating an iterator: alloc is on every op's path
      let scanned = 0;
      for (const start of this.classes[c]) {
        const blockSize = this.freeAt.get(start)!;
        if (blockSize >= size) {
          this.unlinkFree(start);
          if (blockSize > size) this.linkFree(start + size, blockSize - size);
          return start;
        }
        if (++scanned === 16) break; // in its own class a block may be too small: don't scan forever
      }
    }
    return undefined;
  }

  private bump(size: number): number {
    const ptr = this.top;
    const end = ptr + size;
    if (end > MAX_BYTES) {
      throw new MemoryLimitError(
        `cannot allocate ${formatBytes(size)}: wasm32 memory is limited to 4 GiB ` +
        `(${formatBytes(this.live)} live, ${formatBytes(ptr)} in use by the heap)`);
    }
    this.ensureCapacity(end);
    this.top = end;
    return ptr;
  }

  private ensureCapacity(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    const needed = Math.ceil((end - have) / PAGE);
    const preferred = Math.max(needed, Math.ceil(Math.max(MIN_GROW_BYTES, have / 2) / PAGE));
    const room = MAX_BYTES / PAGE - have / PAGE;
    for (const pages of [Math.min(preferred, room), needed]) {
      try {
        this.memory.grow(pages);
        return;
      } catch {
        // the engine may refuse a large step but grant the bare minimum: try that next
      }
    }
    throw new MemoryLimitError(
      `cannot grow memory to ${formatBytes(end)}: the engine refused ` +
      `(${formatBytes(have)} now, ${formatBytes(this.live)} live)`);
  }

  private linkFree(start: number, size: number): void {
    this.freeAt.set(start, size);
    this.freeEndingAt.set(start + size, start);
    this.classes[sizeClass(size)].add(start);
    this.freeTotal += size;
  }

  private unlinkFree(start: number): void {
    const size = this.freeAt.get(start)!;
    this.freeAt.delete(start);
    this.freeEndingAt.delete(start + size);
    this.classes[sizeClass(size)].delete(start);
    this.freeTotal -= size;
  }
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

function sizeClass(size: number): number {
  return Math.min(32, Math.floor(Math.log2(size)));
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024, u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}
