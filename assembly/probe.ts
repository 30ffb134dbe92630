// Probes the benchmark uses to measure this machine's ceilings in the same run as the kernels.
import { madd, hsum } from "./simd";

/**
 * Peak multiply-add rate in the shape GEMM uses: 10 independent chains acc += x·c, x a fresh
 * splat from memory each round, c in registers (14 live vectors: no spill). Fused in the relaxed
 * build, mul + add otherwise. 80·iters flops; `p` points at 32 readable floats. Returns a sum so
 * that nothing is optimised away.
 */
export function probe_peak_f32(iters: i32, p: usize): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0), s4 = f32x4.splat(0);
  let s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0), s8 = f32x4.splat(0), s9 = f32x4.splat(0);
  const c0 = v128.load(p), c1 = v128.load(p, 16);
  for (let i = 0; i < iters; i++) {
    const x = v128.load32_splat(p + ((<usize>i & 15) << 2), 64);
    s0 = madd(x, c0, s0); s1 = madd(x, c1, s1); s2 = madd(x, c0, s2); s3 = madd(x, c1, s3); s4 = madd(x, c0, s4);
    s5 = madd(x, c1, s5); s6 = madd(x, c0, s6); s7 = madd(x, c1, s7); s8 = madd(x, c0, s8); s9 = madd(x, c1, s9);
  }
  return hsum(f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)),
    f32x4.add(f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7)), f32x4.add(s8, s9))));
}

/** Streams `n` floats (n a multiple of 16) through four accumulators: the read-bandwidth probe. */
export function probe_stream_f32(p: usize, n: i32): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  const end = p + (<usize>n << 2);
  for (; p < end; p += 64) {
    s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
    s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
  }
  return hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
}
