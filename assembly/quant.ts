// Scores of int8 vectors: the scan of a VectorIndex with "i8" storage. Rows hold int8 codes in
// [-127, 127] with one f32 scale each; queries hold int16 codes (the wrapper keeps them within
// ±2047 so i32 sums cannot overflow). Each 16 codes are sign-extended to i16 and multiplied
// pairwise into i32 lanes (i32x4.dot_i16x8_s: one pmaddwd on x86). A batch goes four queries
// against two adjacent rows at a time; one query against four rows from the table's four
// quarters.
// Rows are zero-padded to `stride` codes, a multiple of 32: no tails.

/** Rows per block: a block of codes stays in L2 while every query of a batch passes over it. */
const BLOCK_ROWS = 256;

/**
 * out[j·ldo + i] = rowScales[i]·qScales[j]·Σ codes[i,·]·q[j,·] for n rows of `stride` int8
 * codes and nq queries of `stride` int16 codes (stride a multiple of 32).
 */
export function dot_i8_rows(codes: usize, stride: i32, n: i32, q: usize, nq: i32,
                            rowScales: usize, qScales: usize, out: usize, ldo: i32): void {
  if (nq == 1 && n >= 16) {
    // One query: a row from each quarter of the table per step, so memory serves four streams
    // at once (see gemvRows in matmul.ts); the rest below.
    const qs = load<f32>(qScales), quarter = n >> 2, qb = <usize>quarter * <usize>stride;
    for (let i = 0; i < quarter; i++) {
      const r0 = codes + <usize>i * stride;
      const acc = dot4(r0, r0 + qb, r0 + 2 * qb, r0 + 3 * qb, q, stride);
      storeScore(out, rowScales, i, i32x4.extract_lane(acc, 0), qs);
      storeScore(out, rowScales, i + quarter, i32x4.extract_lane(acc, 1), qs);
      storeScore(out, rowScales, i + 2 * quarter, i32x4.extract_lane(acc, 2), qs);
      storeScore(out, rowScales, i + 3 * quarter, i32x4.extract_lane(acc, 3), qs);
    }
    dot_i8_rows(codes + <usize>(4 * quarter) * stride, stride, n - 4 * quarter, q, 1,
      rowScales + (<usize>(4 * quarter) << 2), qScales, out + (<usize>(4 * quarter) << 2), ldo);
    return;
  }
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const i1 = min(n, i0 + BLOCK_ROWS);
    let j = 0;
    for (; j + 4 <= nq; j += 4) {
      let i = i0;
      for (; i + 2 <= i1; i += 2) tile2x4(codes, stride, i, q, j, rowScales, qScales, out, ldo);
      for (let t = j; t < j + 4; t++) scoreRows(codes, stride, i, i1, q, t, rowScales, qScales, out, ldo); // an odd last row
    }
    for (; j < nq; j++) scoreRows(codes, stride, i0, i1, q, j, rowScales, qScales, out, ldo);
  }
}

/** Scores rows from..to-1 against query j alone, two rows at a time. */
function scoreRows(codes: usize, stride: i32, from: i32, to: i32, q: usize, j: i32,
                   rowScales: usize, qScales: usize, out: usize, ldo: i32): void {
  const qj = q + (<usize>j * stride << 1), qs = load<f32>(qScales + (<usize>j << 2));
  const oj = out + (<usize>j * <usize>ldo << 2);
  for (let i = from; i < to; i += 2) {
    const r0 = codes + <usize>i * stride;
    const acc = dot2(r0, i + 1 < to ? r0 + stride : r0, qj, stride);
    storeScore(oj, rowScales, i, i32x4.extract_lane(acc, 0), qs);
    if (i + 1 < to) storeScore(oj, rowScales, i + 1, i32x4.extract_lane(acc, 1), qs);
  }
}

/**
 * Rows i and i+1 against queries j..j+3: eight i32 accumulators, so each load of codes serves
 * four queries and each load of a query two rows (1.3-1.4× the rate of one query over two rows;
 * the loop fills V8's 15 xmm registers without a spill).
 */
// @ts-ignore: decorator
@inline function tile2x4(codes: usize, stride: i32, i: i32, q: usize, j: i32,
                         rowScales: usize, qScales: usize, out: usize, ldo: i32): void {
  let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
  let t0 = i32x4.splat(0), t1 = i32x4.splat(0), t2 = i32x4.splat(0), t3 = i32x4.splat(0);
  const qs = <usize>stride << 1;
  let a = codes + <usize>i * stride, qp = q + <usize>j * qs;
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
  // lane t of sa / sb: row i / i+1 against query j+t
  const sa = laneSums(s0, s1, s2, s3), sb = laneSums(t0, t1, t2, t3);
  const ld = <usize>ldo << 2, o = out + <usize>j * ld, qsj = qScales + (<usize>j << 2);
  storeTwo(o, rowScales, i, i32x4.extract_lane(sa, 0), i32x4.extract_lane(sb, 0), load<f32>(qsj));
  storeTwo(o + ld, rowScales, i, i32x4.extract_lane(sa, 1), i32x4.extract_lane(sb, 1), load<f32>(qsj, 4));
  storeTwo(o + 2 * ld, rowScales, i, i32x4.extract_lane(sa, 2), i32x4.extract_lane(sb, 2), load<f32>(qsj, 8));
  storeTwo(o + 3 * ld, rowScales, i, i32x4.extract_lane(sa, 3), i32x4.extract_lane(sb, 3), load<f32>(qsj, 12));
}

/** The scores of rows i and i+1 (integer dots da, db) against one query of scale qs. */
// @ts-ignore: decorator
@inline function storeTwo(out: usize, rowScales: usize, i: i32, da: i32, db: i32, qs: f32): void {
  storeScore(out, rowScales, i, da, qs);
  storeScore(out, rowScales, i + 1, db, qs);
}

/** Lane r = the sum of the lanes of the r-th argument. */
// @ts-ignore: decorator
@inline function laneSums(a: v128, b: v128, c: v128, d: v128): v128 {
  const t0 = i32x4.add(v128.shuffle<i32>(a, b, 0, 4, 1, 5), v128.shuffle<i32>(a, b, 2, 6, 3, 7));
  const t1 = i32x4.add(v128.shuffle<i32>(c, d, 0, 4, 1, 5), v128.shuffle<i32>(c, d, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(t0, t1, 0, 1, 4, 5), v128.shuffle<i32>(t0, t1, 2, 3, 6, 7));
}

/** out[row] = dot · rowScales[row] · qs, rounded in that order as the batch path does: a query scores the same alone or in a batch. */
// @ts-ignore: decorator
@inline function storeScore(out: usize, rowScales: usize, row: i32, dot: i32, qs: f32): void {
  store<f32>(out + (<usize>row << 2), <f32>dot * load<f32>(rowScales + (<usize>row << 2)) * qs);
}

/** The integer dots of rows a, b, c and d with q (i16 codes), in lanes 0-3. */
// @ts-ignore: decorator
@inline function dot4(a: usize, b: usize, c: usize, d: usize, q: usize, stride: i32): v128 {
  let sa = i32x4.splat(0), sb = i32x4.splat(0), sc = i32x4.splat(0), sd = i32x4.splat(0);
  const end = a + <usize>stride;
  for (; a < end; a += 16, b += 16, c += 16, d += 16, q += 32) {
    const q0 = v128.load(q), q1 = v128.load(q, 16);
    sa = i32x4.add(sa, i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(a), q0), i32x4.dot_i16x8_s(v128.load8x8_s(a, 8), q1)));
    sb = i32x4.add(sb, i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(b), q0), i32x4.dot_i16x8_s(v128.load8x8_s(b, 8), q1)));
    sc = i32x4.add(sc, i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(c), q0), i32x4.dot_i16x8_s(v128.load8x8_s(c, 8), q1)));
    sd = i32x4.add(sd, i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(d), q0), i32x4.dot_i16x8_s(v128.load8x8_s(d, 8), q1)));
  }
  return laneSums(sa, sb, sc, sd);
}

/** The integer dots of rows a and b with q (i16 codes), in lanes 0 and 1. */
// Eight codes at a time come in sign-extended by the load itself (one pmovsxbw from memory on
// x86, against three instructions to split and extend a 16-byte load), and 32 codes per step
// halve the loop's bookkeeping: 1.2-1.4× the rows per second of the 16-byte version.
// @ts-ignore: decorator
@inline function dot2(a: usize, b: usize, q: usize, stride: i32): v128 {
  let sa = i32x4.splat(0), sb = i32x4.splat(0);
  const end = a + <usize>stride;
  for (; a < end; a += 32, b += 32, q += 64) {
    const q0 = v128.load(q), q1 = v128.load(q, 16), q2 = v128.load(q, 32), q3 = v128.load(q, 48);
    sa = i32x4.add(sa, i32x4.add(
      i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(a), q0), i32x4.dot_i16x8_s(v128.load8x8_s(a, 8), q1)),
      i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(a, 16), q2), i32x4.dot_i16x8_s(v128.load8x8_s(a, 24), q3))));
    sb = i32x4.add(sb, i32x4.add(
      i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(b), q0), i32x4.dot_i16x8_s(v128.load8x8_s(b, 8), q1)),
      i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(b, 16), q2), i32x4.dot_i16x8_s(v128.load8x8_s(b, 24), q3))));
  }
  // lane 0: Σ sa, lane 1: Σ sb
  const t = i32x4.add(v128.shuffle<i32>(sa, sb, 0, 4, 2, 6), v128.shuffle<i32>(sa, sb, 1, 5, 3, 7));
  return i32x4.add(t, v128.shuffle<i32>(t, t, 2, 3, 0, 1));
}
