// Activation functions, four lanes at a time. The codes are shared with src/activation.ts.
import { exp4, lanes, madd } from "./simd";

export const IDENTITY = 0, RELU = 1, GELU = 2, GELU_TANH = 3, SILU = 4, SIGMOID = 5, TANH = 6;

// Constants in memory, read with `lanes` (see there).
const ONE = memory.data<f32>([1]);
const TWO = memory.data<f32>([2]);
const HALF = memory.data<f32>([0.5]);
const FOUR = memory.data<f32>([4]);
const MINUS_FOUR = memory.data<f32>([-4]);
const SQRT1_2 = memory.data<f32>([0.7071067811865476]);
const SQRT_2_PI = memory.data<f32>([0.7978845608028654]);
const GELU_CUBIC = memory.data<f32>([0.044715]);

// @ts-ignore: decorator
@inline function sigmoid4(x: v128): v128 {
  return f32x4.div(lanes(ONE), f32x4.add(lanes(ONE), exp4(f32x4.neg(x))));
}

// tanh x = 2·sigmoid(2x) − 1: absolute error ≤ 2e-7 (relative error grows near 0, where
// tanh x ≈ x is tiny anyway).
// @ts-ignore: decorator
@inline function tanh4(x: v128): v128 {
  return f32x4.sub(f32x4.mul(lanes(TWO), sigmoid4(f32x4.add(x, x))), lanes(ONE));
}

// erf as x·P(x²)/Q(x²) on x clamped to [-4, 4] (the rational form Eigen and XLA use for float):
// one division and no exp. |error| ≤ 4.2e-7 in float32 (measured against a float64 erf over
// [-6, 6]); Abramowitz & Stegun 7.1.26 was as accurate but needed exp and cost 2.5× as much.
// P's and Q's coefficients, highest power first
const ERF_P = memory.data<f32>([-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
  -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02]);
const ERF_Q = memory.data<f32>([-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
  -7.37332916720468e-03, -1.42647390514189e-02]);

// @ts-ignore: decorator
@inline function erf4(x: v128): v128 {
  x = f32x4.pmin(f32x4.pmax(x, lanes(MINUS_FOUR)), lanes(FOUR));
  const x2 = f32x4.mul(x, x);
  let p = lanes(ERF_P);
  p = madd(p, x2, lanes(ERF_P + 4));
  p = madd(p, x2, lanes(ERF_P + 8));
  p = madd(p, x2, lanes(ERF_P + 12));
  p = madd(p, x2, lanes(ERF_P + 16));
  p = madd(p, x2, lanes(ERF_P + 20));
  p = madd(p, x2, lanes(ERF_P + 24));
  let q = lanes(ERF_Q);
  q = madd(q, x2, lanes(ERF_Q + 4));
  q = madd(q, x2, lanes(ERF_Q + 8));
  q = madd(q, x2, lanes(ERF_Q + 12));
  q = madd(q, x2, lanes(ERF_Q + 16));
  return f32x4.div(f32x4.mul(p, x), q);
}

/** The activation `kind` applied to four lanes. */
// @ts-ignore: decorator
@inline export function act4(kind: i32, x: v128): v128 {
  switch (kind) {
    case RELU: return f32x4.pmax(x, f32x4.splat(0)); // x < 0 ? 0 : x; NaN stays NaN
    case GELU: return f32x4.mul(f32x4.mul(lanes(HALF), x),
      f32x4.add(lanes(ONE), erf4(f32x4.mul(x, lanes(SQRT1_2)))));
    case GELU_TANH: {
      const inner = f32x4.mul(lanes(SQRT_2_PI),
        f32x4.add(x, f32x4.mul(lanes(GELU_CUBIC), f32x4.mul(x, f32x4.mul(x, x)))));
      return f32x4.mul(f32x4.mul(lanes(HALF), x), f32x4.add(lanes(ONE), tanh4(inner)));
    }
    case SILU: return f32x4.mul(x, sigmoid4(x));
    case SIGMOID: return sigmoid4(x);
    case TANH: return tanh4(x);
    default: return x;
  }
}

/**
 * Applies activation `kind` in place to a rows×cols block with row stride ld (floats): the
 * matmul epilogue calls it on each finished column sliver while it is still in L1. One loop per
 * activation (the kind folds to a constant in each): a single loop holding every activation's
 * constants spilled them and ran 2-3× slower.
 */
export function activateBlock(kind: i32, p: usize, ld: i32, rows: i32, cols: i32): void {
  switch (kind) {
    case RELU: activateRows(RELU, p, ld, rows, cols); break;
    case GELU: activateRows(GELU, p, ld, rows, cols); break;
    case GELU_TANH: activateRows(GELU_TANH, p, ld, rows, cols); break;
    case SILU: activateRows(SILU, p, ld, rows, cols); break;
    case SIGMOID: activateRows(SIGMOID, p, ld, rows, cols); break;
    case TANH: activateRows(TANH, p, ld, rows, cols); break;
    default: break;
  }
}

// @ts-ignore: decorator
@inline function activateRows(kind: i32, p: usize, ld: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = p + <usize>r * <usize>ld * 4;
    let c = 0;
    // Four vectors per step: independent chains the CPU can overlap (two per step: gelu, silu,
    // tanh 5-20 % slower). All are computed before any is stored, so V8 loads each constant
    // once per step (a store in between could alias the constants; loading them again made
    // Node 20 load-bound).
    for (; c + 16 <= cols; c += 16) {
      const o = <usize>c << 2;
      const y0 = act4(kind, v128.load(row + o)), y1 = act4(kind, v128.load(row + o, 16));
      const y2 = act4(kind, v128.load(row + o, 32)), y3 = act4(kind, v128.load(row + o, 48));
      v128.store(row + o, y0);
      v128.store(row + o, y1, 16);
      v128.store(row + o, y2, 32);
      v128.store(row + o, y3, 48);
    }
    for (; c + 8 <= cols; c += 8) {
      const o = <usize>c << 2;
      const y0 = act4(kind, v128.load(row + o)), y1 = act4(kind, v128.load(row + o, 16));
      v128.store(row + o, y0);
      v128.store(row + o, y1, 16);
    }
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      v128.store(row + o, act4(kind, v128.load(row + o)));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(row + o, f32x4.extract_lane(act4(kind, f32x4.splat(load<f32>(row + o))), 0));
    }
  }
}

/** out = activation(a) over n floats (out may equal a). */
export function activate_f32(kind: i32, a: usize, out: usize, n: i32): void {
  if (a != out) memory.copy(out, a, <usize>n << 2);
  activateBlock(kind, out, n, 1, n);
}
