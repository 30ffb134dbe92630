import { ShapeError } from "./errors";

/** `[3,5]` style, as numpy prints shapes (without spaces). */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}

/** True when two shapes are the same (compared without formatting them: shape checks run on every call). */
export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Rows and columns of a tensor seen as a matrix: a scalar is 1×1, a vector of n is 1×n. */
export function asMatrix(shape: readonly number[]): [rows: number, cols: number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [1, shape[0]];
  return [shape[0], shape[1]];
}

/**
 * numpy's broadcasting for ranks 0-2: align shapes on the right; each pair of dimensions must be
 * equal or contain a 1. Returns the result shape.
 */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast ` +
        `(dimension ${i - rank} is ${da} vs ${db})`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Row and column strides (in elements) that read `shape` broadcast to `rows × cols`. */
export function broadcastStrides(shape: readonly number[]): [rowStride: number, colStride: number] {
  const [r, c] = asMatrix(shape);
  return [r === 1 ? 0 : c, c === 1 ? 0 : 1];
}
