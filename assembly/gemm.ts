// GEMM building blocks shared by matmul and attention: the tile shape of each build, packing
// into slivers, and the register-blocked micro-kernels.
import { madd, transpose3x4, transpose4x4 } from "./simd";

// Tile per variant. V8 on x64 gives WASM SIMD 15 xmm registers; accumulators, the B vectors and
// the A splats of one k-step must all fit or the kernel spills and loses half its speed. Within
// that, more accumulator chains hide more latency. Measured against the peak probes (one
// process, alternating), Zen 4: FMA 3x12 83 %, 2x16 78 %, 5x8 75 %; mul+add 5x8 96 %, 2x16 91 %,
// 3x12 67 %. Zen 5, mul+add: 4x8 with splat loads 50.5 GFLOP/s, 5x8 (lane shuffles) 43.7, 4x8
// with lane shuffles 41.5, 5x8 or 3x12 with splat loads 20-23 (spilled). A splat load costs no
// shuffle slot on the FP pipes, which the multiplies and adds use up.
export const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 3 : 4;
export const NR: i32 = ASC_FEATURE_RELAXED_SIMD ? 12 : 8;
export const KC: i32 = 512;     // a B sliver (KC × NR floats: 16-24 KiB) stays in L1
export const MC: i32 = MR * 48; // an A block (MC × KC floats: 288-384 KiB) stays in L2
// (KC 256-512 and MC 16-48 tiles all measured within a few % here; these were best for both.)

// @ts-ignore: decorator
@inline export function roundUp(x: i32, to: i32): i32 { return (x + to - 1) / to * to; }
// @ts-ignore: decorator
@inline export function align64(bytes: usize): usize { return (bytes + 63) & ~<usize>63; }

// @ts-ignore: decorator
@inline export function microKernel(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize,
                             first: bool, bias: usize): void {
  if (ASC_FEATURE_RELAXED_SIMD) kernel3x12(kc, pa, pb, c, ldc, first, bias);
  else kernel4x8(kc, pa, pb, c, ldc, first, bias);
}

/**
 * The MR×4 tile of the first four columns of a B sliver, written or added like `microKernel`'s:
 * for the last tile of a row of tiles when at most four columns are left (n = 64 leaves four
 * in the FMA build's 12-wide slivers), where the full kernel would spend two thirds of its
 * multiply-adds on padding.
 */
// @ts-ignore: decorator
@inline export function narrowKernel(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, first: bool, bias: usize): void {
  if (ASC_FEATURE_RELAXED_SIMD) kernel3x4(kc, pa, pb, c, ldc, first, bias);
  else kernel4x4(kc, pa, pb, c, ldc, first, bias);
}

/**
 * One row of an MR×NR tile into `out` (NR floats): for the last tile of a column of tiles when
 * m % MR leaves fewer than MR rows (a batch of 64 in the FMA build's 3-row tiles), each costing
 * its own share instead of a full tile's. `pa` points at the row's first value in its sliver;
 * even and odd k go to separate accumulators, so the chains still hide the multiply-add latency.
 */
export function rowKernel(kc: i32, pa: usize, pb: usize, out: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0), d2 = f32x4.splat(0);
  const end = pb + <usize>(kc & ~1) * NR * 4;
  while (pb < end) {
    const a = v128.load32_splat(pa), e = v128.load32_splat(pa, MR * 4);
    c0 = madd(a, v128.load(pb), c0); c1 = madd(a, v128.load(pb, 16), c1);
    d0 = madd(e, v128.load(pb, NR * 4), d0); d1 = madd(e, v128.load(pb, NR * 4 + 16), d1);
    if (ASC_FEATURE_RELAXED_SIMD) {
      c2 = madd(a, v128.load(pb, 32), c2); d2 = madd(e, v128.load(pb, NR * 4 + 32), d2);
    }
    pa += MR * 8; pb += NR * 8;
  }
  if (kc & 1) {
    const a = v128.load32_splat(pa);
    c0 = madd(a, v128.load(pb), c0); c1 = madd(a, v128.load(pb, 16), c1);
    if (ASC_FEATURE_RELAXED_SIMD) c2 = madd(a, v128.load(pb, 32), c2);
  }
  v128.store(out, f32x4.add(c0, d0)); v128.store(out, f32x4.add(c1, d1), 16);
  if (ASC_FEATURE_RELAXED_SIMD) v128.store(out, f32x4.add(c2, d2), 32);
}

/** Writes (first k-block: plus bias) or adds the mr×nr corner of an edge tile into C. */
export function storeEdge(tile: usize, c: usize, ldc: usize, mr: i32, nr: i32, first: bool, bias: usize): void {
  for (let i = 0; i < mr; i++) {
    const t = tile + <usize>(i * NR) * 4;
    const row = c + <usize>i * ldc;
    for (let j = 0; j < nr; j++) {
      const o = <usize>j << 2;
      let v = load<f32>(t + o);
      if (!first) v += load<f32>(row + o);
      else if (bias) v += load<f32>(bias + o);
      store<f32>(row + o, v);
    }
  }
}

/** Rows of B that `packB` copies into every sliver before moving on (1 to 32 measured: 8 best in both builds). */
const PACK_ROWS: i32 = 8;

/**
 * Packs rows pc:pc+kc of B (row-major, n columns, row stride ld floats) into NR-wide slivers,
 * zero-padding the last. PACK_ROWS rows at a time go into every sliver, so B is read row by row
 * (PACK_ROWS streams the prefetcher follows, their lines used up while in L1). Sliver by
 * sliver down all kc rows, each row is a new cache line (and a new page past 4 KiB rows) that no
 * prefetcher predicts: 2-3 GB/s, most of the time of a product with few rows.
 */
export function packB(b: usize, ld: i32, n: i32, pc: i32, kc: i32, out: usize): void {
  const ldb = <usize>ld << 2, full = n - n % NR;
  for (let p0 = 0; p0 < kc; p0 += PACK_ROWS) {
    const rows = min(PACK_ROWS, kc - p0);
    for (let jr = 0; jr < full; jr += NR) {
      let src = b + (<usize>(pc + p0) * <usize>ld + <usize>jr) * 4;
      let dst = out + (<usize>jr * <usize>kc + <usize>p0 * NR) * 4;
      for (let p = 0; p < rows; p++, src += ldb, dst += <usize>NR * 4) {
        for (let j = 0; j < NR; j += 4) v128.store(dst + (<usize>j << 2), v128.load(src + (<usize>j << 2)));
      }
    }
  }
  if (full == n) return;
  const nr = n - full;
  let src = b + (<usize>pc * <usize>ld + <usize>full) * 4;
  let dst = out + <usize>full * <usize>kc * 4;
  for (let p = 0; p < kc; p++, src += ldb, dst += <usize>NR * 4) {
    for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>j << 2), j < nr ? load<f32>(src + (<usize>j << 2)) : 0);
  }
}

/**
 * Packs columns pc:pc+kc of `rows` rows of a row-major matrix (row length ld) into slivers of
 * `width` rows, k-major inside a sliver, zero-padding the last: A's MR-tall slivers, and Bᵀ's
 * NR-wide ones when B is given as n×k (attention's keys, a search index). Groups of four rows
 * (and a sliver of three) are transposed four columns at a time with shuffles, a quarter of the
 * loads and stores of the element-by-element copy, which the rest uses.
 */
export function packRows(src: usize, ld: i32, rows: i32, pc: i32, kc: i32, width: i32, out: usize): void {
  const step = <usize>width << 2, ldb = <usize>ld << 2;
  for (let r0 = 0; r0 < rows; r0 += width) {
    const dst = out + <usize>r0 * <usize>kc * 4;
    let i = 0;
    if (width == 3 && r0 + 3 <= rows) {
      const s0 = src + (<usize>r0 * <usize>ld + <usize>pc) * 4;
      let d = dst, p = 0;
      for (; p + 4 <= kc; p += 4, d += 48) transpose3x4(s0 + (<usize>p << 2), ldb, d);
      for (; p < kc; p++, d += 12) {
        const o = <usize>p << 2;
        store<f32>(d, load<f32>(s0 + o)); store<f32>(d, load<f32>(s0 + ldb + o), 4); store<f32>(d, load<f32>(s0 + 2 * ldb + o), 8);
      }
      i = 3;
    }
    for (; i + 4 <= width && r0 + i + 4 <= rows; i += 4) {
      const s0 = src + (<usize>(r0 + i) * <usize>ld + <usize>pc) * 4, s1 = s0 + ldb, s2 = s1 + ldb, s3 = s2 + ldb;
      let d = dst + (<usize>i << 2);
      let p = 0;
      for (; p + 4 <= kc; p += 4, d += step << 2) transpose4x4(s0 + (<usize>p << 2), ldb, d, step);
      for (; p < kc; p++, d += step) {
        const o = <usize>p << 2;
        store<f32>(d, load<f32>(s0 + o)); store<f32>(d, load<f32>(s1 + o), 4);
        store<f32>(d, load<f32>(s2 + o), 8); store<f32>(d, load<f32>(s3 + o), 12);
      }
    }
    for (; i < width; i++) {
      let d = dst + (<usize>i << 2);
      if (r0 + i < rows) {
        const row = src + (<usize>(r0 + i) * <usize>ld + <usize>pc) * 4;
        for (let p = 0; p < kc; p++, d += step) store<f32>(d, load<f32>(row + (<usize>p << 2)));
      } else {
        for (let p = 0; p < kc; p++, d += step) store<f32>(d, 0);
      }
    }
  }
}

/** Rows `packRowsStaged` copies into its stage at a time: slivers of either build (8 and 12 rows), ≤ 192 KiB. */
export const STAGE_ROWS: i32 = 96;

/**
 * `packRows` for a large Bᵀ read from memory (a search table): STAGE_ROWS rows at a time are
 * first copied into `stage` (STAGE_ROWS × kc floats), then packed from there. The transposing
 * pack reads four rows side by side a few floats at a time, which memory serves slowly; a plain
 * copy reads them in order. 100k × 384 from DRAM: 12.5 ms packed directly, 8 ms copied first.
 * (From cache the copy is pure cost: 8 MiB and less packed 1.4× faster directly.)
 */
export function packRowsStaged(src: usize, ld: i32, rows: i32, pc: i32, kc: i32, width: i32, out: usize, stage: usize): void {
  const rowBytes = <usize>kc << 2;
  for (let r0 = 0; r0 < rows; r0 += STAGE_ROWS) {
    const r = min(STAGE_ROWS, rows - r0);
    const from = src + (<usize>r0 * <usize>ld + <usize>pc) * 4;
    if (kc == ld) memory.copy(stage, from, <usize>r * rowBytes);
    else for (let i = 0; i < r; i++) memory.copy(stage + <usize>i * rowBytes, from + <usize>i * (<usize>ld << 2), rowBytes);
    packRows(stage, kc, r, 0, kc, width, out + <usize>r0 * rowBytes);
  }
}

/** 3×12 tile, for the FMA build: 9 accumulator chains, 3 B vectors, 3 A splats (15 live). */
// Inlined into the macro-kernel: a call per tile measured 10 % slower in the FMA build.
// @ts-ignore: decorator
@inline function kernel3x12(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, first: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0);
  const end = pb + <usize>kc * 48;
  while (pb < end) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01); c02 = madd(a, b2, c02);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11); c12 = madd(a, b2, c12);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21); c22 = madd(a, b2, c22);
    pa += 12; pb += 48;
  }
  const c1 = c + ldc, c2 = c1 + ldc;
  if (!first) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16)); c02 = f32x4.add(c02, v128.load(c, 32));
    c10 = f32x4.add(c10, v128.load(c1)); c11 = f32x4.add(c11, v128.load(c1, 16)); c12 = f32x4.add(c12, v128.load(c1, 32));
    c20 = f32x4.add(c20, v128.load(c2)); c21 = f32x4.add(c21, v128.load(c2, 16)); c22 = f32x4.add(c22, v128.load(c2, 32));
  } else if (bias) {
    const b0 = v128.load(bias), b1 = v128.load(bias, 16), b2 = v128.load(bias, 32);
    c00 = f32x4.add(c00, b0); c01 = f32x4.add(c01, b1); c02 = f32x4.add(c02, b2);
    c10 = f32x4.add(c10, b0); c11 = f32x4.add(c11, b1); c12 = f32x4.add(c12, b2);
    c20 = f32x4.add(c20, b0); c21 = f32x4.add(c21, b1); c22 = f32x4.add(c22, b2);
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32);
  v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32);
  v128.store(c2, c20); v128.store(c2, c21, 16); v128.store(c2, c22, 32);
}

/**
 * 3×4 tile of a 12-wide sliver (the FMA build's narrow edge). Even and odd k go to separate
 * accumulators: three chains alone would wait on the multiply-add's latency.
 */
function kernel3x4(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, first: bool, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0), d2 = f32x4.splat(0);
  const end = pb + <usize>(kc & ~1) * 48;
  while (pb < end) {
    const b = v128.load(pb), e = v128.load(pb, 48);
    c0 = madd(v128.load32_splat(pa), b, c0);
    c1 = madd(v128.load32_splat(pa, 4), b, c1);
    c2 = madd(v128.load32_splat(pa, 8), b, c2);
    d0 = madd(v128.load32_splat(pa, 12), e, d0);
    d1 = madd(v128.load32_splat(pa, 16), e, d1);
    d2 = madd(v128.load32_splat(pa, 20), e, d2);
    pa += 24; pb += 96;
  }
  if (kc & 1) {
    const b = v128.load(pb);
    c0 = madd(v128.load32_splat(pa), b, c0);
    c1 = madd(v128.load32_splat(pa, 4), b, c1);
    c2 = madd(v128.load32_splat(pa, 8), b, c2);
  }
  storeRow4(c, ldc, 0, f32x4.add(c0, d0), first, bias);
  storeRow4(c, ldc, 1, f32x4.add(c1, d1), first, bias);
  storeRow4(c, ldc, 2, f32x4.add(c2, d2), first, bias);
}

/**
 * 4×4 tile of an 8-wide sliver (the mul+add build's narrow edge). Four add chains suffice here:
 * splitting even and odd k over eight, as kernel3x4 does for FMA, made 256×256×4 25 % slower.
 */
function kernel4x4(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, first: bool, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const end = pb + <usize>kc * 32;
  while (pb < end) {
    const b = v128.load(pb);
    c0 = madd(v128.load32_splat(pa), b, c0);
    c1 = madd(v128.load32_splat(pa, 4), b, c1);
    c2 = madd(v128.load32_splat(pa, 8), b, c2);
    c3 = madd(v128.load32_splat(pa, 12), b, c3);
    pa += 16; pb += 32;
  }
  storeRow4(c, ldc, 0, c0, first, bias); storeRow4(c, ldc, 1, c1, first, bias);
  storeRow4(c, ldc, 2, c2, first, bias); storeRow4(c, ldc, 3, c3, first, bias);
}

/** Row `i` of C = v, plus C (not first) or the bias (first). */
// @ts-ignore: decorator
@inline function storeRow4(c: usize, ldc: usize, i: i32, v: v128, first: bool, bias: usize): void {
  const row = c + <usize>i * ldc;
  v128.store(row, first ? (bias ? f32x4.add(v, v128.load(bias)) : v) : f32x4.add(v, v128.load(row)));
}

/**
 * 4×8 tile, for the mul+add build: 8 accumulators, 2 B vectors, one A splat at a time and the
 * product before its add (12 live). Each add chain waits only on its own add, so eight chains
 * keep both add pipes busy; the splats are loads, leaving the FP pipes to the multiplies and adds.
 */
// @ts-ignore: decorator
@inline function kernel4x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, first: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = pb + <usize>kc * 32;
  while (pb < end) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    pa += 16; pb += 32;
  }
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
  if (!first) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c1)); c11 = f32x4.add(c11, v128.load(c1, 16));
    c20 = f32x4.add(c20, v128.load(c2)); c21 = f32x4.add(c21, v128.load(c2, 16));
    c30 = f32x4.add(c30, v128.load(c3)); c31 = f32x4.add(c31, v128.load(c3, 16));
  } else if (bias) {
    const b0 = v128.load(bias), b1 = v128.load(bias, 16);
    c00 = f32x4.add(c00, b0); c01 = f32x4.add(c01, b1); c10 = f32x4.add(c10, b0); c11 = f32x4.add(c11, b1);
    c20 = f32x4.add(c20, b0); c21 = f32x4.add(c21, b1); c30 = f32x4.add(c30, b0); c31 = f32x4.add(c31, b1);
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
}
