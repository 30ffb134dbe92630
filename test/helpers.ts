// Shared test helpers: the paths under test, seeded data, float64 references, tolerances.
import { createBackend, type Backend, type BackendName } from "../src/index";

/** Every path runs every test; none is skipped (Node 20 gets the relaxed-SIMD flag from vitest.config.ts). */
export const PATHS: BackendName[] = ["js", "wasm-simd", "wasm-relaxed-simd"];

const backends = new Map<BackendName, Promise<Backend>>();
/** One backend per path per test file, created on first use. */
export function backend(name: BackendName): Promise<Backend> {
  if (!backends.has(name)) backends.set(name, createBackend(name));
  return backends.get(name)!;
}

/** Seeded uniform numbers in [-1, 1) (mulberry32), so a failure reproduces. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** n float32 values from the generator (as float32, so the reference sees what the kernel sees). */
export function randomF32(n: number, seed: number): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = r();
  return out;
}

export const EPS32 = 2 ** -23;

/**
 * float64 reference of C = A·B (+ bias), and the per-entry error bound of a float32 sum of k
 * products: (k + 2)·eps·Σ|a||b| (the classical γ_k bound, plus room for the final rounding).
 */
export function refMatmul(a: Float32Array, b: Float32Array, m: number, k: number, n: number,
                          transB = false, bias?: Float32Array): { c: Float64Array; tol: Float64Array } {
  const c = new Float64Array(m * n), tol = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j] : 0, mag = bias ? Math.abs(bias[j]) : 0;
      for (let p = 0; p < k; p++) {
        const x = a[i * k + p] * (transB ? b[j * k + p] : b[p * n + j]);
        s += x;
        mag += Math.abs(x);
      }
      c[i * n + j] = s;
      tol[i * n + j] = (k + 2) * EPS32 * mag + 1e-30;
    }
  }
  return { c, tol };
}

/** Asserts |got − want| ≤ tol elementwise, naming the first offending index. */
export function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number | ArrayLike<number>, what = ""): void {
  if (got.length !== want.length) throw new Error(`${what}: length ${got.length}, expected ${want.length}`);
  for (let i = 0; i < got.length; i++) {
    const t = typeof tol === "number" ? tol : tol[i];
    const g = got[i], w = want[i];
    if (Number.isNaN(w) ? !Number.isNaN(g) : !(Math.abs(g - w) <= t)) {
      throw new Error(`${what}: entry ${i} is ${g}, expected ${w} ± ${t}`);
    }
  }
}

/** Elementwise tolerance: absolute `abs` or relative `rel`, whichever is larger. */
export function relTol(want: ArrayLike<number>, rel: number, abs = 0): Float64Array {
  const t = new Float64Array(want.length);
  for (let i = 0; i < want.length; i++) t[i] = Math.max(abs, rel * Math.abs(want[i]));
  return t;
}

/** The block-boundary sizes the foundation issue asks every kernel to be swept over. */
export const SWEEP = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65];
