// Matrix products. GEMM follows GotoBLAS: B is packed into NR-wide slivers (kc × NR), A into
// MR-tall slivers (MR × kc), and a register-blocked micro-kernel multiplies one sliver pair into
// an MR × NR tile of C held in v128 locals. Loop order jc/pc/ic/jr/ir; NC = n (a narrower NC
// measured 10-35 % slower here). Products with one row or one column are bandwidth-bound and
// go to the streaming kernels below instead.
import { madd, dotRaw } from "./simd";

// Tile per variant. V8 on x64 gives WASM SIMD 15 xmm registers; accumulators, the B vectors and
// the A splats of one k-step must all fit or the kernel spills and loses half its speed.
// Relaxed (FMA): 2x16 = 8 acc + 4 B + 2 A. mul+add: 4x8 = 8 acc + 2 B + 1 A + 1 product.
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 2 : 4;
const NR: i32 = ASC_FEATURE_RELAXED_SIMD ? 16 : 8;
const KC: i32 = 256; // a B sliver (KC × NR floats) stays in L1
const MC: i32 = 96;  // an A block (MC × KC floats) stays in L2

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
 * C = A·B (+ bias broadcast over rows). A is m×k, B is k×n, or n×k when `transB` (C = A·Bᵀ);
 * all row-major, C is m×n. `bias` is 0 or n floats; `work` holds `matmul_work_bytes(m,k,n)`.
 */
export function matmul_f32(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32,
                           transB: bool, bias: usize, work: usize): void {
  if (m == 0 || n == 0) return;
  if (k == 0) { fillBias(c, m, n, bias); return; }
  if (n == 1) { gemvRows(a, b, c, m, k, bias, 0); return; } // B is a k-vector in either layout; one bias for all rows
  if (m == 1) {
    if (transB) gemvRows(b, a, c, n, k, bias, 1);  // row j of B dotted with a
    else vecmat(a, b, c, k, n, bias);
    return;
  }
  const kcMax = min(k, KC);
  const packedB = work;
  const packedA = packedB + align64(<usize>kcMax * <usize>roundUp(n, NR) * 4);
  const tile = packedA + align64(<usize>kcMax * <usize>roundUp(min(m, MC), MR) * 4);
  const ldc = <usize>n << 2;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = min(KC, k - pc);
    const first = pc == 0;
    if (transB) packBT(b, k, n, pc, kc, packedB); else packB(b, n, pc, kc, packedB);
    for (let ic = 0; ic < m; ic += MC) {
      const mc = min(MC, m - ic);
      packA(a + <usize>ic * <usize>k * 4, k, pc, kc, mc, packedA);
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
  if (ASC_FEATURE_RELAXED_SIMD) kernel2x16(kc, pa, pb, c, ldc, first, bias);
  else kernel4x8(kc, pa, pb, c, ldc, first, bias);
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

/** Packs columns pc:pc+kc of Bᵀ (B row-major n×k) into NR-wide slivers, zero-padding the last. */
function packBT(b: usize, k: i32, n: i32, pc: i32, kc: i32, out: usize): void {
  for (let jr = 0; jr < n; jr += NR) {
    const nr = min(NR, n - jr);
    const dst = out + <usize>jr * <usize>kc * 4;
    for (let j = 0; j < NR; j++) {
      const d = dst + (<usize>j << 2);
      if (j < nr) {
        const src = b + (<usize>(jr + j) * <usize>k + <usize>pc) * 4;
        for (let p = 0; p < kc; p++) store<f32>(d + <usize>(p * NR) * 4, load<f32>(src + (<usize>p << 2)));
      } else {
        for (let p = 0; p < kc; p++) store<f32>(d + <usize>(p * NR) * 4, 0);
      }
    }
  }
}

/** Packs A[0:mc, pc:pc+kc] (A row-major, row length k) into MR-tall slivers, zero-padding the last. */
function packA(a: usize, k: i32, pc: i32, kc: i32, mc: i32, out: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const dst = out + <usize>ir * <usize>kc * 4;
    for (let i = 0; i < MR; i++) {
      const d = dst + (<usize>i << 2);
      if (i < mr) {
        const src = a + (<usize>(ir + i) * <usize>k + <usize>pc) * 4;
        for (let p = 0; p < kc; p++) store<f32>(d + <usize>(p * MR) * 4, load<f32>(src + (<usize>p << 2)));
      } else {
        for (let p = 0; p < kc; p++) store<f32>(d + <usize>(p * MR) * 4, 0);
      }
    }
  }
}

/** 2×16 tile, for the FMA build: 8 accumulators, 4 B vectors, 2 A splats per k-step. */
function kernel2x16(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, first: bool, bias: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  const end = pb + <usize>kc * 64;
  while (pb < end) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16), b2 = v128.load(pb, 32), b3 = v128.load(pb, 48);
    const a0 = v128.load32_splat(pa), a1 = v128.load32_splat(pa, 4);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01); c02 = madd(a0, b2, c02); c03 = madd(a0, b3, c03);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11); c12 = madd(a1, b2, c12); c13 = madd(a1, b3, c13);
    pa += 8; pb += 64;
  }
  const c1 = c + ldc;
  if (!first) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c02 = f32x4.add(c02, v128.load(c, 32)); c03 = f32x4.add(c03, v128.load(c, 48));
    c10 = f32x4.add(c10, v128.load(c1)); c11 = f32x4.add(c11, v128.load(c1, 16));
    c12 = f32x4.add(c12, v128.load(c1, 32)); c13 = f32x4.add(c13, v128.load(c1, 48));
  } else if (bias) {
    const b0 = v128.load(bias), b1 = v128.load(bias, 16), b2 = v128.load(bias, 32), b3 = v128.load(bias, 48);
    c00 = f32x4.add(c00, b0); c01 = f32x4.add(c01, b1); c02 = f32x4.add(c02, b2); c03 = f32x4.add(c03, b3);
    c10 = f32x4.add(c10, b0); c11 = f32x4.add(c11, b1); c12 = f32x4.add(c12, b2); c13 = f32x4.add(c13, b3);
  }
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  v128.store(c1, c10); v128.store(c1, c11, 16); v128.store(c1, c12, 32); v128.store(c1, c13, 48);
}

/** 4×8 tile, for the mul+add build: 8 accumulators, 2 B vectors, 1 A splat and 1 product live. */
function kernel4x8(kc: i32, pa: usize, pb: usize, c: usize, ldc: usize, first: bool, bias: usize): void {
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

/** y[i] = M[i,:]·x + bias[i·biasStride]: M row-major rows×k, streamed one row at a time. */
function gemvRows(mat: usize, x: usize, y: usize, rows: i32, k: i32, bias: usize, biasStride: i32): void {
  // One row at a time keeps the read at memory speed (interleaving rows measured slower).
  const rowBytes = <usize>k << 2;
  for (let i = 0; i < rows; i++) {
    let s = dotRaw(mat + <usize>i * rowBytes, x, k);
    if (bias) s += load<f32>(bias + (<usize>(i * biasStride) << 2));
    store<f32>(y + (<usize>i << 2), s);
  }
}

/** y = x·B (+ bias): x k floats, B row-major k×n. Column blocks of 32 held in 8 accumulators. */
function vecmat(x: usize, b: usize, y: usize, k: i32, n: i32, bias: usize): void {
  const ldb = <usize>n << 2;
  let j = 0;
  for (; j + 32 <= n; j += 32) {
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
    let row = b + (<usize>j << 2);
    for (let p = 0; p < k; p++, row += ldb) {
      const xp = v128.load32_splat(x + (<usize>p << 2));
      s0 = madd(xp, v128.load(row), s0); s1 = madd(xp, v128.load(row, 16), s1);
      s2 = madd(xp, v128.load(row, 32), s2); s3 = madd(xp, v128.load(row, 48), s3);
      s4 = madd(xp, v128.load(row, 64), s4); s5 = madd(xp, v128.load(row, 80), s5);
      s6 = madd(xp, v128.load(row, 96), s6); s7 = madd(xp, v128.load(row, 112), s7);
    }
    const out = y + (<usize>j << 2);
    v128.store(out, s0); v128.store(out, s1, 16); v128.store(out, s2, 32); v128.store(out, s3, 48);
    v128.store(out, s4, 64); v128.store(out, s5, 80); v128.store(out, s6, 96); v128.store(out, s7, 112);
  }
  for (; j + 4 <= n; j += 4) {
    let s = f32x4.splat(0);
    let row = b + (<usize>j << 2);
    for (let p = 0; p < k; p++, row += ldb) s = madd(v128.load32_splat(x + (<usize>p << 2)), v128.load(row), s);
    v128.store(y + (<usize>j << 2), s);
  }
  for (; j < n; j++) {
    let s: f32 = 0;
    let row = b + (<usize>j << 2);
    for (let p = 0; p < k; p++, row += ldb) s += load<f32>(x + (<usize>p << 2)) * load<f32>(row);
    store<f32>(y + (<usize>j << 2), s);
  }
  if (bias) {
    for (let i = 0; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(y + o, load<f32>(y + o) + load<f32>(bias + o));
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
