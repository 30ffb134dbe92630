// Matrix products. GEMM follows GotoBLAS: B is packed into NR-wide slivers (kc × NR), A into
// MR-tall slivers (MR × kc), and a register-blocked micro-kernel multiplies one sliver pair into
// an MR × NR tile of C held in v128 locals. Loop order jc/pc/ic/jr/ir. Products with one row
// or one column are bandwidth-bound and go to the streaming kernels below instead.
import { madd, hsum, dotRaw, transpose4x4 } from "./simd";
import { MR, NR, KC, MC, STAGE_ROWS, roundUp, align64, microKernel, narrowKernel, rowKernel, storeEdge, packB, packRows, packRowsStaged } from "./gemm";
import { activateBlock } from "./activation";
import { axpy4, axpy4x2, axpy_f32 } from "./vector";

// Column blocking. When A is a single block (m ≤ MC, k ≤ KC: a batch of queries, a layer's
// batch) it is packed once, and B goes NC_SMALL columns at a time: the packed block (≤ 450 KiB)
// is still in L2 when the micro-kernel reads it (64 queries × 100k embeddings: 8-12 % faster
// than 4k-column blocks; 8 to 64 slivers measured alike). Otherwise NC = n up to NC_MAX
// (narrower blocks, each repacking A, measured 10-35 % slower on square products), NC_BLOCK beyond.
const NC_SMALL: i32 = NR * 24;
const NC_MAX: i32 = NR * 700;
const NC_BLOCK: i32 = NR * 350;
// @ts-ignore: decorator
@inline function packsAOnce(m: i32, k: i32): bool { return m <= MC && k <= KC; }
// @ts-ignore: decorator
@inline function ncOf(m: i32, k: i32, n: i32): i32 {
  return packsAOnce(m, k) ? min(n, NC_SMALL) : n <= NC_MAX ? n : NC_BLOCK;
}

/** Column slivers per pass of a fused activation: 64-96 columns of an MC-row block stay in L2. */
const ACT_SLIVERS: i32 = 8;

/**
 * Up to this many rows, A·B (B not transposed) streams B once, each group of four of its rows
 * used for every row of A while in L1, instead of packing B for a few rows of work. Measured
 * against the packed product, 2 / 4 / 8 rows (one row of X per pass over B): B 4096² (DRAM)
 * 0.22 / 0.29 / 0.45× the time, B 1536² (L3) 0.5 / 0.6 / 0.7×, B 384×1536 (L2) 0.77 / 0.8 /
 * 1.14×; two rows per pass made that 0.78× at 8 rows. (Bᵀ keeps the packed product: streaming
 * it once per row of A would read a search table several times.)
 */
const STREAM_ROWS: i32 = 8;

/** Products of one row or one column, or of few rows by B, stream their matrix instead of packing it. */
// @ts-ignore: decorator
@inline function streams(m: i32, n: i32, transB: bool): bool { return m == 1 || n == 1 || (m <= STREAM_ROWS && !transB); }

/**
 * From this size on, Bᵀ is taken to come from memory rather than cache and is packed through a
 * stage (`packRowsStaged`). 64 queries × 100k × 384 in 16k-row blocks (25 MiB each): 0-6 %
 * less time, alternating builds.
 */
const STAGED_BYTES: usize = 16 << 20;
// @ts-ignore: decorator
@inline function packsStaged(k: i32, n: i32, transB: bool): bool { return transB && <usize>n * <usize>k * 4 >= STAGED_BYTES; }

/** Scratch bytes `matmul_f32` needs for these sizes (0 when it streams). */
export function matmul_work_bytes(m: i32, k: i32, n: i32, transB: bool): usize {
  if (streams(m, n, transB)) return 0;
  return gemm_work_bytes(m, k, n) + (packsStaged(k, n, transB) ? align64(<usize>STAGE_ROWS * <usize>min(k, KC) * 4) : 0);
}

/** Scratch bytes of the blocked GEMM (m, n ≥ 2): `gemm_accumulate`'s, and `matmul_f32`'s when it packs. */
export function gemm_work_bytes(m: i32, k: i32, n: i32): usize {
  if (m == 0 || n == 0 || k == 0) return 0;
  const kc = min(k, KC);
  return align64(<usize>kc * <usize>roundUp(ncOf(m, k, n), NR) * 4) // packed B
    + align64(<usize>kc * <usize>roundUp(min(m, MC), MR) * 4)  // packed A
    + align64(<usize>(MR * NR * 4));                    // edge tile
}

/**
 * C = act(A·B + bias), bias broadcast over rows. A is m×k, B is k×n, or n×k when `transB`
 * (C = A·Bᵀ); all row-major, C is m×n. `bias` is 0 or n floats; `act` an activation code
 * (0 = none) applied to each tile as it is finished; `work` holds `matmul_work_bytes(m,k,n,transB)`.
 */
export function matmul_f32(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32,
                           transB: bool, bias: usize, act: i32, work: usize): void {
  if (m == 0 || n == 0) return;
  if (k == 0 || streams(m, n, transB)) {
    if (k == 0) fillBias(c, m, n, bias);
    else if (n == 1) gemvRows(a, b, c, m, k, bias, 0); // B is a k-vector in either layout; one bias for all rows
    else if (transB) gemvRows(b, a, c, n, k, bias, 1); // row j of B dotted with a
    else vecmat(a, b, c, m, k, n, bias);
    if (act) activateBlock(act, c, n, m, n); // few rows or one column: small, still in cache
    return;
  }
  gemm(a, b, c, m, k, n, transB, bias, act, work, false);
}

/**
 * C += A·B (A m×k, B k×n, row-major; m, n ≥ 2, k ≥ 1) on the blocked GEMM: the update of a
 * blocked Householder QR, which would otherwise write the product out and subtract it in a
 * second pass. `work` holds `gemm_work_bytes(m,k,n)`.
 */
export function gemm_accumulate(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, work: usize): void {
  gemm(a, b, c, m, k, n, false, 0, 0, work, true);
}

/** The GotoBLAS loops; with `accumulate` every k-block adds into C (none overwrites it). */
function gemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32,
              transB: bool, bias: usize, act: i32, work: usize, accumulate: bool): void {
  const onceA = packsAOnce(m, k);
  const kcMax = min(k, KC), ncMax = ncOf(m, k, n);
  const packedB = work;
  const packedA = packedB + align64(<usize>kcMax * <usize>roundUp(ncMax, NR) * 4);
  const tile = packedA + align64(<usize>kcMax * <usize>roundUp(min(m, MC), MR) * 4);
  const stage = packsStaged(k, n, transB) ? tile + align64(<usize>(MR * NR * 4)) : 0; // matmul_work_bytes counts it
  const ldc = <usize>n << 2;
  for (let jc = 0; jc < n; jc += ncMax) {
    const nc = min(ncMax, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const first = pc == 0 && !accumulate, last = pc + kc == k;
      if (stage) packRowsStaged(b + <usize>jc * <usize>k * 4, k, nc, pc, kc, NR, packedB, stage);
      else if (transB) packRows(b + <usize>jc * <usize>k * 4, k, nc, pc, kc, NR, packedB);
      else packB(b + (<usize>jc << 2), n, nc, pc, kc, packedB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        if (jc == 0 || !onceA) packRows(a + <usize>ic * <usize>k * 4, k, mc, pc, kc, MR, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const col = jc + jr;
          const pb = packedB + <usize>jr * <usize>kc * 4;
          const biasj = bias ? bias + (<usize>col << 2) : 0;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const pa = packedA + <usize>ir * <usize>kc * 4;
            const cij = c + <usize>(ic + ir) * ldc + (<usize>col << 2);
            if (mr == MR && nr == NR) {
              microKernel(kc, pa, pb, cij, ldc, first, biasj);
            } else {
              if (mr < MR) for (let r = 0; r < mr; r++) rowKernel(kc, pa + (<usize>r << 2), pb, tile + <usize>(r * NR) * 4);
              else if (nr <= 4) narrowKernel(kc, pa, pb, tile, <usize>(NR << 2), true, 0);
              else microKernel(kc, pa, pb, tile, <usize>(NR << 2), true, 0);
              storeEdge(tile, cij, ldc, mr, nr, first, biasj);
            }
          }
          // Finished columns are still in cache: apply the activation every ACT_SLIVERS slivers.
          // Per tile or per sliver, its rows were 8-12 floats long and setting up its constants
          // cost more than the math (gelu on each sliver took 2.5× its time on a whole matrix).
          if (last && act && (jr + nr == nc || (jr / NR + 1) % ACT_SLIVERS == 0)) {
            const from = jr / (NR * ACT_SLIVERS) * (NR * ACT_SLIVERS);
            activateBlock(act, c + <usize>ic * ldc + (<usize>(jc + from) << 2), n, mc, jr + nr - from);
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

/**
 * y[i] = M[i,:]·x + bias[i·biasStride]: M row-major rows×k. Long rows go six at a time,
 * sharing each load of x, so the loads per byte of M drop from 2 to 1.17; short rows four at a
 * time. Either way the rows come from separate stretches of M, so memory serves several long
 * streams at once.
 */
function gemvRows(mat: usize, x: usize, y: usize, rows: i32, k: i32, bias: usize, biasStride: i32): void {
  const rowBytes = <usize>k << 2;
  let i = 0;
  // Long rows (a 1536-wide layer) go six at a time, one vector of each a step (six
  // accumulators, x and six row vectors: 13 of the 15 xmm registers V8 allocates): 5-15 %
  // faster than three rows of two vectors; eight rows spilled and were 20 % slower. The six
  // come from the six sixths of M, so each is a stream that runs on through its sixth (six
  // adjacent rows start six short streams every step: 1536 × 1536 took 1.2-1.3× as long).
  if (k >= 1024) {
    const sixth = rows / 6, gap = <usize>sixth * rowBytes;
    for (; i < sixth; i++) {
      const r0 = mat + <usize>i * rowBytes, r1 = r0 + gap, r2 = r1 + gap;
      const r3 = r2 + gap, r4 = r3 + gap, r5 = r4 + gap;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0);
      let a3 = f32x4.splat(0), a4 = f32x4.splat(0), a5 = f32x4.splat(0);
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        const o = <usize>p << 2;
        const xv = v128.load(x + o);
        a0 = madd(v128.load(r0 + o), xv, a0); a1 = madd(v128.load(r1 + o), xv, a1);
        a2 = madd(v128.load(r2 + o), xv, a2); a3 = madd(v128.load(r3 + o), xv, a3);
        a4 = madd(v128.load(r4 + o), xv, a4); a5 = madd(v128.load(r5 + o), xv, a5);
      }
      let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3), s4 = hsum(a4), s5 = hsum(a5);
      for (; p < k; p++) {
        const o = <usize>p << 2;
        const xp = load<f32>(x + o);
        s0 += load<f32>(r0 + o) * xp; s1 += load<f32>(r1 + o) * xp; s2 += load<f32>(r2 + o) * xp;
        s3 += load<f32>(r3 + o) * xp; s4 += load<f32>(r4 + o) * xp; s5 += load<f32>(r5 + o) * xp;
      }
      storeDot(y, bias, biasStride, i, s0); storeDot(y, bias, biasStride, i + sixth, s1); storeDot(y, bias, biasStride, i + 2 * sixth, s2);
      storeDot(y, bias, biasStride, i + 3 * sixth, s3); storeDot(y, bias, biasStride, i + 4 * sixth, s4); storeDot(y, bias, biasStride, i + 5 * sixth, s5);
    }
    i = 6 * sixth;
  } else if (rows >= 16) {
    // Short rows (an embedding table: 100k × 384) go one from each quarter of the matrix per
    // step, sharing the loads of x. DRAM gives one core more bandwidth over several streams
    // far apart (1, 2, 4, 8 streams of plain reads: 9.6, 11.2, 13.8, 14.6 GB/s on Zen 4): this reads
    // the table 1.3-1.5× faster than row after row, as fast as eight streams. (Four adjacent
    // rows side by side are four short streams the prefetcher must pick up again every step,
    // and were 1.7× slower.)
    const q = rows >> 2, gap = <usize>q * rowBytes;
    for (; i < q; i++) {
      const r0 = mat + <usize>i * rowBytes, r1 = r0 + gap, r2 = r1 + gap, r3 = r2 + gap;
      // One vector of each row a step: four accumulators, x and four row vectors fit V8's
      // registers. Two vectors of each (eight accumulators) spilled vectors to the stack
      // inside the loop, and 100k × 384 took 1.1× as long (Zen 5, both builds).
      let a = f32x4.splat(0), b = f32x4.splat(0), c = f32x4.splat(0), d = f32x4.splat(0);
      let p = 0;
      for (; p + 4 <= k; p += 4) {
        const o = <usize>p << 2, xv = v128.load(x + o);
        a = madd(v128.load(r0 + o), xv, a); b = madd(v128.load(r1 + o), xv, b);
        c = madd(v128.load(r2 + o), xv, c); d = madd(v128.load(r3 + o), xv, d);
      }
      let s0 = hsum(a), s1 = hsum(b), s2 = hsum(c), s3 = hsum(d);
      for (; p < k; p++) {
        const o = <usize>p << 2, xp = load<f32>(x + o);
        s0 += load<f32>(r0 + o) * xp; s1 += load<f32>(r1 + o) * xp; s2 += load<f32>(r2 + o) * xp; s3 += load<f32>(r3 + o) * xp;
      }
      storeDot(y, bias, biasStride, i, s0); storeDot(y, bias, biasStride, i + q, s1);
      storeDot(y, bias, biasStride, i + 2 * q, s2); storeDot(y, bias, biasStride, i + 3 * q, s3);
    }
    i = q * 4;
  }
  for (; i < rows; i++) storeDot(y, bias, biasStride, i, dotRaw(mat + <usize>i * rowBytes, x, k));
}

/** y[row] = s + bias[row·biasStride] (no bias when 0). */
// @ts-ignore: decorator
@inline function storeDot(y: usize, bias: usize, biasStride: i32, row: i32, s: f32): void {
  if (bias) s += load<f32>(bias + (<usize>(row * biasStride) << 2));
  store<f32>(y + (<usize>row << 2), s);
}

/**
 * Y = X·B (+ bias) for m rows of X (k floats each) and a row-major k×n B: Y's m rows (n floats
 * each) stay in cache while B is read once, four rows at a time, one from each quarter, so the
 * four are long sequential streams (four adjacent rows took 1.1× as long at 1536 × 1536); each
 * group of four serves every row of X while in L1, two rows of X per pass (one load of B for
 * both: 1.05-1.6× the speed of one row per pass).
 */
function vecmat(x: usize, b: usize, y: usize, m: i32, k: i32, n: i32, bias: usize): void {
  const ldb = <usize>n << 2, ldx = <usize>k << 2;
  fillBias(y, m, n, bias);
  const q = k >> 2, gap = <usize>q * ldb, xq = <usize>q << 2;
  for (let p = 0; p < q; p++) {
    const r0 = b + <usize>p * ldb, r1 = r0 + gap, r2 = r1 + gap, r3 = r2 + gap;
    let i = 0;
    for (; i + 2 <= m; i += 2) axpy4x2(x + <usize>i * ldx + (<usize>p << 2), ldx, xq, r0, r1, r2, r3, y + <usize>i * ldb, ldb, n);
    if (i < m) {
      const xp = x + <usize>i * ldx + (<usize>p << 2);
      axpy4(load<f32>(xp), load<f32>(xp + xq), load<f32>(xp + 2 * xq), load<f32>(xp + 3 * xq), r0, r1, r2, r3, y + <usize>i * ldb, n);
    }
  }
  for (let p = 4 * q; p < k; p++) { // the last k % 4 rows
    for (let i = 0; i < m; i++) {
      const yi = y + <usize>i * ldb;
      axpy_f32(load<f32>(x + <usize>i * ldx + (<usize>p << 2)), b + <usize>p * ldb, yi, yi, n);
    }
  }
}

/** out (n×m) = aᵀ for a row-major m×n, in 16×16 blocks so both sides stay in cache. */
export function transpose_f32(a: usize, out: usize, m: i32, n: i32): void {
  const ld = <usize>n << 2, ldo = <usize>m << 2;
  for (let i0 = 0; i0 < m; i0 += 16) {
    const i1 = min(i0 + 16, m);
    for (let j0 = 0; j0 < n; j0 += 16) {
      const j1 = min(j0 + 16, n);
      // 4×4 tiles by lane shuffles, the edges by scalars
      let i = i0;
      for (; i + 4 <= i1; i += 4) {
        let j = j0;
        for (; j + 4 <= j1; j += 4) {
          transpose4x4(a + <usize>i * ld + (<usize>j << 2), ld, out + <usize>j * ldo + (<usize>i << 2), ldo);
        }
        for (; j < j1; j++) for (let r = i; r < i + 4; r++) transposeOne(a, out, r, j, ld, ldo);
      }
      for (; i < i1; i++) for (let j = j0; j < j1; j++) transposeOne(a, out, i, j, ld, ldo);
    }
  }
}

// @ts-ignore: decorator
@inline function transposeOne(a: usize, out: usize, i: i32, j: i32, ld: usize, ldo: usize): void {
  store<f32>(out + <usize>j * ldo + (<usize>i << 2), load<f32>(a + <usize>i * ld + (<usize>j << 2)));
}
