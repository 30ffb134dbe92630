import { activationCode, type Activation } from "./activation";
import type { Backend, TensorLike } from "./backend";
import { ShapeError } from "./errors";
import { keep } from "./scope";
import { formatShape } from "./shape";
import { Tensor } from "./tensor";

/** Anything with a forward pass: a `Linear`, or your own. */
export interface Layer {
  forward(x: Tensor): Tensor;
  dispose?(): void;
}

/** Options of `Linear`. */
export interface LinearOptions {
  /** Fused into the product's epilogue; identity by default. */
  activation?: Activation;
  /**
   * Layout of the given weight: "in_out" ([in, out], as `dense` takes it; the default) or
   * "out_in" ([out, in], PyTorch's nn.Linear.weight), transposed once here.
   */
  layout?: "in_out" | "out_in";
}

/** A dense layer owning its weights: `activation(x·W + b)`. Free it with `dispose()`. */
export class Linear implements Layer {
  /** [in, out] */
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;
  readonly activation: Activation;

  constructor(readonly backend: Backend, weight: TensorLike, bias?: TensorLike | null, options: LinearOptions = {}) {
    const { activation = "identity", layout = "in_out" } = options;
    activationCode("Linear", activation);
    // The layer owns copies of its parameters, kept out of any enclosing scope().
    const owned = (t: TensorLike) => keep(t instanceof Tensor ? t.copyTo(backend) : backend.tensor(t));
    const given = owned(weight);
    if (given.rank !== 2) {
      given.dispose();
      throw new ShapeError(`Linear: weight must be 2-D, got ${formatShape(given.shape)}`);
    }
    this.weight = layout === "out_in" ? keep(backend.transpose(given)) : given;
    if (this.weight !== given) given.dispose();
    this.bias = bias == null ? undefined : owned(bias);
    if (this.bias && (this.bias.rank !== 1 || this.bias.size !== this.outFeatures)) {
      const shape = formatShape(this.bias.shape);
      this.dispose();
      throw new ShapeError(`Linear: bias ${shape} does not match ${this.outFeatures} outputs`);
    }
    this.activation = activation;
  }

  get inFeatures(): number { return this.weight.shape[0]; }
  get outFeatures(): number { return this.weight.shape[1]; }

  forward(x: TensorLike): Tensor {
    return this.backend.dense(x, this.weight, this.bias, this.activation);
  }

  dispose(): void {
    if (this.weight.disposed) return;
    this.weight.dispose();
    this.bias?.dispose();
  }
}

/** Layers applied in order, e.g. an MLP; intermediate outputs are freed as it goes. */
export class Sequential implements Layer {
  constructor(readonly layers: Layer[]) {}

  forward(x: Tensor): Tensor {
    let h = x;
    for (const layer of this.layers) {
      const next = layer.forward(h);
      if (h !== x) h.dispose();
      h = next;
    }
    return h === x ? x.copyTo(x.backend) : h;
  }

  dispose(): void {
    for (const l of this.layers) l.dispose?.();
  }
}
