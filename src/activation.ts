import { InputError } from "./errors";

/** The activations `dense` can fuse and `activate` applies. `gelu` is the exact (erf) form, `gelu_tanh` the tanh approximation. */
export type Activation = "identity" | "relu" | "gelu" | "gelu_tanh" | "silu" | "sigmoid" | "tanh";

/** Kernel codes, as in assembly/activation.ts. */
export const ACTIVATION_CODES: Readonly<Record<Activation, number>> = {
  identity: 0, relu: 1, gelu: 2, gelu_tanh: 3, silu: 4, sigmoid: 5, tanh: 6,
};

export function activationCode(op: string, name: unknown): number {
  const code = typeof name === "string" ? ACTIVATION_CODES[name as Activation] : undefined;
  if (code === undefined) {
    throw new InputError(`${op}: unknown activation ${JSON.stringify(name)}; expected one of ${Object.keys(ACTIVATION_CODES).join(", ")}`);
  }
  return code;
}

/** erf in float64: Maclaurin series below 3, a continued fraction for erfc above (error < 1e-14). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x, sum = x;
    for (let n = 1; n < 100; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))), evaluated bottom-up
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

/** The activations in float64, for the pure-JS path. */
export const ACTIVATION_FNS: readonly ((x: number) => number)[] = [
  (x) => x,
  (x) => (x > 0 ? x : 0),
  (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)),
  (x) => 0.5 * x * (1 + Math.tanh(0.7978845608028654 * (x + 0.044715 * x * x * x))),
  (x) => x / (1 + Math.exp(-x)),
  (x) => 1 / (1 + Math.exp(-x)),
  Math.tanh,
];
