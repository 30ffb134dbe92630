// The kernels every build exports. Each takes byte pointers into this module's memory and
// sizes, allocates nothing and calls nothing in JS; the TypeScript wrapper owns the memory.
// src/kernels.ts declares the same set; src/js/kernels.ts implements it in plain JS.
export { matmul_f32, matmul_work_bytes, transpose_f32 } from "./matmul";
export { dot_f32, norm_f32, binary_f32, scale_f32, axpy_f32, normalize_rows_f32, sum_f32 } from "./vector";
export { softmax_rows_f32, exp_f32, mask_scores_f32 } from "./softmax";
export { activate_f32 } from "./activation";
export { layer_norm_f32, rms_norm_f32 } from "./norm";
export { attention_f32, attention_work_bytes } from "./attention";
export { topk_merge_f32 } from "./topk";
export { dot_i8_rows, i8_query_limit, i8_work_bytes } from "./quant";
export { householder_qr_f32, householder_q_f32, householder_tau_bytes, householder_work_bytes, csr_matmul_f32, csr_matmul_t_f32, jacobi_svd_f64 } from "./linalg";
export { probe_chains_f32, probe_tile_f32, probe_stream_f32 } from "./probe";

/** First byte past the module's static data: the wrapper's allocator starts here. */
export function heap_base(): usize { return __heap_base; }
