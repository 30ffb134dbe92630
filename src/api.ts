import {
  Backend, BACKEND_NAMES, type AttentionOptions, type AttentionWeights, type BackendName, type MatmulOptions,
  type MultiHeadOptions, type TensorData, type TensorLike,
} from "./backend";
import type { Activation } from "./activation";
import { BackendError, InputError } from "./errors";
import { createJsKernels } from "./js/kernels";
import * as linalg from "./linalg";
import type { EighOptions, EighResult, PCA, PcaOptions, QrResult, SvdOptions, SvdResult } from "./linalg";
import { CsrMatrix } from "./sparse";
import type { GrowableMemory } from "./kernels";
import type { MemoryStats } from "./memory";
import { Tensor } from "./tensor";
import { detectFeatures, instantiate } from "./wasm/load";

let defaultBackend: Backend | undefined;

/** Options of `init()`. */
export interface InitOptions {
  /** Force a path instead of the best available one ("auto", the default). */
  backend?: BackendName | "auto";
}

/**
 * Picks the best path this runtime supports (wasm-relaxed-simd → wasm-simd → js, by validating
 * tiny probe modules), makes it the default for the module-level functions, and returns it.
 * `backend.name` says which was picked. Calling it again replaces the default.
 */
export async function init(options: InitOptions = {}): Promise<Backend> {
  const wanted = options.backend ?? "auto";
  const backend = await createBackend(wanted === "auto" ? bestBackendName() : wanted);
  defaultBackend = backend;
  return backend;
}

/** The best path available here, without creating it. */
export function bestBackendName(): BackendName {
  const f = detectFeatures();
  return f.relaxedSimd ? "wasm-relaxed-simd" : f.simd ? "wasm-simd" : "js";
}

/**
 * A new backend of the named path with its own memory, independent of the default: hold several
 * side by side to compare them. Throws BackendError if the runtime can't run that path.
 */
export async function createBackend(name: BackendName): Promise<Backend> {
  if (!BACKEND_NAMES.includes(name)) {
    throw new InputError(`createBackend: unknown backend ${JSON.stringify(name)}; expected one of ${BACKEND_NAMES.join(", ")}`);
  }
  if (name === "js") {
    const memory = newJsMemory();
    return new Backend("js", memory, 0, createJsKernels(memory));
  }
  const w = await instantiate(name === "wasm-relaxed-simd" ? "relaxed" : "simd");
  return new Backend(name, w.memory, w.heapBase, w.kernels, w.probes);
}

/** The default backend set by `init()`. */
export function getBackend(): Backend {
  if (!defaultBackend) throw new BackendError("no backend yet: call `await init()` first");
  return defaultBackend;
}

/** Makes `backend` the default for the module-level functions. */
export function setBackend(backend: Backend): void {
  defaultBackend = backend;
}

/** Which WebAssembly features this runtime has. */
export { detectFeatures };

// The JS path keeps its data in the same kind of linear memory as the WASM paths, so tensors,
// the allocator and every wrapper check are shared; only the kernels differ.
function newJsMemory(): GrowableMemory {
  if (typeof WebAssembly === "object") return new WebAssembly.Memory({ initial: 1 });
  return new ArrayBufferMemory();
}

/** A growable buffer for engines without WebAssembly at all. */
class ArrayBufferMemory implements GrowableMemory {
  buffer = new ArrayBuffer(65536);
  grow(pages: number): number {
    const old = this.buffer.byteLength / 65536;
    const next = new ArrayBuffer(this.buffer.byteLength + pages * 65536);
    new Uint8Array(next).set(new Uint8Array(this.buffer));
    this.buffer = next;
    return old;
  }
}

// ---- module-level functions: run on the backend of their tensor arguments, else the default ----

function on(...args: unknown[]): Backend {
  for (const a of args) if (a instanceof Tensor) return a.backend;
  return getBackend();
}

/** A tensor on the default backend; see `Backend.tensor`. */
export function tensor(data: TensorData, shape?: readonly number[]): Tensor { return getBackend().tensor(data, shape); }
/** A tensor of zeros on the default backend. */
export function zeros(shape: readonly number[]): Tensor { return getBackend().zeros(shape); }
/** Matrix product with numpy's shape rules; see `Backend.matmul`. */
export function matmul(a: TensorLike, b: TensorLike, options?: MatmulOptions): Tensor { return on(a, b).matmul(a, b, options); }
/** `activation(x·W + bias)`, bias and activation fused into the product; see `Backend.dense`. */
export function dense(x: TensorLike, weights: TensorLike, bias?: TensorLike | null, activation?: Activation): Tensor {
  return on(x, weights, bias).dense(x, weights, bias, activation);
}
/** An activation applied elementwise. */
export function activate(a: TensorLike, activation: Activation): Tensor { return on(a).activate(a, activation); }
/** max(x, 0). */
export function relu(a: TensorLike): Tensor { return on(a).activate(a, "relu"); }
/** GELU, exact form x·Φ(x) = ½x(1 + erf(x/√2)). */
export function gelu(a: TensorLike): Tensor { return on(a).activate(a, "gelu"); }
/** GELU, tanh approximation (GPT-2's). */
export function geluTanh(a: TensorLike): Tensor { return on(a).activate(a, "gelu_tanh"); }
/** x·sigmoid(x) (swish). */
export function silu(a: TensorLike): Tensor { return on(a).activate(a, "silu"); }
/** 1 / (1 + e^-x). */
export function sigmoid(a: TensorLike): Tensor { return on(a).activate(a, "sigmoid"); }
/** Hyperbolic tangent. */
export function tanh(a: TensorLike): Tensor { return on(a).activate(a, "tanh"); }
/** Matrix transpose. */
export function transpose(a: TensorLike): Tensor { return on(a).transpose(a); }
/** Elementwise a + b with broadcasting. */
export function add(a: TensorLike, b: TensorLike): Tensor { return on(a, b).add(a, b); }
/** Elementwise a − b with broadcasting. */
export function sub(a: TensorLike, b: TensorLike): Tensor { return on(a, b).sub(a, b); }
/** Elementwise a · b with broadcasting. */
export function mul(a: TensorLike, b: TensorLike): Tensor { return on(a, b).mul(a, b); }
/** Elementwise a / b with broadcasting. */
export function div(a: TensorLike, b: TensorLike): Tensor { return on(a, b).div(a, b); }
/** a · s. */
export function scale(a: TensorLike, s: number): Tensor { return on(a).scale(a, s); }
/** alpha·x + y. */
export function axpy(alpha: number, x: TensorLike, y: TensorLike): Tensor { return on(x, y).axpy(alpha, x, y); }
/** Dot product of two vectors. */
export function dot(a: TensorLike, b: TensorLike): number { return on(a, b).dot(a, b); }
/** Euclidean norm (Frobenius for a matrix). */
export function norm(a: TensorLike): number { return on(a).norm(a); }
/** Sum of all entries. */
export function sum(a: TensorLike): number { return on(a).sum(a); }
/** Cosine similarity of two vectors (0 if either is all zeros). */
export function cosineSimilarity(a: TensorLike, b: TensorLike): number { return on(a, b).cosineSimilarity(a, b); }
/** Rows scaled to unit L2 norm. */
export function normalizeRows(a: TensorLike): Tensor { return on(a).normalizeRows(a); }
/** Row-wise, numerically stable softmax. */
export function softmax(a: TensorLike): Tensor { return on(a).softmax(a); }
/** Elementwise exp (SIMD, ≤ 2.5 ulp on the WASM paths). */
export function exp(a: TensorLike): Tensor { return on(a).exp(a); }
/** Fused scaled dot-product attention; see `Backend.attention`. */
export function attention(q: TensorLike, k: TensorLike, v: TensorLike, options?: AttentionOptions & { returnWeights?: false }): Tensor;
export function attention(q: TensorLike, k: TensorLike, v: TensorLike, options: AttentionOptions & { returnWeights: true }): { output: Tensor; weights: Tensor };
export function attention(q: TensorLike, k: TensorLike, v: TensorLike, options: AttentionOptions & { returnWeights?: boolean } = {}):
  Tensor | { output: Tensor; weights: Tensor } {
  const be = on(q, k, v, options.mask);
  return options.returnWeights ? be.attention(q, k, v, { ...options, returnWeights: true }) : be.attention(q, k, v, { ...options, returnWeights: false });
}
/** Multi-head attention over packed heads; see `Backend.multiHeadAttention`. */
export function multiHeadAttention(x: TensorLike, weights: AttentionWeights, options: MultiHeadOptions): Tensor {
  return on(x, weights.wq, options.context).multiHeadAttention(x, weights, options);
}
/** Row-wise layer normalisation; see `Backend.layerNorm`. */
export function layerNorm(x: TensorLike, gamma?: TensorLike | null, beta?: TensorLike | null, eps?: number): Tensor {
  return on(x, gamma, beta).layerNorm(x, gamma, beta, eps);
}
/** Row-wise RMS normalisation; see `Backend.rmsNorm`. */
export function rmsNorm(x: TensorLike, gamma?: TensorLike | null, eps?: number): Tensor { return on(x, gamma).rmsNorm(x, gamma, eps); }
/** Memory figures of the default backend. */
export function memoryStats(): MemoryStats { return getBackend().memoryStats(); }

/** Randomized truncated SVD of a dense matrix or a CsrMatrix; see `SvdOptions`. */
export function svd(a: TensorLike | CsrMatrix, options?: SvdOptions): SvdResult {
  return linalg.svd(a instanceof CsrMatrix ? a.backend : on(a), a, options);
}
/** Eigenvalues and eigenvectors of a symmetric matrix (ascending by default, as numpy). */
export function eigh(s: TensorLike, options?: EighOptions): EighResult { return linalg.eigh(on(s), s, options); }
/** Householder QR of a tall matrix. */
export function qr(a: TensorLike): QrResult { return linalg.qr(on(a), a); }
/** PCA of the rows of X keeping k components. */
export function pca(x: TensorLike, k: number, options?: PcaOptions): PCA { return linalg.pca(on(x), x, k, options); }
