/**
 * wasmla: WebAssembly SIMD linear algebra for AI work — matmul, dense layers with fused
 * activations, softmax, norms, fused attention (multi-head, KV cache), a transformer block read
 * from safetensors, exact and int8 top-k vector search, randomized SVD, eigh, PCA and sparse
 * (CSR) products — on a relaxed-SIMD, SIMD or pure-JS path
 * picked at `init()`.
 *
 * ```ts
 * import { init, tensor, matmul } from "wasmla";
 * await init();
 * matmul(tensor([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]), tensor([1, 2, 3])).toArray(); // [1.4, 3.2]
 * ```
 */
export {
  init, createBackend, getBackend, setBackend, bestBackendName, detectFeatures,
  tensor, zeros, matmul, dense, transpose, add, sub, mul, div, scale, axpy,
  dot, norm, sum, cosineSimilarity, normalizeRows, softmax, exp, memoryStats,
  activate, relu, gelu, geluTanh, silu, sigmoid, tanh, layerNorm, rmsNorm, attention, multiHeadAttention,
  svd, eigh, qr, pca, type InitOptions,
} from "./api";
export {
  Backend, BACKEND_NAMES, type BackendName, type TensorData, type TensorLike, type MatmulOptions,
  type AttentionOptions, type AttentionWeights, type MultiHeadOptions,
} from "./backend";
export { Tensor, type NestedArray } from "./tensor";
export { scope, keep } from "./scope";
export { Linear, Sequential, type Layer, type LinearOptions } from "./nn";
export { KVCache, type KVCacheOptions } from "./kv-cache";
export { SafetensorsFile, writeSafetensors, type SafetensorInfo } from "./safetensors";
export { readNpy, writeNpy, parseEmbeddings, type LoadedArray, type EmbeddingRecords } from "./io";
export { VectorIndex, type VectorIndexOptions, type SearchResult, type SearchOptions, type Metric, type VectorId } from "./vector-index";
export { PCA, type SvdOptions, type SvdResult, type EighOptions, type EighResult, type QrResult, type PcaOptions } from "./linalg";
export { CsrMatrix, type CsrArrays } from "./sparse";
export { LsaModel, type LsaOptions } from "./lsa";
export { tokenize, stem } from "./text";
export { createEmbedder, type Embedder, type EmbedderOptions, type Embeddings } from "./embedder";
export { TransformerBlock, TRANSFORMER_BLOCK_NAMES, type TransformerBlockOptions } from "./transformer";
export { ACTIVATION_CODES, type Activation } from "./activation";
export type { MemoryStats } from "./memory";
export type { WasmFeatures } from "./wasm/load";
export {
  WasmlaError, ShapeError, LengthError, InputError, DisposedError, MemoryLimitError, BackendError, FormatError, EmbeddingError,
} from "./errors";
