import { ACTIVATION_FNS } from "../activation";
import type { GrowableMemory, Kernels } from "../kernels";

/**
 * The pure-JS path: the kernel set of assembly/ in plain loops over a Float32Array, same
 * signatures, same memory model. It is the fallback where WebAssembly SIMD is missing and the
 * baseline every benchmark compares against, so it is written the way a careful JS programmer
 * would (cache-friendly loop orders, f64 scalar accumulators), not tuned with tricks.
 */
export function createJsKernels(memory: GrowableMemory): Kernels {
  let view = new Float32Array(memory.buffer);
  // Memory growth replaces the buffer; refresh the view only when that happened.
  const heap = (): Float32Array => (view.buffer === memory.buffer ? view : (view = new Float32Array(memory.buffer)));

  // Two accumulators: a single one is bound by the latency of the add.
  const dot = (h: Float32Array, a: number, b: number, n: number): number => {
    let s0 = 0, s1 = 0, i = 0;
    for (; i + 2 <= n; i += 2) { s0 += h[a + i] * h[b + i]; s1 += h[a + i + 1] * h[b + i + 1]; }
    if (i < n) s0 += h[a + i] * h[b + i];
    return s0 + s1;
  };

  // f64 squares of f32 values can neither overflow nor underflow, so one pass is exact enough.
  const norm = (h: Float32Array, a: number, n: number): number => Math.sqrt(dot(h, a, a, n));

  return {
    matmul_f32(a, b, c, m, k, n, transB, bias, act, _work) {
      const h = heap();
      a >>= 2; b >>= 2; c >>= 2; bias >>= 2;
      const f = ACTIVATION_FNS[act];
      if (transB) {
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) h[c + i * n + j] = f(dot(h, a + i * k, b + j * k, k) + (bias ? h[bias + j] : 0));
        }
        return;
      }
      // i-p-j order, four rows of B per pass: the inner loop walks rows of B and C contiguously
      // and C is read and written a quarter as often (2x faster than one row per pass).
      for (let i = 0; i < m; i++) {
        const ci = c + i * n, ai = a + i * k;
        for (let j = 0; j < n; j++) h[ci + j] = bias ? h[bias + j] : 0;
        let p = 0;
        for (; p + 4 <= k; p += 4) {
          const a0 = h[ai + p], a1 = h[ai + p + 1], a2 = h[ai + p + 2], a3 = h[ai + p + 3];
          const b0 = b + p * n, b1 = b0 + n, b2 = b1 + n, b3 = b2 + n;
          for (let j = 0; j < n; j++) h[ci + j] += a0 * h[b0 + j] + a1 * h[b1 + j] + a2 * h[b2 + j] + a3 * h[b3 + j];
        }
        for (; p < k; p++) {
          const ap = h[ai + p], bp = b + p * n;
          for (let j = 0; j < n; j++) h[ci + j] += ap * h[bp + j];
        }
        if (act) for (let j = 0; j < n; j++) h[ci + j] = f(h[ci + j]);
      }
    },
    matmul_work_bytes: () => 0,
    transpose_f32(a, out, m, n) {
      const h = heap();
      a >>= 2; out >>= 2;
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) h[out + j * m + i] = h[a + i * n + j];
    },
    dot_f32: (a, b, n) => dot(heap(), a >> 2, b >> 2, n),
    norm_f32: (a, n) => norm(heap(), a >> 2, n),
    binary_f32(op, a, aRS, aCS, b, bRS, bCS, out, rows, cols) {
      const h = heap();
      a >>= 2; b >>= 2; out >>= 2;
      for (let r = 0; r < rows; r++) {
        const pa = a + r * aRS, pb = b + r * bRS, po = out + r * cols;
        for (let c = 0; c < cols; c++) {
          const x = h[pa + c * aCS], y = h[pb + c * bCS];
          h[po + c] = op === 0 ? x + y : op === 1 ? x - y : op === 2 ? x * y : x / y;
        }
      }
    },
    scale_f32(a, s, out, n) {
      const h = heap();
      a >>= 2; out >>= 2;
      const sf = Math.fround(s);
      for (let i = 0; i < n; i++) h[out + i] = h[a + i] * sf;
    },
    axpy_f32(alpha, x, y, out, n) {
      const h = heap();
      x >>= 2; y >>= 2; out >>= 2;
      const af = Math.fround(alpha);
      for (let i = 0; i < n; i++) h[out + i] = af * h[x + i] + h[y + i];
    },
    normalize_rows_f32(a, out, rows, n) {
      const h = heap();
      a >>= 2; out >>= 2;
      for (let r = 0; r < rows; r++) {
        const nrm = norm(h, a + r * n, n);
        const inv = nrm > 0 ? 1 / nrm : 0;
        for (let i = 0; i < n; i++) h[out + r * n + i] = h[a + r * n + i] * inv;
      }
    },
    sum_f32(a, n) {
      const h = heap();
      a >>= 2;
      let s = 0;
      for (let i = 0; i < n; i++) s += h[a + i];
      return s;
    },
    softmax_rows_f32(a, out, rows, n) {
      const h = heap();
      a >>= 2; out >>= 2;
      for (let r = 0; r < rows; r++) {
        const x = a + r * n, y = out + r * n;
        let mx = -Infinity;
        for (let i = 0; i < n; i++) { const v = h[x + i]; mx = v > mx || Number.isNaN(v) ? v : mx; }
        if (mx === -Infinity) { h.fill(0, y, y + n); continue; }
        let sum = 0;
        for (let i = 0; i < n; i++) { const e = Math.exp(h[x + i] - mx); h[y + i] = e; sum += e; }
        const inv = 1 / sum;
        for (let i = 0; i < n; i++) h[y + i] *= inv;
      }
    },
    activate_f32(kind, a, out, n) {
      const h = heap(), f = ACTIVATION_FNS[kind];
      a >>= 2; out >>= 2;
      for (let i = 0; i < n; i++) h[out + i] = f(h[a + i]);
    },
    layer_norm_f32(a, gamma, beta, out, rows, n, eps) {
      const h = heap();
      a >>= 2; gamma >>= 2; beta >>= 2; out >>= 2;
      for (let r = 0; r < rows; r++) {
        const x = a + r * n, y = out + r * n;
        let mean = 0, v = 0;
        for (let i = 0; i < n; i++) mean += h[x + i];
        mean /= n;
        for (let i = 0; i < n; i++) v += (h[x + i] - mean) ** 2;
        const inv = 1 / Math.sqrt(v / n + eps);
        for (let i = 0; i < n; i++) h[y + i] = (h[x + i] - mean) * inv * (gamma ? h[gamma + i] : 1) + (beta ? h[beta + i] : 0);
      }
    },
    rms_norm_f32(a, gamma, out, rows, n, eps) {
      const h = heap();
      a >>= 2; gamma >>= 2; out >>= 2;
      for (let r = 0; r < rows; r++) {
        const x = a + r * n, y = out + r * n;
        let ss = 0;
        for (let i = 0; i < n; i++) ss += h[x + i] ** 2;
        const inv = 1 / Math.sqrt(ss / n + eps);
        for (let i = 0; i < n; i++) h[y + i] = h[x + i] * inv * (gamma ? h[gamma + i] : 1);
      }
    },
    attention_f32(q, k, v, out, sq, sk, d, dv, ldq, ldk, ldv, ldo, scale, causal, mask, ldm, _work) {
      const h = heap();
      q >>= 2; k >>= 2; v >>= 2; out >>= 2; mask >>= 2;
      const s = new Float64Array(sk), acc = new Float64Array(dv);
      for (let i = 0; i < sq; i++) {
        const visible = causal ? Math.max(0, Math.min(sk, i + sk - sq + 1)) : sk;
        let mx = -Infinity;
        for (let j = 0; j < visible; j++) {
          s[j] = dot(h, q + i * ldq, k + j * ldk, d) * scale + (mask ? h[mask + i * ldm + j] : 0);
          if (s[j] > mx || Number.isNaN(s[j])) mx = s[j];
        }
        acc.fill(0);
        let sum = 0;
        if (mx !== -Infinity) {
          for (let j = 0; j < visible; j++) {
            const p = Math.exp(s[j] - mx);
            sum += p;
            for (let c = 0; c < dv; c++) acc[c] += p * h[v + j * ldv + c];
          }
        }
        for (let c = 0; c < dv; c++) h[out + i * ldo + c] = sum > 0 ? acc[c] / sum : 0;
      }
    },
    attention_work_bytes: () => 0,
    mask_scores_f32(s, rows, cols, scale, mask, ldm, causal) {
      const h = heap();
      s >>= 2; mask >>= 2;
      for (let i = 0; i < rows; i++) {
        const visible = causal ? Math.max(0, Math.min(cols, i + cols - rows + 1)) : cols;
        for (let j = 0; j < cols; j++) {
          h[s + i * cols + j] = j < visible ? h[s + i * cols + j] * scale + (mask ? h[mask + i * ldm + j] : 0) : -Infinity;
        }
      }
    },
    topk_merge_f32(scores, rows, n, ld, first, k, largest, outIdx, outScores) {
      if (k <= 0) return;
      const h = heap(), hi = new Int32Array(h.buffer);
      scores >>= 2; outIdx >>= 2; outScores >>= 2;
      const sign = largest ? 1 : -1;
      for (let r = 0; r < rows; r++) {
        // the running list, best first; a candidate enters only by beating its last (worst) entry
        const at0 = r * k, idx = hi.subarray(outIdx + at0, outIdx + at0 + k), val = h.subarray(outScores + at0, outScores + at0 + k);
        for (let i = 0; i < n; i++) {
          const v = h[scores + r * ld + i];
          if (!(sign * v > sign * val[k - 1])) continue; // NaN fails too
          let at = k - 1;
          for (; at > 0 && sign * val[at - 1] < sign * v; at--) { val[at] = val[at - 1]; idx[at] = idx[at - 1]; } // equal scores keep the earlier row first
          val[at] = v;
          idx[at] = first + i;
        }
      }
    },
    i8_query_limit: () => 2047,
    i8_work_bytes: () => 0,
    dot_i8_rows(codes, stride, n, q, nq, rowMeta, qScales, out, ldo, _work) {
      const h = heap(), bytes = new Int8Array(h.buffer), shorts = new Int16Array(h.buffer);
      rowMeta >>= 2; qScales >>= 2; out >>= 2; q >>= 1;
      for (let j = 0; j < nq; j++) {
        const qj = q + j * stride, qs = h[qScales + j];
        for (let i = 0; i < n; i++) {
          const ri = codes + i * stride;
          let s = 0;
          for (let p = 0; p < stride; p++) s += bytes[ri + p] * shorts[qj + p];
          h[out + j * ldo + i] = s * h[rowMeta + 2 * i] * qs;
        }
      }
    },
    householder_tau_bytes: (cols) => cols * 4,
    householder_work_bytes: () => 0,
    householder_qr_f32(a, cols, len, tau, diag, _work) {
      const h = heap();
      a >>= 2; tau >>= 2; diag >>= 2;
      for (let k = 0; k < cols; k++) {
        const v = a + k * len + k, n = len - k;
        const normx = norm(h, v, n);
        if (normx === 0) { h[tau + k] = 0; h[diag + k] = 0; continue; }
        const x0 = h[v], alpha = x0 >= 0 ? -normx : normx;
        h[v] = x0 - alpha;
        const beta = Math.fround(1 / (normx * (normx + Math.abs(x0))));
        h[tau + k] = beta; h[diag + k] = alpha;
        for (let j = k + 1; j < cols; j++) {
          const col = a + j * len + k, w = beta * dot(h, v, col, n);
          for (let i = 0; i < n; i++) h[col + i] -= w * h[v + i];
        }
      }
    },
    householder_q_f32(a, cols, len, tau, q, _work) {
      const h = heap();
      a >>= 2; tau >>= 2; q >>= 2;
      h.fill(0, q, q + cols * len);
      for (let j = 0; j < cols; j++) h[q + j * len + j] = 1;
      for (let k = cols - 1; k >= 0; k--) {
        const beta = h[tau + k];
        if (beta === 0) continue;
        const v = a + k * len + k, n = len - k;
        for (let j = k; j < cols; j++) {
          const col = q + j * len + k, w = beta * dot(h, v, col, n);
          for (let i = 0; i < n; i++) h[col + i] -= w * h[v + i];
        }
      }
    },
    jacobi_svd_f64(w, v, n, m, maxSweeps, norms) {
      const h = new Float64Array(heap().buffer);
      w >>= 3; v >>= 3; norms >>= 3;
      const rotate = (x: number, y: number, len: number, c: number, s: number) => {
        for (let i = 0; i < len; i++) {
          const a = h[x + i], b = h[y + i];
          h[x + i] = c * a - s * b;
          h[y + i] = s * a + c * b;
        }
      };
      const dot64 = (x: number, y: number) => { let s = 0; for (let i = 0; i < m; i++) s += h[x + i] * h[y + i]; return s; };
      for (let sweep = 1; sweep <= maxSweeps; sweep++) {
        for (let j = 0; j < n; j++) h[norms + j] = dot64(w + j * m, w + j * m);
        let rotated = false;
        for (let p = 0; p < n - 1; p++) {
          for (let q = p + 1; q < n; q++) {
            const wp = w + p * m, wq = w + q * m, alpha = h[norms + p], beta = h[norms + q], gamma = dot64(wp, wq);
            if (gamma === 0 || Math.abs(gamma) <= 1e-10 * Math.sqrt(alpha * beta)) continue; // as assembly/linalg.ts
            rotated = true;
            const zeta = (beta - alpha) / (2 * gamma);
            const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
            const c = 1 / Math.sqrt(1 + t * t), s = c * t;
            rotate(wp, wq, m, c, s);
            rotate(v + p * n, v + q * n, n, c, s);
            h[norms + p] = alpha - t * gamma;
            h[norms + q] = beta + t * gamma;
          }
        }
        if (!rotated) return sweep;
      }
      return maxSweeps;
    },
    csr_matmul_f32(indptr, indices, values, m, b, n, out) {
      const h = heap(), hi = new Int32Array(h.buffer);
      indptr >>= 2; indices >>= 2; values >>= 2; b >>= 2; out >>= 2;
      for (let i = 0; i < m; i++) {
        const o = out + i * n;
        h.fill(0, o, o + n);
        for (let p = hi[indptr + i]; p < hi[indptr + i + 1]; p++) {
          const v = h[values + p], row = b + hi[indices + p] * n;
          for (let c = 0; c < n; c++) h[o + c] += v * h[row + c];
        }
      }
    },
    csr_matmul_t_f32(indptr, indices, values, m, cols, b, n, out) {
      const h = heap(), hi = new Int32Array(h.buffer);
      indptr >>= 2; indices >>= 2; values >>= 2; b >>= 2; out >>= 2;
      h.fill(0, out, out + cols * n);
      for (let i = 0; i < m; i++) {
        const row = b + i * n;
        for (let p = hi[indptr + i]; p < hi[indptr + i + 1]; p++) {
          const v = h[values + p], o = out + hi[indices + p] * n;
          for (let c = 0; c < n; c++) h[o + c] += v * h[row + c];
        }
      }
    },
    exp_f32(a, out, n) {
      const h = heap();
      a >>= 2; out >>= 2;
      for (let i = 0; i < n; i++) h[out + i] = Math.exp(h[a + i]);
    },
  };
}
