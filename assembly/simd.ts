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

// exp(x) for four lanes: x = n·ln2 + r with |r| ≤ ln2/2, exp(r) by Cephes' degree-6 expf
// polynomial, 2^n built in the exponent bits. Error ≤ 1.5 ulp against exact exp (worst seen:
// 1.01 ulp over 2M points of [-87.3, 88]; test/softmax.test.ts sweeps it).
// Inputs below -87.336 (where 2^n would leave the normal range) give exactly 0, so -Infinity → 0;
// inputs above 88 saturate at exp(88) ≈ 1.65e38 instead of overflowing.
// n is rounded with the 1.5·2^23 trick: adding it leaves round(x·log2e) in the low mantissa bits,
// which become the exponent with one integer add and shift (a float → int conversion with
// saturation costs V8 a long instruction sequence on x64).
const EXP_HI: f32 = 88.0;
const EXP_LO: f32 = -87.3365478515625;
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const ROUND_MAGIC: f32 = 12582912.0; // 1.5·2^23, bits 0x4B400000

// @ts-ignore: decorator
@inline export function exp4(x: v128): v128 {
  const underflow = f32x4.lt(x, f32x4.splat(EXP_LO));
  // pseudo-min/max with x first: a NaN x passes through unchanged (and stays NaN)
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const t = madd(x, f32x4.splat(LOG2E), f32x4.splat(ROUND_MAGIC));
  const n = f32x4.sub(t, f32x4.splat(ROUND_MAGIC));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = madd(p, r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  const y = f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1.0));
  const pow2n = i32x4.shl(i32x4.add(t, i32x4.splat(127 - 0x4B400000)), 23);
  return v128.andnot(f32x4.mul(y, pow2n), underflow);
}

/**
 * Σ a[i]·b[i] over n floats. Eight independent accumulators: with four, the multiply-add
 * latency, not memory, bounded a long dot product (it is what matrix-vector streams through).
 */
// @ts-ignore: decorator
@inline export function dotRaw(a: usize, b: usize, n: i32): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  let i = 0;
  for (; i + 32 <= n; i += 32) {
    const pa = a + (<usize>i << 2), pb = b + (<usize>i << 2);
    s0 = madd(v128.load(pa), v128.load(pb), s0);
    s1 = madd(v128.load(pa, 16), v128.load(pb, 16), s1);
    s2 = madd(v128.load(pa, 32), v128.load(pb, 32), s2);
    s3 = madd(v128.load(pa, 48), v128.load(pb, 48), s3);
    s4 = madd(v128.load(pa, 64), v128.load(pb, 64), s4);
    s5 = madd(v128.load(pa, 80), v128.load(pb, 80), s5);
    s6 = madd(v128.load(pa, 96), v128.load(pb, 96), s6);
    s7 = madd(v128.load(pa, 112), v128.load(pb, 112), s7);
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    s0 = madd(v128.load(a + o), v128.load(b + o), s0);
  }
  let s = hsum(f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7))));
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
