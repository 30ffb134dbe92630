// Activation functions, four lanes at a time. The codes are shared with src/activation.ts.
import { exp4 } from "./simd";

export const IDENTITY = 0, RELU = 1, GELU = 2, GELU_TANH = 3, SILU = 4, SIGMOID = 5, TANH = 6;

// @ts-ignore: decorator
@inline function sigmoid4(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), exp4(f32x4.neg(x))));
}

// tanh x = 2·sigmoid(2x) − 1: absolute error ≤ 2e-7 (relative error grows near 0, where
// tanh x ≈ x is tiny anyway).
// @ts-ignore: decorator
@inline function tanh4(x: v128): v128 {
  return f32x4.sub(f32x4.mul(f32x4.splat(2), sigmoid4(f32x4.add(x, x))), f32x4.splat(1));
}

// erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), odd-extended.
// @ts-ignore: decorator
@inline function erf4(x: v128): v128 {
  const ax = f32x4.abs(x);
  const t = f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), f32x4.mul(f32x4.splat(0.3275911), ax)));
  let p = f32x4.splat(1.061405429);
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-1.453152027));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(1.421413741));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(-0.284496736));
  p = f32x4.add(f32x4.mul(p, t), f32x4.splat(0.254829592));
  p = f32x4.mul(p, t);
  const y = f32x4.sub(f32x4.splat(1), f32x4.mul(p, exp4(f32x4.neg(f32x4.mul(ax, ax)))));
  return v128.or(y, v128.and(x, i32x4.splat(0x80000000))); // copy the sign of x
}

/** The activation `kind` applied to four lanes. */
// @ts-ignore: decorator
@inline export function act4(kind: i32, x: v128): v128 {
  switch (kind) {
    case RELU: return f32x4.max(x, f32x4.splat(0));
    case GELU: return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x),
      f32x4.add(f32x4.splat(1), erf4(f32x4.mul(x, f32x4.splat(0.7071067811865476)))));
    case GELU_TANH: {
      const inner = f32x4.mul(f32x4.splat(0.7978845608028654),
        f32x4.add(x, f32x4.mul(f32x4.splat(0.044715), f32x4.mul(x, f32x4.mul(x, x)))));
      return f32x4.mul(f32x4.mul(f32x4.splat(0.5), x), f32x4.add(f32x4.splat(1), tanh4(inner)));
    }
    case SILU: return f32x4.mul(x, sigmoid4(x));
    case SIGMOID: return sigmoid4(x);
    case TANH: return tanh4(x);
    default: return x;
  }
}

/**
 * Applies activation `kind` in place to a rows×cols block with row stride ld (floats): the
 * matmul epilogue calls it on each finished tile while the tile is still in L1.
 */
export function activateBlock(kind: i32, p: usize, ld: i32, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = p + <usize>r * <usize>ld * 4;
    let c = 0;
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
