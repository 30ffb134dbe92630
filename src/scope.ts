import { WasmlaError } from "./errors";
import type { Tensor } from "./tensor";

const stack: Set<Tensor>[] = [];

/** @internal Called by every new tensor: the innermost open scope owns it. */
export function trackInScope(t: Tensor): void {
  stack[stack.length - 1]?.add(t);
}

/**
 * Runs `fn` and disposes every tensor created inside it, except those it returns (a tensor, or
 * tensors in a returned array or plain object, one level deep). Returned tensors pass to the
 * enclosing scope, if any. Synchronous only: tensors of an `await`ed continuation would land in
 * whichever scope is open at that moment.
 *
 * ```ts
 * const y = scope(() => softmax(matmul(x, w)));   // the matmul result is freed, y survives
 * ```
 */
export function scope<T>(fn: () => T): T {
  const owned = new Set<Tensor>();
  stack.push(owned);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    stack.pop();
    for (const t of owned) t.dispose();
    throw err;
  }
  stack.pop();
  if (result instanceof Promise) {
    for (const t of owned) t.dispose();
    throw new WasmlaError("SCOPE", "scope() takes a synchronous function; its tensors were disposed");
  }
  const kept = new Set(returnedTensors(result));
  for (const t of owned) {
    if (kept.has(t)) trackInScope(t); else t.dispose();
  }
  return result;
}

/** Removes a tensor from the scope that owns it, so the scope's end does not dispose it. */
export function keep<T extends Tensor>(t: T): T {
  for (const s of stack) s.delete(t);
  return t;
}

function returnedTensors(value: unknown): Tensor[] {
  if (isTensor(value)) return [value];
  if (Array.isArray(value)) return value.filter(isTensor);
  if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).filter(isTensor);
  }
  return [];
}

function isTensor(v: unknown): v is Tensor {
  return typeof v === "object" && v !== null && typeof (v as Tensor).dispose === "function" && "shape" in v && "backend" in v;
}
