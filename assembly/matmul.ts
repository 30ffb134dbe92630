// Matrix products. GEMM follows GotoBLAS: B is packed into NR-wide slivers (kc × NR), A into
// MR-tall slivers (MR × kc), and a register-blocked micro-kernel multiplies one sliver pair into
// an MR × NR tile of C held in v128 locals. Loop order jc/pc/ic/jr/ir; NC = n (a narrower NC
// measured 10-35 % slower here). Products with one row or one column are bandwidth-bound and
// go to the streaming kernels below instead.
import { madd, hsum, dotRaw } from "./simd";
import { activateBlock } from "./activation";

// Tile per variant. V8 on x64 gives WASM SIMD 15 xmm registers; accumulators, the B vectors and
// the A splats of one k-step must all fit or the kernel spills and loses half its speed. Within
// that, more accumulator chains hide more latency. Measured against the peak probes (one
// process, alternating): FMA 3x12 83 %, 2x16 78 %, 5x8 75 %; mul+add 5x8 96 %, 2x16 91 %, 3x12 67 %.
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 3 : 5;
const NR: i32 = ASC_FEATURE_RELAXED_SIMD ? 12 : 8;
const KC: i32 = 512;     // a B sliver (KC × NR floats: 16-24 KiB) stays in L1
const MC: i32 = MR * 48; // an A block (MC × KC floats: 288-480 KiB) stays in L2
// (KC 256-512 and MC 16-48 tiles all measured within a few % here; these were best for both.)

// @ts-ignore: decorator
@inline function roundUp(x: i32, to: i32): i32 { return (x + to - 1) / to * to; }
// @ts-ignore: decorator
@inline function align64(bytes: usize): usize { return (bytes + 63) & ~<usize>63; }

/** Products of one row or one column stream their matrix once instead of packing it. */
// @ts-ignore: decorator
@inline function streams(m: i32, n: i32): bool { return m == 1 || n == 1; }

/** Scratch bytes `matmul_f32` needs for these sizes (0 when it streams). */
export function matmul_work_bytes(m: i32, k: i32, n: i32): usize {
  if (streams(m, n) || m == 0 || n == 0 || k == 0) return 0;
  const kc = min(k, KC);
  return align64(<usize>kc * <usize>roundUp(n, NR) * 4) // packed B
    + align64(<usize>kc * <usize>roundUp(min(m, MC), MR) * 4)  // packed A
    + align64(<usize>(MR * NR * 4));                    // edge tile
}

/**
 * C = act(A·B + bias), bias broadcast over rows. A is m×k, B is k×n, or n×k when `transB`
 * (C = A·Bᵀ); all row-major, C is m×n. `bias` is 0 or n floats; `act` an activation code
 * (0 = none) applied to each tile as it is finished; `work` holds `matmul_work_bytes(m,k,n)`.
 */
export function matmul_f32(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32,
                           transB: bool, bias: usize, act: i32, work: usize): void {
  if (m == 0 || n == 0) return;
  if (k == 0 || n == 1 || m == 1) {
    if (k == 0) fillBias(c, m, n, bias);
    else if (n == 1) gemvRows(a, b, c, m, k, bias, 0); // B is a k-vector in either layout; one bias for all rows
    else if (transB) gemvRows(b, a, c, n, k, bias, 1); // row j of B dotted with a
    else vecmat(a, b, c, k, n, bias);
    if (act) activateBlock(act, c, n, m, n); // one row or one column: small, still in cache
    return;
  }
  const kcMax = min(k, KC);
  const packedB = work;
  const packedA = packedB + align64(<usize>kcMax * <usize>roundUp(n, NR) * 4);
  const tile = packedA + align64(<usize>kcMax * <usize>roundUp(min(m, MC), MR) * 4);
  const ldc = <usize>n << 2;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const first = pc == 0, last = pc + kc == k;
    if (transB) packRows(b, k, n, pc, kc, NR, packedB); else packB(b, n, pc, kc, packedB);
    for (let ic = 0; ic < m; ic += MC) {
      const mc = min(MC, m - ic);
      packRows(a + <usize>ic * <usize>k * 4, k, mc, pc, kc, MR, packedA);
      for (let jr = 0; jr < n; jr += NR) {
        const nr = min(NR, n - jr);
        const pb = packedB + <usize>jr * <usize>kc * 4;
        const biasj = bias ? bias + (<usize>jr << 2) : 0;
        for (let ir = 0; ir < mc; ir += MR) {
          const mr = min(MR, mc - ir);
          const pa = packedA + <usize>ir * <usize>kc * 4;
          const cij = c + <usize>(ic + ir) * ldc + (<usize>jr << 2);
          if (mr == MR && nr == NR) {
            microKernel(kc, pa, pb, cij, ldc, first, biasj);
          } else {
            microKernel(kc, pa, pb, tile, <usize>(NR << 2), true, 0);
            storeEdge(tile, cij, ldc, mr, nr, first, biasj);
          }
          if (last && act) activateBlock(act, cij, n, mr, nr);
        }
      }
    }
  }
}

function fillBias(c: usize, m: i32, n: i32, bias: usize): void {
  for (let i = 0; i < m; i++) {
    const row = c + <usize>i * <usize>n * 4;
    if (bias) memory.copy(row, bias, <usize>n << 2); else memory.fill(row, 0, <usize>n << 2);
  }
}

// @ts-ignore: decorator
@inline function microKernel(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize,
                             first: bool, bias: usize): void {
  if (ASC_FEATURE_RELAXED_SIMD) kernel3x12(kc, pa, pb, c, ldc, first, bias);
  else kernel5x8(kc, pa, pb, c, ldc, first, bias);
}

/** Writes (first k-block: plus bias) or adds the mr×nr corner of an edge tile into C. */
function storeEdge(tile: usize, c: usize, ldc: usize, mr: i32, nr: i32, first: bool, bias: usize): void {
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

/** Packs B[pc:pc+kc, :] (B row-major k×n) into NR-wide slivers, zero-padding the last. */
function packB(b: usize, n: i32, pc: i32, kc: i32, out: usize): void {
  for (let jr = 0; jr < n; jr += NR) {
    const nr = min(NR, n - jr);
    let src = b + (<usize>pc * <usize>n + <usize>jr) * 4;
    let dst = out + <usize>jr * <usize>kc * 4;
    const ldb = <usize>n << 2;
    if (nr == NR) {
      for (let p = 0; p < kc; p++, src += ldb, dst += <usize>NR * 4) {
        for (let j = 0; j < NR; j += 4) v128.store(dst + (<usize>j << 2), v128.load(src + (<usize>j << 2)));
      }
    } else {
      for (let p = 0; p < kc; p++, src += ldb, dst += <usize>NR * 4) {
        for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>j << 2), j < nr ? load<f32>(src + (<usize>j << 2)) : 0);
      }
    }
  }
}

/**
 * Packs columns pc:pc+kc of `rows` rows of a row-major matrix (row length ld) into slivers of
 * `width` rows, k-major inside a sliver, zero-padding the last: A's MR-tall slivers, and Bᵀ's
 * NR-wide ones when B is given as n×k.
 */
function packRows(src: usize, ld: i32, rows: i32, pc: i32, kc: i32, width: i32, out: usize): void {
  const step = <usize>width << 2;
  for (let r0 = 0; r0 < rows; r0 += width) {
    const dst = out + <usize>r0 * <usize>kc * 4;
    for (let i = 0; i < width; i++) {
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
 * 5×8 tile, for the mul+add build: 10 accumulators, 2 B vectors. Rows 0-3 of A come from one
 * v128 load and lane shuffles, row 4 from a splat load; five splat loads would be hoisted to
 * the top of the loop by V8 and spill (15 live vectors at most).
 */
// @ts-ignore: decorator
@inline function kernel5x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, first: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  const end = pb + <usize>kc * 32;
  while (pb < end) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const av = v128.load(pa);
    let a = v128.shuffle<f32>(av, av, 0, 0, 0, 0);
    c00 = madd(a, b0, c00); c01 = madd(a, b1, c01);
    a = v128.shuffle<f32>(av, av, 1, 1, 1, 1);
    c10 = madd(a, b0, c10); c11 = madd(a, b1, c11);
    a = v128.shuffle<f32>(av, av, 2, 2, 2, 2);
    c20 = madd(a, b0, c20); c21 = madd(a, b1, c21);
    a = v128.shuffle<f32>(av, av, 3, 3, 3, 3);
    c30 = madd(a, b0, c30); c31 = madd(a, b1, c31);
    a = v128.load32_splat(pa, 16);
    c40 = madd(a, b0, c40); c41 = madd(a, b1, c41);
    pa += 20; pb += 32;
  }
  const c1 = c + ldc, c2 = c1 + ldc, c3 = c2 + ldc, c4 = c3 + ldc;
  if (!first) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c1)); c11 = f32x4.add(c11, v128.load(c1, 16));
    c20 = f32x4.add(c20, v128.load(c2)); c21 = f32x4.add(c21, v128.load(c2, 16));
    c30 = f32x4.add(c30, v128.load(c3)); c31 = f32x4.add(c31, v128.load(c3, 16));
    c40 = f32x4.add(c40, v128.load(c4)); c41 = f32x4.add(c41, v128.load(c4, 16));
  } else if (bias) {
    const b0 = v128.load(bias), b1 = v128.load(bias, 16);
    c00 = f32x4.add(c00, b0); c01 = f32x4.add(c01, b1); c10 = f32x4.add(c10, b0); c11 = f32x4.add(c11, b1);
    c20 = f32x4.add(c20, b0); c21 = f32x4.add(c21, b1); c30 = f32x4.add(c30, b0); c31 = f32x4.add(c31, b1);
    c40 = f32x4.add(c40, b0); c41 = f32x4.add(c41, b1);
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
  v128.store(c4, c40); v128.store(c4, c41, 16);
}

/**
 * y[i] = M[i,:]·x + bias[i·biasStride]: M row-major rows×k. Four rows at a time share each load
 * of x, so the loads per byte of M drop from 2 to 1.25 and M streams at close to memory speed.
 */
function gemvRows(mat: usize, x: usize, y: usize, rows: i32, k: i32, bias: usize, biasStride: i32): void {
  const rowBytes = <usize>k << 2;
  let i = 0;
  for (; i + 4 <= rows; i += 4) {
    const r0 = mat + <usize>i * rowBytes, r1 = r0 + rowBytes, r2 = r1 + rowBytes, r3 = r2 + rowBytes;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
    let p = 0;
    for (; p + 8 <= k; p += 8) {
      const o = <usize>p << 2;
      const xa = v128.load(x + o), xb = v128.load(x + o, 16);
      a0 = madd(v128.load(r0 + o), xa, a0); b0 = madd(v128.load(r0 + o, 16), xb, b0);
      a1 = madd(v128.load(r1 + o), xa, a1); b1 = madd(v128.load(r1 + o, 16), xb, b1);
      a2 = madd(v128.load(r2 + o), xa, a2); b2 = madd(v128.load(r2 + o, 16), xb, b2);
      a3 = madd(v128.load(r3 + o), xa, a3); b3 = madd(v128.load(r3 + o, 16), xb, b3);
    }
    let s0 = hsum(f32x4.add(a0, b0)), s1 = hsum(f32x4.add(a1, b1));
    let s2 = hsum(f32x4.add(a2, b2)), s3 = hsum(f32x4.add(a3, b3));
    for (; p < k; p++) {
      const o = <usize>p << 2;
      const xp = load<f32>(x + o);
      s0 += load<f32>(r0 + o) * xp; s1 += load<f32>(r1 + o) * xp;
      s2 += load<f32>(r2 + o) * xp; s3 += load<f32>(r3 + o) * xp;
    }
    if (bias) {
      s0 += load<f32>(bias + (<usize>(i * biasStride) << 2));
      s1 += load<f32>(bias + (<usize>((i + 1) * biasStride) << 2));
      s2 += load<f32>(bias + (<usize>((i + 2) * biasStride) << 2));
      s3 += load<f32>(bias + (<usize>((i + 3) * biasStride) << 2));
    }
    const out = y + (<usize>i << 2);
    store<f32>(out, s0); store<f32>(out, s1, 4); store<f32>(out, s2, 8); store<f32>(out, s3, 12);
  }
  for (; i < rows; i++) {
    let s = dotRaw(mat + <usize>i * rowBytes, x, k);
    if (bias) s += load<f32>(bias + (<usize>(i * biasStride) << 2));
    store<f32>(y + (<usize>i << 2), s);
  }
}

/**
 * y = x·B (+ bias): x k floats, B row-major k×n. Four rows of B stream side by side into y,
 * which stays in L1; every read of B is sequential, so B is read once at memory speed.
 */
function vecmat(x: usize, b: usize, y: usize, k: i32, n: i32, bias: usize): void {
  const ldb = <usize>n << 2;
  if (bias) memory.copy(y, bias, ldb); else memory.fill(y, 0, ldb);
  let p = 0;
  for (; p + 4 <= k; p += 4) {
    const r0 = b + <usize>p * ldb, r1 = r0 + ldb, r2 = r1 + ldb, r3 = r2 + ldb;
    const xp = x + (<usize>p << 2);
    const x0 = v128.load32_splat(xp), x1 = v128.load32_splat(xp, 4);
    const x2 = v128.load32_splat(xp, 8), x3 = v128.load32_splat(xp, 12);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      let acc = madd(x0, v128.load(r0 + o), v128.load(y + o));
      acc = madd(x1, v128.load(r1 + o), acc);
      acc = madd(x2, v128.load(r2 + o), acc);
      v128.store(y + o, madd(x3, v128.load(r3 + o), acc));
    }
    const s0 = f32x4.extract_lane(x0, 0), s1 = f32x4.extract_lane(x1, 0);
    const s2 = f32x4.extract_lane(x2, 0), s3 = f32x4.extract_lane(x3, 0);
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(y + o, load<f32>(y + o) + s0 * load<f32>(r0 + o) + s1 * load<f32>(r1 + o)
        + s2 * load<f32>(r2 + o) + s3 * load<f32>(r3 + o));
    }
  }
  for (; p < k; p++) {
    const row = b + <usize>p * ldb;
    const xs = load<f32>(x + (<usize>p << 2));
    const xv = f32x4.splat(xs);
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(y + o, madd(xv, v128.load(row + o), v128.load(y + o)));
    }
    for (; j < n; j++) {
      const o = <usize>j << 2;
      store<f32>(y + o, load<f32>(y + o) + xs * load<f32>(row + o));
    }
  }
}

/** out (n×m) = aᵀ for a row-major m×n, in 16×16 blocks so both sides stay in cache. */
export function transpose_f32(a: usize, out: usize, m: i32, n: i32): void {
  for (let i0 = 0; i0 < m; i0 += 16) {
    const i1 = min(i0 + 16, m);
    for (let j0 = 0; j0 < n; j0 += 16) {
      const j1 = min(j0 + 16, n);
      for (let i = i0; i < i1; i++) {
        for (let j = j0; j < j1; j++) {
          store<f32>(out + (<usize>j * <usize>m + <usize>i) * 4, load<f32>(a + (<usize>i * <usize>n + <usize>j) * 4));
        }
      }
    }
  }
}
