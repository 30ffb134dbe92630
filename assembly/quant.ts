// Scores of int8 vectors: the scan of a VectorIndex with "i8" storage. Rows hold int8 codes in
// [-127, 127] with one f32 scale each; queries come as int16 codes within ±i8_query_limit().
// Rows are zero-padded to `stride` codes, a multiple of 32: no tails. A batch goes four queries
// against two adjacent rows at a time; one query against four rows from the table's four
// quarters.
//
// The mul+add build sign-extends each 8 codes to i16 (by the load itself: one pmovsxbw from
// memory on x86) and multiplies them pairwise into i32 lanes (i32x4.dot_i16x8_s: one pmaddwd),
// with 12-bit queries (±2047, so i32 sums stay exact up to 32768 codes): six vector operations
// per 16 codes, which keep the scan compute-bound.
// The relaxed build multiplies 16 codes at once by the relaxed dot (pmaddubsw + pmaddwd on x86
// without AVX-VNNI, sdot on Arm), which is exact only while the second operand's bytes are in
// [0, 127]. So its queries carry 7 bits: codes within ±63, stored as q + 64, and
// each row's dot corrected by 64·Σ codes (kept beside each row's scale). Pairs of products
// stay within i16 (2·127·127), so no platform saturates. The fused i32x4 dot-add is used where
// a check on the first scan finds it right (see `fusedDotWorks`). Both builds give exact
// integer dots of the codes they were given; the relaxed build's coarser query codes make its
// scores a little less precise (re-ranking restores the exact order).

/** The largest |code| of a query this build's scan takes. */
export function i8_query_limit(): i32 {
  return ASC_FEATURE_RELAXED_SIMD ? 63 : 2047;
}

/** Scratch bytes `dot_i8_rows` needs for nq queries of `stride` codes (the relaxed build's byte copies). */
export function i8_work_bytes(nq: i32, stride: i32): usize {
  return ASC_FEATURE_RELAXED_SIMD ? <usize>nq * <usize>stride : 0;
}

/** What the relaxed build adds to every query code to make it non-negative. */
const QUERY_OFFSET = 64;
/** Bytes per query code in the scan's own layout. */
const QB: usize = ASC_FEATURE_RELAXED_SIMD ? 1 : 2;

/** Rows per block: a block of codes stays in L2 while every query of a batch passes over it. */
const BLOCK_ROWS = 256;

/**
 * out[j·ldo + i] = scale[i]·qScales[j]·Σ codes[i,·]·q[j,·] for n rows of `stride` int8 codes
 * and nq queries of `stride` int16 codes within ±i8_query_limit() (stride a multiple of 32).
 * rowMeta holds each row's scale (f32) then Σ codes[i,·] (i32, the relaxed build's
 * correction): eight bytes per row. `work` holds `i8_work_bytes(nq, stride)`.
 */
export function dot_i8_rows(codes: usize, stride: i32, n: i32, q: usize, nq: i32, rowMeta: usize,
                            qScales: usize, out: usize, ldo: i32, work: usize): void {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // The queries as bytes q + 64, once per call (nq·stride bytes, against n·nq·stride products).
    const offset = i8x16.splat(<i8>QUERY_OFFSET);
    for (let p: usize = 0, end = <usize>nq * <usize>stride; p < end; p += 16) {
      const lo = v128.load(q + (p << 1)), hi = v128.load(q + (p << 1), 16);
      v128.store(work + p, i8x16.add(i8x16.narrow_i16x8_s(lo, hi), offset));
    }
    q = work;
    if (fusedDot < 0) fusedDot = fusedDotWorks() ? 1 : 0;
  }
  if (nq == 1 && n >= 16) {
    // One query: a row from each quarter of the table per step, so memory serves four streams
    // at once (see gemvRows in matmul.ts); the last n % 4 rows two at a time.
    const qs = load<f32>(qScales), quarter = n >> 2, qb = <usize>quarter * <usize>stride;
    for (let i = 0; i < quarter; i++) {
      const r0 = codes + <usize>i * stride;
      const acc = useFused()
        ? dot4(r0, r0 + qb, r0 + 2 * qb, r0 + 3 * qb, q, stride, true)
        : dot4(r0, r0 + qb, r0 + 2 * qb, r0 + 3 * qb, q, stride, false);
      storeScore(out, rowMeta, i, i32x4.extract_lane(acc, 0), qs);
      storeScore(out, rowMeta, i + quarter, i32x4.extract_lane(acc, 1), qs);
      storeScore(out, rowMeta, i + 2 * quarter, i32x4.extract_lane(acc, 2), qs);
      storeScore(out, rowMeta, i + 3 * quarter, i32x4.extract_lane(acc, 3), qs);
    }
    scoreRows(codes, stride, 4 * quarter, n, q, 0, rowMeta, qScales, out, ldo);
    return;
  }
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const i1 = min(n, i0 + BLOCK_ROWS);
    let j = 0;
    for (; j + 4 <= nq; j += 4) {
      let i = i0;
      if (useFused()) for (; i + 2 <= i1; i += 2) tile2x4(codes, stride, i, q, j, rowMeta, qScales, out, ldo, true);
      else for (; i + 2 <= i1; i += 2) tile2x4(codes, stride, i, q, j, rowMeta, qScales, out, ldo, false);
      for (let t = j; t < j + 4; t++) scoreRows(codes, stride, i, i1, q, t, rowMeta, qScales, out, ldo); // an odd last row
    }
    for (; j < nq; j++) scoreRows(codes, stride, i0, i1, q, j, rowMeta, qScales, out, ldo);
  }
}

/** Scores rows from..to-1 against query j alone, two rows at a time. */
function scoreRows(codes: usize, stride: i32, from: i32, to: i32, q: usize, j: i32,
                   rowMeta: usize, qScales: usize, out: usize, ldo: i32): void {
  const qj = q + <usize>j * <usize>stride * QB, qs = load<f32>(qScales + (<usize>j << 2));
  const oj = out + (<usize>j * <usize>ldo << 2);
  for (let i = from; i < to; i += 2) {
    const r0 = codes + <usize>i * stride;
    const r1 = i + 1 < to ? r0 + stride : r0;
    const acc = useFused() ? dot2(r0, r1, qj, stride, true) : dot2(r0, r1, qj, stride, false);
    storeScore(oj, rowMeta, i, i32x4.extract_lane(acc, 0), qs);
    if (i + 1 < to) storeScore(oj, rowMeta, i + 1, i32x4.extract_lane(acc, 1), qs);
  }
}

/**
 * Rows i and i+1 against queries j..j+3: eight i32 accumulators, so each load of codes serves
 * four queries and each load of a query two rows (1.3-1.4× the rate of one query over two rows;
 * the loop fills V8's 15 xmm registers without a spill).
 */
// @ts-ignore: decorator
@inline function tile2x4(codes: usize, stride: i32, i: i32, q: usize, j: i32,
                         rowMeta: usize, qScales: usize, out: usize, ldo: i32, fused: bool): void {
  let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
  let t0 = i32x4.splat(0), t1 = i32x4.splat(0), t2 = i32x4.splat(0), t3 = i32x4.splat(0);
  const qs = <usize>stride * QB;
  let a = codes + <usize>i * stride, qp = q + <usize>j * qs;
  if (ASC_FEATURE_RELAXED_SIMD) {
    for (const end = a + <usize>stride; a < end; a += 16, qp += 16) {
      const x = v128.load(a), y = v128.load(a + <usize>stride);
      let v = v128.load(qp);
      s0 = dotAdd(x, v, s0, fused); t0 = dotAdd(y, v, t0, fused);
      v = v128.load(qp + qs);
      s1 = dotAdd(x, v, s1, fused); t1 = dotAdd(y, v, t1, fused);
      v = v128.load(qp + 2 * qs);
      s2 = dotAdd(x, v, s2, fused); t2 = dotAdd(y, v, t2, fused);
      v = v128.load(qp + 3 * qs);
      s3 = dotAdd(x, v, s3, fused); t3 = dotAdd(y, v, t3, fused);
    }
  } else {
    for (const end = a + <usize>stride; a < end; a += 8, qp += 16) {
      const x = v128.load8x8_s(a), y = v128.load8x8_s(a + <usize>stride);
      let v = v128.load(qp);
      s0 = i32x4.add(s0, i32x4.dot_i16x8_s(x, v)); t0 = i32x4.add(t0, i32x4.dot_i16x8_s(y, v));
      v = v128.load(qp + qs);
      s1 = i32x4.add(s1, i32x4.dot_i16x8_s(x, v)); t1 = i32x4.add(t1, i32x4.dot_i16x8_s(y, v));
      v = v128.load(qp + 2 * qs);
      s2 = i32x4.add(s2, i32x4.dot_i16x8_s(x, v)); t2 = i32x4.add(t2, i32x4.dot_i16x8_s(y, v));
      v = v128.load(qp + 3 * qs);
      s3 = i32x4.add(s3, i32x4.dot_i16x8_s(x, v)); t3 = i32x4.add(t3, i32x4.dot_i16x8_s(y, v));
    }
  }
  // lane t of sa / sb: row i / i+1 against query j+t
  const sa = laneSums(s0, s1, s2, s3), sb = laneSums(t0, t1, t2, t3);
  const ld = <usize>ldo << 2, o = out + <usize>j * ld, qsj = qScales + (<usize>j << 2);
  storeTwo(o, rowMeta, i, i32x4.extract_lane(sa, 0), i32x4.extract_lane(sb, 0), load<f32>(qsj));
  storeTwo(o + ld, rowMeta, i, i32x4.extract_lane(sa, 1), i32x4.extract_lane(sb, 1), load<f32>(qsj, 4));
  storeTwo(o + 2 * ld, rowMeta, i, i32x4.extract_lane(sa, 2), i32x4.extract_lane(sb, 2), load<f32>(qsj, 8));
  storeTwo(o + 3 * ld, rowMeta, i, i32x4.extract_lane(sa, 3), i32x4.extract_lane(sb, 3), load<f32>(qsj, 12));
}

/** The scores of rows i and i+1 (integer dots da, db) against one query of scale qs. */
// @ts-ignore: decorator
@inline function storeTwo(out: usize, rowMeta: usize, i: i32, da: i32, db: i32, qs: f32): void {
  storeScore(out, rowMeta, i, da, qs);
  storeScore(out, rowMeta, i + 1, db, qs);
}

/** Lane r = the sum of the lanes of the r-th argument. */
// @ts-ignore: decorator
@inline function laneSums(a: v128, b: v128, c: v128, d: v128): v128 {
  const t0 = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const t1 = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(t0, t1, 0, 1, 4, 5), v128.shuffle<i32>(t0, t1, 2, 3, 6, 7));
}

/**
 * out[row] = dot · scale[row] · qs, rounded in that order everywhere: a query scores the same
 * alone or in a batch. The relaxed build first takes the query offset's share out of dot.
 */
// @ts-ignore: decorator
@inline function storeScore(out: usize, rowMeta: usize, row: i32, dot: i32, qs: f32): void {
  const meta = rowMeta + (<usize>row << 3);
  if (ASC_FEATURE_RELAXED_SIMD) dot -= load<i32>(meta, 4) * QUERY_OFFSET;
  store<f32>(out + (<usize>row << 2), <f32>dot * load<f32>(meta) * qs);
}

/**
 * acc + Σ of each four products x[i]·q[i] in its i32 lane: int8 x, q's bytes in [0, 127] (the
 * relaxed build). `fused`: one i32x4 relaxed dot-add (under Node 24 the one-query scan of
 * 100k × 384 took 1.84 against 2.28 ms, four queries over 20k × 384 0.37 against 0.68); else
 * the relaxed dot to i16 and a pairwise add, for runtimes whose fused form is wrong (see
 * `fusedDotWorks`). The two agree wherever both are right; under Node 20 they ran alike.
 */
// @ts-ignore: decorator
@inline function dotAdd(x: v128, q: v128, acc: v128, fused: bool): v128 {
  if (fused) return i32x4.relaxed_dot_i8x16_i7x16_add_s(x, q, acc);
  return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(x, q)));
}

/** Whether the scan uses the fused dot-add: -1 until the first scan checks it. */
let fusedDot: i32 = -1;

/** The relaxed build, on a runtime whose fused dot-add is right. */
// @ts-ignore: decorator
@inline function useFused(): bool { return ASC_FEATURE_RELAXED_SIMD && fusedDot == 1; }

// A check of the fused dot-add: sixteen int8 codes, sixteen query bytes in [0, 127] (pairs of
// products at ±32258, the i16 extremes the scan can meet), four accumulators, and the sums.
const PROBE_X = memory.data<i8>([127, 127, -1, 1, -127, -127, 100, -100, 5, -5, 17, -33, 0, 127, -127, 2]);
const PROBE_Q = memory.data<u8>([127, 127, 0, 1, 127, 127, 100, 99, 127, 0, 1, 2, 50, 1, 1, 127]);
const PROBE_ACC = memory.data<i32>([1000, -7, 0, 123456]);
const PROBE_WANT = memory.data<i32>([33259, -32165, 586, 123710]);

/**
 * Whether i32x4.relaxed_dot_i8x16_i7x16_add_s gives the exact sums here. Node 20's baseline
 * compiler (Liftoff, which runs a function's first calls) returns twice the sum; its optimising
 * compiler and Node 24's both are right. Checked on the first scan, so on the baseline code
 * wherever a runtime has one.
 */
function fusedDotWorks(): bool {
  const got = i32x4.relaxed_dot_i8x16_i7x16_add_s(v128.load(PROBE_X), v128.load(PROBE_Q), v128.load(PROBE_ACC));
  return i32x4.all_true(i32x4.eq(got, v128.load(PROBE_WANT)));
}

/** The integer dots of rows a, b, c and d with q (in the build's query layout), in lanes 0-3. */
// @ts-ignore: decorator
@inline function dot4(a: usize, b: usize, c: usize, d: usize, q: usize, stride: i32, fused: bool): v128 {
  let sa = i32x4.splat(0), sb = i32x4.splat(0), sc = i32x4.splat(0), sd = i32x4.splat(0);
  const end = a + <usize>stride;
  if (ASC_FEATURE_RELAXED_SIMD) {
    for (; a < end; a += 16, b += 16, c += 16, d += 16, q += 16) {
      const qv = v128.load(q);
      sa = dotAdd(v128.load(a), qv, sa, fused);
      sb = dotAdd(v128.load(b), qv, sb, fused);
      sc = dotAdd(v128.load(c), qv, sc, fused);
      sd = dotAdd(v128.load(d), qv, sd, fused);
    }
  } else {
    for (; a < end; a += 16, b += 16, c += 16, d += 16, q += 32) {
      const q0 = v128.load(q), q1 = v128.load(q, 16);
      sa = i32x4.add(sa, i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(a), q0), i32x4.dot_i16x8_s(v128.load8x8_s(a, 8), q1)));
      sb = i32x4.add(sb, i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(b), q0), i32x4.dot_i16x8_s(v128.load8x8_s(b, 8), q1)));
      sc = i32x4.add(sc, i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(c), q0), i32x4.dot_i16x8_s(v128.load8x8_s(c, 8), q1)));
      sd = i32x4.add(sd, i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(d), q0), i32x4.dot_i16x8_s(v128.load8x8_s(d, 8), q1)));
    }
  }
  return laneSums(sa, sb, sc, sd);
}

/** The integer dots of rows a and b with q (in the build's query layout), in lanes 0 and 1. */
// The mul+add build: eight codes at a time come in sign-extended by the load itself (one
// pmovsxbw from memory on x86, against three instructions to split and extend a 16-byte load),
// and 32 codes per step halve the loop's bookkeeping: 1.2-1.4× the rows per second of the
// 16-byte version.
// @ts-ignore: decorator
@inline function dot2(a: usize, b: usize, q: usize, stride: i32, fused: bool): v128 {
  let sa = i32x4.splat(0), sb = i32x4.splat(0);
  const end = a + <usize>stride;
  if (ASC_FEATURE_RELAXED_SIMD) {
    for (; a < end; a += 32, b += 32, q += 32) {
      const q0 = v128.load(q), q1 = v128.load(q, 16);
      sa = dotAdd(v128.load(a, 16), q1, dotAdd(v128.load(a), q0, sa, fused), fused);
      sb = dotAdd(v128.load(b, 16), q1, dotAdd(v128.load(b), q0, sb, fused), fused);
    }
  } else {
    for (; a < end; a += 32, b += 32, q += 64) {
      const q0 = v128.load(q), q1 = v128.load(q, 16), q2 = v128.load(q, 32), q3 = v128.load(q, 48);
      sa = i32x4.add(sa, i32x4.add(
        i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(a), q0), i32x4.dot_i16x8_s(v128.load8x8_s(a, 8), q1)),
        i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(a, 16), q2), i32x4.dot_i16x8_s(v128.load8x8_s(a, 24), q3))));
      sb = i32x4.add(sb, i32x4.add(
        i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(b), q0), i32x4.dot_i16x8_s(v128.load8x8_s(b, 8), q1)),
        i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(b, 16), q2), i32x4.dot_i16x8_s(v128.load8x8_s(b, 24), q3))));
    }
  }
  // lane 0: Σ sa, lane 1: Σ sb
  const t = i32x4.add(v128.shuffle<i32>(sa, sb, 0, 4, 2, 6), v128.shuffle<i32>(sa, sb, 1, 5, 3, 7));
  return i32x4.add(t, v128.shuffle<i32>(t, t, 2, 3, 0, 1));
}
