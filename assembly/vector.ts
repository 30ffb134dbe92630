// Vector kernels: reductions, elementwise arithmetic with broadcasting strides, row normalisation.
import { madd, hmax, dotRaw, sumRaw } from "./simd";

/** Σ a[i]·b[i] over n floats. */
export function dot_f32(a: usize, b: usize, n: i32): f32 {
  return dotRaw(a, b, n);
}

/** Euclidean norm of n floats; rescales when the plain sum of squares would overflow or underflow. */
export function norm_f32(a: usize, n: i32): f32 {
  return robustNorm(a, n);
}

// Squares overflow f32 above ~1.8e19 and vanish below ~1e-19; both are rare, so the fast path
// is one dot product and only the rare case pays a second, scaled pass.
function robustNorm(a: usize, n: i32): f32 {
  const ss = dotRaw(a, a, n);
  if (ss >= 1e-30 && ss < Infinity) return Mathf.sqrt(ss);
  if (ss != ss) return ss; // NaN in, NaN out
  const m = maxAbs(a, n);
  if (m == 0 || m == Infinity) return m;
  const inv: f32 = 1 / m;
  let s: f32 = 0;
  for (let i = 0; i < n; i++) {
    const x = load<f32>(a + (<usize>i << 2)) * inv;
    s += x * x;
  }
  return m * Mathf.sqrt(s);
}

function maxAbs(a: usize, n: i32): f32 {
  let mv = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) mv = f32x4.max(mv, f32x4.abs(v128.load(a + (<usize>i << 2))));
  let m = hmax(mv);
  for (; i < n; i++) m = Mathf.max(m, Mathf.abs(load<f32>(a + (<usize>i << 2))));
  return m;
}

// Elementwise operations (the `op` argument of binary_f32).
export const ADD = 0, SUB = 1, MUL = 2, DIV = 3;

// @ts-ignore: decorator
@inline function vop(op: i32, x: v128, y: v128): v128 {
  if (op == ADD) return f32x4.add(x, y);
  if (op == SUB) return f32x4.sub(x, y);
  if (op == MUL) return f32x4.mul(x, y);
  return f32x4.div(x, y);
}

// @ts-ignore: decorator
@inline function sop(op: i32, x: f32, y: f32): f32 {
  if (op == ADD) return x + y;
  if (op == SUB) return x - y;
  if (op == MUL) return x * y;
  return x / y;
}

/**
 * out[r,c] = a[r·aRS + c·aCS] op b[r·bRS + c·bCS] for a rows×cols output (op: 0 add, 1 sub,
 * 2 mul, 3 div). Column strides are 0 or 1 and row strides 0 or cols: that covers numpy
 * broadcasting of scalars, rows and columns over a matrix.
 */
export function binary_f32(op: i32, a: usize, aRS: i32, aCS: i32, b: usize, bRS: i32, bCS: i32,
                           out: usize, rows: i32, cols: i32): void {
  if (cols == 0) return;
  for (let r = 0; r < rows; r++) {
    const pa = a + <usize>r * <usize>aRS * 4;
    const pb = b + <usize>r * <usize>bRS * 4;
    const po = out + <usize>r * <usize>cols * 4;
    const as = f32x4.splat(load<f32>(pa)), bs = f32x4.splat(load<f32>(pb));
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      const x = aCS ? v128.load(pa + o) : as;
      const y = bCS ? v128.load(pb + o) : bs;
      v128.store(po + o, vop(op, x, y));
    }
    for (; c < cols; c++) {
      const x = load<f32>(pa + (<usize>(c * aCS) << 2));
      const y = load<f32>(pb + (<usize>(c * bCS) << 2));
      store<f32>(po + (<usize>c << 2), sop(op, x, y));
    }
  }
}

/** out = a·s over n floats. */
export function scale_f32(a: usize, s: f32, out: usize, n: i32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(v128.load(a + o), sv));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) * s);
  }
}

/** out = alpha·x + y over n floats. */
export function axpy_f32(alpha: f32, x: usize, y: usize, out: usize, n: i32): void {
  const av = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, madd(av, v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, alpha * load<f32>(x + o) + load<f32>(y + o));
  }
}

/**
 * y += c0·r0 + c1·r1 + c2·r2 + c3·r3 over n floats: four rows streamed side by side, with one
 * load and one store of y per vector instead of four. Two vectors per step share the four row
 * addresses and give two chains (x·W at 1536 × 1536: one vector a step took 1.07-1.2× as long;
 * eight rows a step were slower still).
 */
// @ts-ignore: decorator
@inline export function axpy4(c0: f32, c1: f32, c2: f32, c3: f32, r0: usize, r1: usize, r2: usize, r3: usize, y: usize, n: i32): void {
  const v0 = f32x4.splat(c0), v1 = f32x4.splat(c1), v2 = f32x4.splat(c2), v3 = f32x4.splat(c3);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const o = <usize>j << 2, p0 = r0 + o, p1 = r1 + o, p2 = r2 + o, p3 = r3 + o, yo = y + o;
    let acc = madd(v0, v128.load(p0), v128.load(yo));
    let acd = madd(v0, v128.load(p0, 16), v128.load(yo, 16));
    acc = madd(v1, v128.load(p1), acc);
    acd = madd(v1, v128.load(p1, 16), acd);
    acc = madd(v2, v128.load(p2), acc);
    acd = madd(v2, v128.load(p2, 16), acd);
    acc = madd(v3, v128.load(p3), acc);
    acd = madd(v3, v128.load(p3, 16), acd);
    v128.store(yo, acc);
    v128.store(yo, acd, 16);
  }
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    let acc = madd(v0, v128.load(r0 + o), v128.load(y + o));
    acc = madd(v1, v128.load(r1 + o), acc);
    acc = madd(v2, v128.load(r2 + o), acc);
    v128.store(y + o, madd(v3, v128.load(r3 + o), acc));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(y + o, load<f32>(y + o) + c0 * load<f32>(r0 + o) + c1 * load<f32>(r1 + o) + c2 * load<f32>(r2 + o) + c3 * load<f32>(r3 + o));
  }
}

/**
 * Two rows of Y (at y, y + ldy) += their rows of X's four coefficients (at xp + t·xq, and ldx
 * further) times rows r0..r3: each vector of B loaded once for both rows.
 */
// @ts-ignore: decorator
@inline export function axpy4x2(xp: usize, ldx: usize, xq: usize, r0: usize, r1: usize, r2: usize, r3: usize, y: usize, ldy: usize, n: i32): void {
  const a0 = v128.load32_splat(xp), a1 = v128.load32_splat(xp + xq), a2 = v128.load32_splat(xp + 2 * xq), a3 = v128.load32_splat(xp + 3 * xq);
  const xp2 = xp + ldx;
  const b0 = v128.load32_splat(xp2), b1 = v128.load32_splat(xp2 + xq), b2 = v128.load32_splat(xp2 + 2 * xq), b3 = v128.load32_splat(xp2 + 3 * xq);
  const y2 = y + ldy;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    let v = v128.load(r0 + o);
    let s = madd(a0, v, v128.load(y + o)), t = madd(b0, v, v128.load(y2 + o));
    v = v128.load(r1 + o); s = madd(a1, v, s); t = madd(b1, v, t);
    v = v128.load(r2 + o); s = madd(a2, v, s); t = madd(b2, v, t);
    v = v128.load(r3 + o); s = madd(a3, v, s); t = madd(b3, v, t);
    v128.store(y + o, s);
    v128.store(y2 + o, t);
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const v0 = load<f32>(r0 + o), v1 = load<f32>(r1 + o), v2 = load<f32>(r2 + o), v3 = load<f32>(r3 + o);
    store<f32>(y + o, load<f32>(y + o) + f32x4.extract_lane(a0, 0) * v0 + f32x4.extract_lane(a1, 0) * v1 + f32x4.extract_lane(a2, 0) * v2 + f32x4.extract_lane(a3, 0) * v3);
    store<f32>(y2 + o, load<f32>(y2 + o) + f32x4.extract_lane(b0, 0) * v0 + f32x4.extract_lane(b1, 0) * v1 + f32x4.extract_lane(b2, 0) * v2 + f32x4.extract_lane(b3, 0) * v3);
  }
}

/**
 * y_r += c_r·x over n floats for four outputs y0..y3: one load of x for the four. Each output's
 * store comes before the next one's load, so two of them may be the same row.
 */
// @ts-ignore: decorator
@inline export function axpyTo4(c0: f32, c1: f32, c2: f32, c3: f32, x: usize, y0: usize, y1: usize, y2: usize, y3: usize, n: i32): void {
  const v0 = f32x4.splat(c0), v1 = f32x4.splat(c1), v2 = f32x4.splat(c2), v3 = f32x4.splat(c3);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2, xv = v128.load(x + o);
    v128.store(y0 + o, madd(v0, xv, v128.load(y0 + o)));
    v128.store(y1 + o, madd(v1, xv, v128.load(y1 + o)));
    v128.store(y2 + o, madd(v2, xv, v128.load(y2 + o)));
    v128.store(y3 + o, madd(v3, xv, v128.load(y3 + o)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2, xs = load<f32>(x + o);
    store<f32>(y0 + o, load<f32>(y0 + o) + c0 * xs);
    store<f32>(y1 + o, load<f32>(y1 + o) + c1 * xs);
    store<f32>(y2 + o, load<f32>(y2 + o) + c2 * xs);
    store<f32>(y3 + o, load<f32>(y3 + o) + c3 * xs);
  }
}

/** Each row of a (rows×n) divided by its L2 norm into out; all-zero rows stay zero. */
export function normalize_rows_f32(a: usize, out: usize, rows: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  for (let r = 0; r < rows; r++) {
    const src = a + <usize>r * rowBytes;
    const nrm = robustNorm(src, n);
    scale_f32(src, nrm > 0 ? <f32>1 / nrm : 0, out + <usize>r * rowBytes, n);
  }
}

/** Σ over n floats. */
export function sum_f32(a: usize, n: i32): f32 {
  return sumRaw(a, n);
}
