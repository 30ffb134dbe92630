// Shared SIMD helpers. Everything here is @inline: it folds into the kernels that use it.

/** a * b + c: one fused multiply-add in the relaxed build, a multiply and an add otherwise. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Sum of the four lanes. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1))
    + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * Largest of the four lanes, by pseudo-max (one maxps: wasm's NaN-propagating f32x4.max costs
 * V8 about eight instructions on x64). A NaN lane may be passed over; callers that must
 * propagate NaN do so through the arithmetic that follows (exp of NaN is NaN).
 */
// @ts-ignore: decorator
@inline export function hmax(v: v128): f32 {
  const m = f32x4.pmax(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.pmax(m, v128.shuffle<f32>(m, m, 1, 0, 3, 2)), 0);
}

/** Smallest of the four lanes, by pseudo-min (as `hmax`). */
// @ts-ignore: decorator
@inline export function hmin(v: v128): f32 {
  const m = f32x4.pmin(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(f32x4.pmin(m, v128.shuffle<f32>(m, m, 1, 0, 3, 2)), 0);
}

/**
 * Four lanes of the f32 constant at `p`. Loops take their constants from memory, not as v128
 * constants: V8's newer wasm compiler (Node 24's V8 13.6, Chromium 156; not Node 20 or 22)
 * rebuilds a v128 constant at every use inside a loop, three instructions each, where a
 * constant in memory is one broadcast load, which V8 shares between uses with no store in
 * between. Softmax and gelu took 1.6-1.9× as long under Node 24 and 1.2-1.4× in Chromium with
 * v128 constants; Node 20 and 22 run both forms alike.
 */
// @ts-ignore: decorator
@inline export function lanes(p: usize): v128 {
  return v128.load32_splat(p);
}

// exp(x) for four lanes, after XNNPACK's rr2_p5 scheme: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 in
// two parts, so r is exact), 2^n built in the exponent bits, exp(r) ≈ 1 + r·p(r) with p of
// degree 4, and exp(x) = s + (r·s)·p for s = 2^n. Error ≤ 2.5 ulp against exact exp (worst seen
// over 2M points of [-87.3, 88]: 2.22 ulp with mul + add, 1.96 with FMA; test/softmax.test.ts
// sweeps it). Cephes' degree-5 p held 1.5 ulp but cost softmax a third more time.
// n is rounded with the magic-bias trick: adding 1.5·2^23 + 127 leaves round(x·log2e) + 127 in
// the low mantissa bits, which a shift turns into the exponent of 2^n (a float → int
// conversion with saturation costs V8 a long instruction sequence on x64).
// Inputs below EXP_MIN = -87.336 (where 2^n would leave the normal range) give exactly 0, so
// -Infinity → 0; `expInRange` leaves that flush out for callers that know no input is below.
// The constants live in memory (see `lanes`).
const EXP_HI = memory.data<f32>([88.0]);
export const EXP_MIN: f32 = -87.33654022216797;
const EXP_CUTOFF = memory.data<f32>([EXP_MIN]);
const LOG2E = memory.data<f32>([1.4426950216293335]);
const MAGIC_BIAS = memory.data<f32>([12583039.0]); // 1.5·2^23 + 127
const MINUS_LN2_HI = memory.data<f32>([-0.693145751953125]);
const MINUS_LN2_LO = memory.data<f32>([-1.428606765330187e-6]);
const C = memory.data<f32>([0.9999997019767761, 0.4999915063381195, 0.16667652130126953, 0.04189782217144966, 0.008289290592074394]); // C1..C5

/** exp for x ≤ 88 or NaN (larger x would overflow 2^n): the softmax's exp, where x = s − max ≤ 0. */
// @ts-ignore: decorator
@inline export function expUpTo88(x: v128): v128 {
  return v128.andnot(expInRange(x), f32x4.lt(x, lanes(EXP_CUTOFF)));
}

/** exp for x in [EXP_MIN, 88] or NaN: `expUpTo88` without the flush to 0 below that range. */
// @ts-ignore: decorator
@inline export function expInRange(x: v128): v128 {
  const t = madd(x, lanes(LOG2E), lanes(MAGIC_BIAS));
  const s = i32x4.shl(t, 23);
  const n = f32x4.sub(t, lanes(MAGIC_BIAS));
  let r = madd(n, lanes(MINUS_LN2_HI), x);
  r = madd(n, lanes(MINUS_LN2_LO), r);
  let p = madd(lanes(C + 16), r, lanes(C + 12));
  p = madd(p, r, lanes(C + 8));
  p = madd(p, r, lanes(C + 4));
  p = madd(p, r, lanes(C));
  return madd(f32x4.mul(r, s), p, s);
}

/** exp of four lanes; inputs above 88 saturate at exp(88) ≈ 1.65e38 instead of overflowing, NaN stays NaN. */
// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  return expUpTo88(f32x4.pmin(x, lanes(EXP_HI))); // pseudo-min with x first: NaN passes through
}

/**
 * Σ a[i]·b[i] over n floats. Four accumulators, four vectors of each input per step: V8 hoists
 * a step's loads above its multiply-adds, and eight accumulators with their sixteen loads
 * would need more than the 15 xmm registers it allocates (the loop spilled every accumulator).
 */
// @ts-ignore: decorator
@inline export function dotRaw(a: usize, b: usize, n: i32): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const pa = a + (<usize>i << 2), pb = b + (<usize>i << 2);
    s0 = madd(v128.load(pa), v128.load(pb), s0);
    s1 = madd(v128.load(pa, 16), v128.load(pb, 16), s1);
    s2 = madd(v128.load(pa, 32), v128.load(pb, 32), s2);
    s3 = madd(v128.load(pa, 48), v128.load(pb, 48), s3);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    s0 = madd(v128.load(a + o), v128.load(b + o), s0);
  }
  let s = hsum(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)));
  for (; i < n; i++) {
    const o = <usize>i << 2;
    s += load<f32>(a + o) * load<f32>(b + o);
  }
  return s;
}

/**
 * Transposes a 4×4 block of floats by lane shuffles (four loads, eight shuffles, four stores):
 * rows at src, src + ld, … become columns at dst, dst + ldo, … (strides in bytes).
 */
// @ts-ignore: decorator
@inline export function transpose4x4(src: usize, ld: usize, dst: usize, ldo: usize): void {
  const a = v128.load(src), b = v128.load(src + ld), c = v128.load(src + 2 * ld), e = v128.load(src + 3 * ld);
  const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(c, e, 0, 4, 1, 5), t3 = v128.shuffle<f32>(c, e, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + ldo, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * ldo, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * ldo, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/**
 * Four columns of three rows (at src, src + ld, src + 2·ld; ld in bytes) written k-major as twelve
 * contiguous floats r0[0] r1[0] r2[0] r0[1] … r2[3]: a 3-tall sliver's four k-steps, by six
 * shuffles, three loads and three stores.
 */
// @ts-ignore: decorator
@inline export function transpose3x4(src: usize, ld: usize, dst: usize): void {
  const r0 = v128.load(src), r1 = v128.load(src + ld), r2 = v128.load(src + 2 * ld);
  const a = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
  const b = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); // r0[2] r1[2] r0[3] r1[3]
  const c = v128.shuffle<f32>(a, r2, 3, 5, 3, 5);  // r1[1] r2[1] …
  v128.store(dst, v128.shuffle<f32>(a, r2, 0, 1, 4, 2));
  v128.store(dst, v128.shuffle<f32>(c, b, 0, 1, 4, 5), 16);
  v128.store(dst, v128.shuffle<f32>(r2, b, 2, 6, 7, 3), 32);
}

/** Σ p[i] over n floats: two accumulators, then a scalar tail. */
// @ts-ignore: decorator
@inline export function sumRaw(p: usize, n: i32): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    s0 = f32x4.add(s0, v128.load(p + o));
    s1 = f32x4.add(s1, v128.load(p + o, 16));
  }
  let s = hsum(f32x4.add(s0, s1));
  for (; i < n; i++) s += load<f32>(p + (<usize>i << 2));
  return s;
}
