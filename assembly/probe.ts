// Probes the benchmark uses to measure this machine's ceilings in the same run as the kernels.
// The multiply-add peak is the larger of two probes: long chains (which FMA saturates) and
// the accumulator pattern of a GEMM tile (which separate mul + add needs). Every product is
// distinct: V8 folds repeated x·c into one multiply, which would inflate the mul + add figure.
import { hsum, lanes, madd } from "./simd";

const CHAIN_A = memory.data<f32>([0.999999]);
const CHAIN_B = memory.data<f32>([1e-7]);

/** 10 independent chains s = s·a + b: 80·iters flops. Returns a sum so nothing is optimised away. */
export function probe_chains_f32(iters: i32): f32 {
  const a = lanes(CHAIN_A), b = lanes(CHAIN_B); // from memory: see `lanes`
  let s0 = f32x4.splat(1), s1 = f32x4.splat(2), s2 = f32x4.splat(3), s3 = f32x4.splat(4), s4 = f32x4.splat(5);
  let s5 = f32x4.splat(6), s6 = f32x4.splat(7), s7 = f32x4.splat(8), s8 = f32x4.splat(9), s9 = f32x4.splat(10);
  for (let i = 0; i < iters; i++) {
    s0 = madd(s0, a, b); s1 = madd(s1, a, b); s2 = madd(s2, a, b); s3 = madd(s3, a, b); s4 = madd(s4, a, b);
    s5 = madd(s5, a, b); s6 = madd(s6, a, b); s7 = madd(s7, a, b); s8 = madd(s8, a, b); s9 = madd(s9, a, b);
  }
  return hsum(f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)),
    f32x4.add(f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7)), f32x4.add(s8, s9))));
}

/**
 * 8 accumulators acc += x·c, two fresh splats x per round times four vectors c held in
 * registers (a 2×16 tile without its B loads; 15 live vectors, no spill): 64·iters flops.
 * `p` points at 48 readable floats.
 */
export function probe_tile_f32(iters: i32, p: usize): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  const c0 = v128.load(p), c1 = v128.load(p, 16), c2 = v128.load(p, 32), c3 = v128.load(p, 48);
  for (let i = 0; i < iters; i++) {
    const q = p + ((<usize>i & 15) << 2);
    const x = v128.load32_splat(q, 64), y = v128.load32_splat(q, 128);
    s0 = madd(x, c0, s0); s1 = madd(x, c1, s1); s2 = madd(x, c2, s2); s3 = madd(x, c3, s3);
    s4 = madd(y, c0, s4); s5 = madd(y, c1, s5); s6 = madd(y, c2, s6); s7 = madd(y, c3, s7);
  }
  return hsum(f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7))));
}

/**
 * Reads `n` floats (n a multiple of 32) once, as `streams` (1, 2, 4 or 8) equal parts read side
 * by side, through eight accumulators so that memory, not add latency, is the limit. DRAM gives
 * a core more bandwidth over several streams than over one, so the bandwidth bound of
 * matrix-vector and search is the fastest of these.
 */
export function probe_stream_f32(p: usize, n: i32, streams: i32): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  if (streams != 2 && streams != 4 && streams != 8) streams = 1;
  const part = (<usize>n << 2) / <usize>streams, end = p + part;
  if (streams == 8) {
    for (; p < end; p += 16) {
      const q = p + 4 * part;
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p + part));
      s2 = f32x4.add(s2, v128.load(p + 2 * part)); s3 = f32x4.add(s3, v128.load(p + 3 * part));
      s4 = f32x4.add(s4, v128.load(q)); s5 = f32x4.add(s5, v128.load(q + part));
      s6 = f32x4.add(s6, v128.load(q + 2 * part)); s7 = f32x4.add(s7, v128.load(q + 3 * part));
    }
  } else if (streams == 4) {
    for (; p < end; p += 32) {
      const p1 = p + part, p2 = p1 + part, p3 = p2 + part;
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p1)); s3 = f32x4.add(s3, v128.load(p1, 16));
      s4 = f32x4.add(s4, v128.load(p2)); s5 = f32x4.add(s5, v128.load(p2, 16));
      s6 = f32x4.add(s6, v128.load(p3)); s7 = f32x4.add(s7, v128.load(p3, 16));
    }
  } else if (streams == 2) {
    for (; p < end; p += 64) {
      const p1 = p + part;
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
      s4 = f32x4.add(s4, v128.load(p1)); s5 = f32x4.add(s5, v128.load(p1, 16));
      s6 = f32x4.add(s6, v128.load(p1, 32)); s7 = f32x4.add(s7, v128.load(p1, 48));
    }
  } else {
    for (; p < end; p += 128) {
      s0 = f32x4.add(s0, v128.load(p)); s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32)); s3 = f32x4.add(s3, v128.load(p, 48));
      s4 = f32x4.add(s4, v128.load(p, 64)); s5 = f32x4.add(s5, v128.load(p, 80));
      s6 = f32x4.add(s6, v128.load(p, 96)); s7 = f32x4.add(s7, v128.load(p, 112));
    }
  }
  return hsum(f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7))));
}
