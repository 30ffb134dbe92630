// Row-wise softmax, numerically stable: the row maximum is subtracted before exponentiating.
import { EXP_MIN, exp4, expInRange, expUpTo88, hmax, hmin } from "./simd";

/**
 * out[r,:] = softmax(a[r,:]) for `rows` rows of n floats (out may equal a). A row whose entries
 * are all -Infinity has no mass to share and becomes all zeros; NaN anywhere in a row makes that
 * row NaN; +Infinity entries make the row NaN as well (as in numpy).
 */
export function softmax_rows_f32(a: usize, out: usize, rows: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < rows; r++) softmaxRow(a + <usize>r * rowBytes, out + <usize>r * rowBytes, n);
}

/** y[0:n] = softmax(x[0:n]) (y may equal x): one row of `softmax_rows_f32`. */
export function softmaxRow(x: usize, y: usize, n: i32): void {
  if (n == 0) return;
  // Four running maxima: one would wait on maxps's latency at every step. Pseudo-max may pass
  // over a NaN; exp(NaN − max) then makes the whole row NaN all the same. The minima tell
  // whether any x − max falls below exp's range (see below).
  let m0 = f32x4.splat(-Infinity), m1 = m0, m2 = m0, m3 = m0;
  let l0 = f32x4.splat(Infinity), l1 = l0, l2 = l0, l3 = l0;
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const a = v128.load(x + o), b = v128.load(x + o, 16), c = v128.load(x + o, 32), d = v128.load(x + o, 48);
    m0 = f32x4.pmax(m0, a); m1 = f32x4.pmax(m1, b); m2 = f32x4.pmax(m2, c); m3 = f32x4.pmax(m3, d);
    l0 = f32x4.pmin(l0, a); l1 = f32x4.pmin(l1, b); l2 = f32x4.pmin(l2, c); l3 = f32x4.pmin(l3, d);
  }
  for (; i + 4 <= n; i += 4) { const a = v128.load(x + (<usize>i << 2)); m0 = f32x4.pmax(m0, a); l0 = f32x4.pmin(l0, a); }
  let mx = hmax(f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3)));
  let mn = hmin(f32x4.pmin(f32x4.pmin(l0, l1), f32x4.pmin(l2, l3)));
  for (; i < n; i++) { const a = load<f32>(x + (<usize>i << 2)); mx = Mathf.max(mx, a); mn = Mathf.min(mn, a); }
  if (mx == -Infinity) { memory.fill(y, 0, <usize>n << 2); return; }

  const mxv = f32x4.splat(mx);
  // When no x − max lies below exp's range (no -Infinity, no entry 87 below the max: most
  // rows), exp skips its flush to 0, two operations of some sixteen: softmax 512×512 took
  // 3-8 % less time (alternating builds, Node 20 and 24). Two functions, each with one exp:
  // both exps inlined in one loop body (or chosen per element) made it 25-30 % slower.
  const sv = mn - mx >= EXP_MIN ? expRowInRange(x, y, n, mxv) : expRowFlushed(x, y, n, mxv);
  i = n & ~3;
  // The tail goes through the same exp so every element has the same accuracy.
  let sum = f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1)
    + f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const e = f32x4.extract_lane(expUpTo88(f32x4.splat(load<f32>(x + o) - mx)), 0);
    store<f32>(y + o, e);
    sum += e;
  }

  const invs: f32 = 1 / sum;
  const inv = f32x4.splat(invs);
  i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.mul(v128.load(y + o), inv));
    v128.store(y + o, f32x4.mul(v128.load(y + o, 16), inv), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.mul(v128.load(y + o), inv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) * invs);
  }
}

/** exp of n floats with the softmax's SIMD exp (exported so tests can measure its accuracy). */
export function exp_f32(a: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const y0 = exp4(v128.load(a + o)), y1 = exp4(v128.load(a + o, 16)); // both before the stores: see activateRows
    const y2 = exp4(v128.load(a + o, 32)), y3 = exp4(v128.load(a + o, 48));
    v128.store(out + o, y0);
    v128.store(out + o, y1, 16);
    v128.store(out + o, y2, 32);
    v128.store(out + o, y3, 48);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, exp4(v128.load(a + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, f32x4.extract_lane(exp4(f32x4.splat(load<f32>(a + o))), 0));
  }
}

/**
 * Prepares attention scores in place for softmax: s = s·scale + mask, and with `causal`
 * -Infinity where key j lies after query i's position i + (cols − rows). `mask` is 0 or a
 * rows×cols additive matrix with row stride ldm.
 */
export function mask_scores_f32(s: usize, rows: i32, cols: i32, scale: f32, mask: usize, ldm: i32, causal: bool): void {
  const offset = cols - rows;
  for (let i = 0; i < rows; i++) {
    const row = s + <usize>i * <usize>cols * 4;
    const m = mask ? mask + <usize>i * <usize>ldm * 4 : 0;
    const visible = causal ? max(0, min(cols, i + offset + 1)) : cols;
    for (let j = 0; j < visible; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, load<f32>(row + o) * scale + (m ? load<f32>(m + o) : 0));
    }
    for (let j = visible; j < cols; j++) store<f32>(row + (<usize>j << 2), -Infinity);
  }
}

/** y[i] = exp(x[i] − max) for the whole vectors of a row, every x − max ≥ EXP_MIN; returns their lane-wise sum. */
function expRowInRange(x: usize, y: usize, n: i32, mxv: v128): v128 { return expRow(x, y, n, mxv, false); }
/** `expRowInRange` for any row: exps below EXP_MIN are flushed to 0. */
function expRowFlushed(x: usize, y: usize, n: i32, mxv: v128): v128 { return expRow(x, y, n, mxv, true); }

// @ts-ignore: decorator
@inline function expRow(x: usize, y: usize, n: i32, mxv: v128, flush: bool): v128 {
  let sv = f32x4.splat(0);
  let i = 0;
  // Four independent exps per step: each is a chain of some 15 dependent operations, and the
  // CPU overlaps only as many chains as its scheduler holds (one per step: 0.34 ms; two: 0.30;
  // four: 10-14 % less again, alternating builds; six spilled and were slower). All four are
  // computed before the stores (see activateRows). One running sum: a second one spilled.
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    const e0 = expOf(f32x4.sub(v128.load(x + o), mxv), flush), e1 = expOf(f32x4.sub(v128.load(x + o, 16), mxv), flush);
    const e2 = expOf(f32x4.sub(v128.load(x + o, 32), mxv), flush), e3 = expOf(f32x4.sub(v128.load(x + o, 48), mxv), flush);
    v128.store(y + o, e0);
    v128.store(y + o, e1, 16);
    v128.store(y + o, e2, 32);
    v128.store(y + o, e3, 48);
    sv = f32x4.add(sv, f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const e = expOf(f32x4.sub(v128.load(x + o), mxv), flush);
    v128.store(y + o, e);
    sv = f32x4.add(sv, e);
  }
  return sv;
}

// @ts-ignore: decorator
@inline function expOf(x: v128, flush: bool): v128 { return flush ? expUpTo88(x) : expInRange(x); }
