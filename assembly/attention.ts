// Fused scaled dot-product attention: softmax(Q·Kᵀ·scale + mask)·V, tiled, with an online
// (streaming) softmax, so memory is O(seq·d) and the seq × seq score matrix never exists.
// Both products run on the GEMM micro-kernel: Kᵀ and V are packed once per call, each block of
// queries once, and the probabilities are written straight into the packed layout P·V reads.
// Up to FEW_QUERIES queries (a decoding step) skip the packing and go row by row.
import { MR, NR, roundUp, align64, microKernel, narrowKernel, packRows, packB } from "./gemm";
import { dotRaw, expUpTo88, hmax, hsum, madd } from "./simd";
import { softmaxRow } from "./softmax";
import { ADD, axpy4, axpy_f32, binary_f32 } from "./vector";

const BQ: i32 = MR * 16; // queries per block
// (block sizes from 8 to 32 tiles measured within 5 %; long key blocks run P·V with a longer k)
const BK: i32 = NR * 32; // keys per block

/**
 * Up to this many queries, each row is two streaming passes instead of the tiled kernel: its
 * scores by dot products with K's rows, then the weighted sum of V's rows. A decoding step
 * (one query against a KV cache) would otherwise pack all of K and V for one row.
 */
const FEW_QUERIES: i32 = 4;

/** Scratch bytes `attention_f32` needs. */
export function attention_work_bytes(sq: i32, sk: i32, d: i32, dv: i32): usize {
  if (sq <= FEW_QUERIES) return align64(<usize>sk * 4); // one row of scores
  const dvp = roundUp(dv, NR);
  return align64(<usize>roundUp(sk, NR) * <usize>d * 4) // packed Kᵀ
    + align64(<usize>sk * <usize>dvp * 4)                 // packed V
    + align64(<usize>BQ * <usize>d * 4)                   // packed Q block
    + align64(<usize>(BQ * BK) * 4)                       // scores
    + align64(<usize>(BQ * BK) * 4)                       // packed probabilities
    + align64(<usize>BQ * <usize>dvp * 4)                 // output accumulator
    + align64(<usize>BQ * 8);                             // running max and sum per row
}

/**
 * out = softmax(Q·Kᵀ·scale + mask)·V. Q is sq×d, K sk×d, V sk×dv, out sq×dv, each row-major
 * with its own row stride (ldq, ldk, ldv, ldo, in floats) so heads can be read from packed
 * [seq, heads·d] matrices in place. `mask` is 0 or an additive sq×sk matrix (row stride ldm;
 * -Infinity blocks). `causal` lets query i see keys j ≤ i + (sk − sq): the queries are the last
 * sq positions. A row that can see no key gets zeros.
 */
export function attention_f32(q: usize, k: usize, v: usize, out: usize, sq: i32, sk: i32, d: i32, dv: i32,
                              ldq: i32, ldk: i32, ldv: i32, ldo: i32, scale: f32, causal: bool,
                              mask: usize, ldm: i32, work: usize): void {
  if (sq == 0 || dv == 0) return;
  const offset = sk - sq;
  if (sq <= FEW_QUERIES) {
    for (let i = 0; i < sq; i++) {
      const limit = causal ? min(sk, i + offset + 1) : sk;
      attendRow(q + <usize>i * <usize>ldq * 4, k, v, out + <usize>i * <usize>ldo * 4, max(limit, 0), d, dv, ldk, ldv,
        scale, mask ? mask + <usize>i * <usize>ldm * 4 : 0, work);
    }
    return;
  }
  const dvp = roundUp(dv, NR);
  const packedK = work;
  const packedV = packedK + align64(<usize>roundUp(sk, NR) * <usize>d * 4);
  const packedQ = packedV + align64(<usize>sk * <usize>dvp * 4);
  const scores = packedQ + align64(<usize>BQ * <usize>d * 4);
  const probs = scores + align64(<usize>(BQ * BK) * 4);
  const acc = probs + align64(<usize>(BQ * BK) * 4);
  const rowMax = acc + align64(<usize>BQ * <usize>dvp * 4);
  const rowSum = rowMax + <usize>BQ * 4;

  packRows(k, ldk, sk, 0, d, NR, packedK);
  packB(v, ldv, dv, 0, sk, packedV);
  for (let i0 = 0; i0 < sq; i0 += BQ) {
    const bq = min(BQ, sq - i0);
    packRows(q + <usize>i0 * <usize>ldq * 4, ldq, bq, 0, d, MR, packedQ);
    scaleInPlace(packedQ, roundUp(bq, MR) * d, scale); // scores come out scaled: one pass less per block
    memory.fill(acc, 0, <usize>BQ * <usize>dvp * 4);
    for (let i = 0; i < bq; i++) {
      store<f32>(rowMax + (<usize>i << 2), -Infinity);
      store<f32>(rowSum + (<usize>i << 2), 0);
    }
    // keys past the last query's reach are masked for every row of the block
    const reach = causal ? min(sk, i0 + bq + offset) : sk;
    for (let j0 = 0; j0 < reach; j0 += BK) {
      const bk = min(BK, sk - j0);
      // S = Q_blk · K_blkᵀ (padded rows and columns are zeros and are ignored below)
      for (let ir = 0; ir < bq; ir += MR) {
        for (let jr = 0; jr < bk; jr += NR) {
          microKernel(d, packedQ + <usize>(ir * d) * 4, packedK + <usize>((j0 + jr) * d) * 4,
            scores + <usize>(ir * BK + jr) * 4, <usize>BK * 4, true, 0);
        }
      }
      memory.fill(probs, 0, <usize>(roundUp(bq, MR) * bk) * 4);
      for (let i = 0; i < bq; i++) {
        const qi = i0 + i;
        const limit = causal ? min(bk, qi + offset - j0 + 1) : bk;
        if (limit <= 0) continue;
        // A sliver whose rows all see the whole key block (row i sees the fewest keys) goes four
        // rows at a time in the mul+add build's 4-row slivers: each step's exps come out
        // transposed, one store per key (seq 512: 1.4-1.7 % less time under Node 20).
        if (MR == 4 && !mask && i % 4 == 0 && i + 4 <= bq && limit == bk
            && onlineSoftmaxSliver(scores + <usize>(i * BK) * 4, limit, probs + <usize>(i * bk) * 4,
                                   rowMax + (<usize>i << 2), rowSum + (<usize>i << 2), acc + <usize>(i * dvp) * 4, dvp, dv)) {
          i += 3;
          continue;
        }
        onlineSoftmaxRow(scores + <usize>(i * BK) * 4, limit,
          mask ? mask + (<usize>qi * <usize>ldm + <usize>j0) * 4 : 0,
          probs + <usize>((i / MR) * MR * bk + i % MR) * 4,
          rowMax + (<usize>i << 2), rowSum + (<usize>i << 2), acc + <usize>(i * dvp) * 4, dv);
      }
      // acc += P · V_blk
      for (let ir = 0; ir < bq; ir += MR) {
        for (let jr = 0; jr < dv; jr += NR) {
          const pp = probs + <usize>(ir * bk) * 4, pv = packedV + <usize>(jr * sk + j0 * NR) * 4;
          const pacc = acc + <usize>(ir * dvp + jr) * 4;
          if (dv - jr <= 4) narrowKernel(bk, pp, pv, pacc, <usize>dvp * 4, false, 0); // dv = 64 in the FMA build
          else microKernel(bk, pp, pv, pacc, <usize>dvp * 4, false, 0);
        }
      }
    }
    for (let i = 0; i < bq; i++) {
      const l = load<f32>(rowSum + (<usize>i << 2));
      const inv: f32 = l > 0 ? <f32>1 / l : 0;
      const src = acc + <usize>(i * dvp) * 4, dst = out + <usize>(i0 + i) * <usize>ldo * 4;
      const iv = f32x4.splat(inv);
      let c = 0;
      for (; c + 4 <= dv; c += 4) v128.store(dst + (<usize>c << 2), f32x4.mul(v128.load(src + (<usize>c << 2)), iv));
      for (; c < dv; c++) store<f32>(dst + (<usize>c << 2), load<f32>(src + (<usize>c << 2)) * inv);
    }
  }
}

/**
 * out[0:dv] = softmax(q·K[0:n]ᵀ·scale + mask)·V[0:n] for one query over its n visible keys
 * (rows ldk and ldv floats apart); `s` holds n scores. Zeros when n = 0 or every key is masked.
 */
function attendRow(q: usize, k: usize, v: usize, out: usize, n: i32, d: i32, dv: i32,
                   ldk: i32, ldv: i32, scale: f32, mask: usize, s: usize): void {
  memory.fill(out, 0, <usize>dv << 2);
  if (n == 0) return;
  const kb = <usize>ldk << 2, vb = <usize>ldv << 2;
  // Four keys a step share each load of q.
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const k0 = k + <usize>j * kb, k1 = k0 + kb, k2 = k1 + kb, k3 = k2 + kb;
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0;
    let c = 0;
    for (; c + 4 <= d; c += 4) {
      const o = <usize>c << 2, x = v128.load(q + o);
      a0 = madd(v128.load(k0 + o), x, a0); a1 = madd(v128.load(k1 + o), x, a1);
      a2 = madd(v128.load(k2 + o), x, a2); a3 = madd(v128.load(k3 + o), x, a3);
    }
    let s0 = hsum(a0), s1 = hsum(a1), s2 = hsum(a2), s3 = hsum(a3);
    for (; c < d; c++) {
      const o = <usize>c << 2, x = load<f32>(q + o);
      s0 += load<f32>(k0 + o) * x; s1 += load<f32>(k1 + o) * x; s2 += load<f32>(k2 + o) * x; s3 += load<f32>(k3 + o) * x;
    }
    const sj = s + (<usize>j << 2);
    store<f32>(sj, s0 * scale); store<f32>(sj, s1 * scale, 4); store<f32>(sj, s2 * scale, 8); store<f32>(sj, s3 * scale, 12);
  }
  for (; j < n; j++) store<f32>(s + (<usize>j << 2), dotRaw(k + <usize>j * kb, q, d) * scale);
  if (mask) binary_f32(ADD, s, 0, 1, mask, 0, 1, s, 1, n);
  softmaxRow(s, s, n);
  j = 0;
  for (; j + 4 <= n; j += 4) {
    const sj = s + (<usize>j << 2), v0 = v + <usize>j * vb;
    axpy4(load<f32>(sj), load<f32>(sj, 4), load<f32>(sj, 8), load<f32>(sj, 12), v0, v0 + vb, v0 + 2 * vb, v0 + 3 * vb, out, dv);
  }
  for (; j < n; j++) axpy_f32(load<f32>(s + (<usize>j << 2)), v + <usize>j * vb, out, out, dv);
}

/** p[0:n] *= s. */
function scaleInPlace(p: usize, n: i32, s: f32): void {
  const sv = f32x4.splat(s);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), f32x4.mul(v128.load(p + (<usize>i << 2)), sv));
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), load<f32>(p + (<usize>i << 2)) * s);
}

/**
 * One row's online-softmax step over `n` visible (already scaled) scores: add the mask, raise
 * the running max, rescale the running sum and the output accumulator by exp(old − new), and
 * write exp(s − max) into the packed probabilities (stride MR floats per key).
 */
function onlineSoftmaxRow(s: usize, n: i32, mask: usize, p: usize,
                          maxPtr: usize, sumPtr: usize, accRow: usize, dv: i32): void {
  const old = load<f32>(maxPtr);
  const m = raiseMax(old, s, n, mask);
  if (m == -Infinity) return; // nothing visible yet: probabilities stay 0
  const mvec = f32x4.splat(m);
  let sv = f32x4.splat(0); // one running sum: a second spilled (see softmax.ts)
  const step = <usize>MR * 4;
  let j = 0;
  for (; j + 16 <= n; j += 16) { // four independent exps per step (see softmax.ts)
    const o = <usize>j << 2;
    const e0 = expUpTo88(f32x4.sub(v128.load(s + o), mvec)), e1 = expUpTo88(f32x4.sub(v128.load(s + o, 16), mvec));
    const e2 = expUpTo88(f32x4.sub(v128.load(s + o, 32), mvec)), e3 = expUpTo88(f32x4.sub(v128.load(s + o, 48), mvec));
    const pj = p + <usize>j * step;
    storeColumn(pj, step, e0);
    storeColumn(pj + 4 * step, step, e1);
    storeColumn(pj + 8 * step, step, e2);
    storeColumn(pj + 12 * step, step, e3);
    sv = f32x4.add(sv, f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)));
  }
  for (; j + 4 <= n; j += 4) {
    const e = expUpTo88(f32x4.sub(v128.load(s + (<usize>j << 2)), mvec));
    storeColumn(p + <usize>j * step, step, e);
    sv = f32x4.add(sv, e);
  }
  let sum = hsum(sv);
  for (; j < n; j++) {
    const e = f32x4.extract_lane(expUpTo88(f32x4.splat(load<f32>(s + (<usize>j << 2)) - m)), 0);
    store<f32>(p + <usize>j * step, e);
    sum += e;
  }
  finishRow(old, m, sum, maxPtr, sumPtr, accRow, dv);
}

/**
 * A row's running max `old` raised by n more scores at s; a `mask` (0 for none) is first added
 * to those scores in place, in the same pass.
 */
// @ts-ignore: decorator
@inline function raiseMax(old: f32, s: usize, n: i32, mask: usize): f32 {
  let mv = f32x4.splat(old);
  let j = 0;
  if (mask) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      const x = f32x4.add(v128.load(s + o), v128.load(mask + o));
      v128.store(s + o, x);
      mv = f32x4.pmax(mv, x); // a NaN score turns the row NaN through exp below
    }
  } else {
    for (; j + 4 <= n; j += 4) mv = f32x4.pmax(mv, v128.load(s + (<usize>j << 2)));
  }
  let mx = hmax(mv);
  for (; j < n; j++) {
    const o = <usize>j << 2;
    let x = load<f32>(s + o);
    if (mask) {
      x += load<f32>(mask + o);
      store<f32>(s + o, x);
    }
    mx = Mathf.max(mx, x);
  }
  return mx;
}

/**
 * `onlineSoftmaxRow` for the four rows of a 4-row sliver that all see the same n keys (no
 * mask): four rows' scores are transposed a step at a time, so each key's four probabilities
 * leave in one store. False, with nothing written, when a row has seen no finite score yet
 * (that row's probabilities must stay 0; the row-by-row path handles it).
 */
function onlineSoftmaxSliver(s: usize, n: i32, p: usize, maxPtr: usize, sumPtr: usize, acc: usize, dvp: i32, dv: i32): bool {
  const ld = <usize>BK << 2;
  const o0 = load<f32>(maxPtr), o1 = load<f32>(maxPtr, 4), o2 = load<f32>(maxPtr, 8), o3 = load<f32>(maxPtr, 12);
  const m0 = raiseMax(o0, s, n, 0), m1 = raiseMax(o1, s + ld, n, 0), m2 = raiseMax(o2, s + 2 * ld, n, 0), m3 = raiseMax(o3, s + 3 * ld, n, 0);
  if (m0 == -Infinity || m1 == -Infinity || m2 == -Infinity || m3 == -Infinity) return false;
  const mv = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(m0), 1, m1), 2, m2), 3, m3);
  let sv = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o = <usize>j << 2;
    const a = v128.load(s + o), b = v128.load(s + ld + o), c = v128.load(s + 2 * ld + o), d = v128.load(s + 3 * ld + o);
    const t0 = v128.shuffle<f32>(a, b, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a, b, 2, 6, 3, 7);
    const t2 = v128.shuffle<f32>(c, d, 0, 4, 1, 5), t3 = v128.shuffle<f32>(c, d, 2, 6, 3, 7);
    const e0 = expUpTo88(f32x4.sub(v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), mv));
    const e1 = expUpTo88(f32x4.sub(v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), mv));
    const e2 = expUpTo88(f32x4.sub(v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), mv));
    const e3 = expUpTo88(f32x4.sub(v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), mv));
    const pj = p + (<usize>j << 4);
    v128.store(pj, e0); v128.store(pj, e1, 16); v128.store(pj, e2, 32); v128.store(pj, e3, 48);
    sv = f32x4.add(sv, f32x4.add(f32x4.add(e0, e1), f32x4.add(e2, e3)));
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    const x = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(load<f32>(s + o)), 1,
      load<f32>(s + ld + o)), 2, load<f32>(s + 2 * ld + o)), 3, load<f32>(s + 3 * ld + o));
    const e = expUpTo88(f32x4.sub(x, mv));
    v128.store(p + (<usize>j << 4), e);
    sv = f32x4.add(sv, e);
  }
  const row = <usize>dvp << 2;
  finishRow(o0, m0, f32x4.extract_lane(sv, 0), maxPtr, sumPtr, acc, dv);
  finishRow(o1, m1, f32x4.extract_lane(sv, 1), maxPtr + 4, sumPtr + 4, acc + row, dv);
  finishRow(o2, m2, f32x4.extract_lane(sv, 2), maxPtr + 8, sumPtr + 8, acc + 2 * row, dv);
  finishRow(o3, m3, f32x4.extract_lane(sv, 3), maxPtr + 12, sumPtr + 12, acc + 3 * row, dv);
  return true;
}

/** A row's running max becomes m and its running sum gains `sum`; the sum and the output accumulator so far are rescaled by exp(old − m) when the max rose. */
function finishRow(old: f32, m: f32, sum: f32, maxPtr: usize, sumPtr: usize, accRow: usize, dv: i32): void {
  if (old != m) {
    const alpha = f32x4.extract_lane(expUpTo88(f32x4.splat(old - m)), 0); // 0 when old = -Infinity
    store<f32>(sumPtr, load<f32>(sumPtr) * alpha + sum);
    const av = f32x4.splat(alpha);
    let c = 0;
    for (; c + 4 <= dv; c += 4) v128.store(accRow + (<usize>c << 2), f32x4.mul(v128.load(accRow + (<usize>c << 2)), av));
    for (; c < dv; c++) store<f32>(accRow + (<usize>c << 2), load<f32>(accRow + (<usize>c << 2)) * alpha);
  } else {
    store<f32>(sumPtr, load<f32>(sumPtr) + sum);
  }
  store<f32>(maxPtr, m);
}

/** The four lanes of v to p, p + step, p + 2·step, p + 3·step: a column of a packed sliver. */
// @ts-ignore: decorator
@inline function storeColumn(p: usize, step: usize, v: v128): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  store<f32>(p + step, f32x4.extract_lane(v, 1));
  store<f32>(p + 2 * step, f32x4.extract_lane(v, 2));
  store<f32>(p + 3 * step, f32x4.extract_lane(v, 3));
}
