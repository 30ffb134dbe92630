import type { Activation } from "./activation";
import type { AttentionWeights, Backend } from "./backend";
import { Linear } from "./nn";
import type { SafetensorsFile } from "./safetensors";
import { keep, scope } from "./scope";
import type { Tensor } from "./tensor";

/** Options of a `TransformerBlock`. */
export interface TransformerBlockOptions {
  heads: number;
  /** Decoder-style causal self-attention; false (an encoder) by default. */
  causal?: boolean;
  /** Layer-norm epsilon; 1e-5 by default. */
  eps?: number;
  /** The MLP's activation; gelu (erf form) by default. */
  activation?: Activation;
}

/**
 * Tensor names `TransformerBlock.fromSafetensors` reads (after the prefix), in PyTorch's layout:
 * linear weights [out, in], biases [out], layer-norm weights and biases [d].
 */
export const TRANSFORMER_BLOCK_NAMES = [
  "ln_1.weight", "ln_1.bias",
  "attn.q_proj.weight", "attn.q_proj.bias", "attn.k_proj.weight", "attn.k_proj.bias",
  "attn.v_proj.weight", "attn.v_proj.bias", "attn.out_proj.weight", "attn.out_proj.bias",
  "ln_2.weight", "ln_2.bias",
  "mlp.fc1.weight", "mlp.fc1.bias", "mlp.fc2.weight", "mlp.fc2.bias",
] as const;

/**
 * A pre-norm transformer encoder block:
 *   h = x + MultiHeadAttention(LayerNorm₁(x)),   y = h + fc2(act(fc1(LayerNorm₂(h)))).
 * It owns its weights (free them with `dispose()`).
 */
export class TransformerBlock {
  readonly #ln1: [Tensor, Tensor];
  readonly #ln2: [Tensor, Tensor];
  readonly #attn: Required<{ [K in keyof AttentionWeights]: Tensor }>;
  readonly #fc1: Linear;
  readonly #fc2: Linear;

  private constructor(readonly backend: Backend, get: (name: (typeof TRANSFORMER_BLOCK_NAMES)[number]) => Tensor,
                      readonly options: TransformerBlockOptions) {
    const kept: Tensor[] = [], temporary: Tensor[] = [];
    const own = (t: Tensor) => { kept.push(keep(t)); return t; };
    const read = (name: (typeof TRANSFORMER_BLOCK_NAMES)[number]) => { const t = keep(get(name)); temporary.push(t); return t; };
    // Projections arrive [out, in]; multiHeadAttention takes [in, out] like dense.
    const projection = (prefix: string) => own(backend.transpose(read(`${prefix}.weight` as never)));
    let fc1: Linear | undefined;
    try {
      this.#ln1 = [own(get("ln_1.weight")), own(get("ln_1.bias"))];
      this.#ln2 = [own(get("ln_2.weight")), own(get("ln_2.bias"))];
      this.#attn = {
        wq: projection("attn.q_proj"), bq: own(get("attn.q_proj.bias")),
        wk: projection("attn.k_proj"), bk: own(get("attn.k_proj.bias")),
        wv: projection("attn.v_proj"), bv: own(get("attn.v_proj.bias")),
        wo: projection("attn.out_proj"), bo: own(get("attn.out_proj.bias")),
      };
      fc1 = new Linear(backend, read("mlp.fc1.weight"), read("mlp.fc1.bias"), { layout: "out_in", activation: options.activation ?? "gelu" });
      this.#fc1 = fc1;
      this.#fc2 = new Linear(backend, read("mlp.fc2.weight"), read("mlp.fc2.bias"), { layout: "out_in" });
    } catch (err) {
      for (const t of kept) t.dispose();
      fc1?.dispose();
      throw err;
    } finally {
      for (const t of temporary) t.dispose(); // Linear copied them; the projections were transposed
    }
  }

  /** Reads the block's weights from a `.safetensors` file (names in TRANSFORMER_BLOCK_NAMES, after `prefix`). */
  static fromSafetensors(backend: Backend, file: SafetensorsFile, options: TransformerBlockOptions, prefix = ""): TransformerBlock {
    for (const name of TRANSFORMER_BLOCK_NAMES) file.info(prefix + name); // every name present, before any allocation
    return new TransformerBlock(backend, (name) => file.tensor(backend, prefix + name), options);
  }

  /** x [seq, d] → [seq, d]. */
  forward(x: Tensor): Tensor {
    const be = this.backend, { heads, causal = false, eps = 1e-5 } = this.options;
    return scope(() => {
      const h = be.add(x, be.multiHeadAttention(be.layerNorm(x, ...this.#ln1, eps), this.#attn, { heads, causal }));
      return be.add(h, this.#fc2.forward(this.#fc1.forward(be.layerNorm(h, ...this.#ln2, eps))));
    });
  }

  dispose(): void {
    for (const t of [...this.#ln1, ...this.#ln2, ...Object.values(this.#attn)]) t.dispose();
    this.#fc1.dispose();
    this.#fc2.dispose();
  }
}
