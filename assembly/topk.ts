// Top-k selection: a bounded heap of the k best (score, row) pairs, so selecting from n scores
// costs O(n log k) with almost every score rejected by one comparison against the heap's root.
// Ties go to the lower row index (the earlier-added vector); NaN scores are never selected.

// @ts-ignore: decorator
@inline function worse(sa: f32, ia: i32, sb: f32, ib: i32, largest: bool): bool {
  if (sa == sb) return ia > ib;
  return largest ? sa < sb : sa > sb;
}

/**
 * For each of `rows` rows of n scores (row stride ld floats), writes the k best row indices
 * (i32) and scores best first to outIdx/outScores (k per row). `largest` selects the highest
 * scores (similarities), otherwise the lowest (distances). Rows with fewer than k finite
 * candidates fill the rest with index -1.
 */
export function topk_f32(scores: usize, rows: i32, n: i32, ld: i32, k: i32, largest: bool,
                         outIdx: usize, outScores: usize): void {
  for (let r = 0; r < rows; r++) {
    topkRow(scores + <usize>r * <usize>ld * 4, n, k, largest,
      outIdx + <usize>(r * k) * 4, outScores + <usize>(r * k) * 4);
  }
}

function topkRow(s: usize, n: i32, k: i32, largest: bool, hi: usize, hs: usize): void {
  if (k <= 0) return;
  // The heap lives in the output arrays: root = worst kept candidate.
  let size = 0;
  let i = 0;
  while (i < n) {
    if (size == k && i + 4 <= n) {
      // Once the heap is full, four scores at a time are tested against the worst kept one:
      // almost every block is rejected by one compare (equal scores lose to the earlier row).
      const root = f32x4.splat(load<f32>(hs));
      const v = v128.load(s + (<usize>i << 2));
      if (!v128.any_true(largest ? f32x4.gt(v, root) : f32x4.lt(v, root))) { i += 4; continue; }
    }
    const end = min(n, i + 4);
    for (; i < end; i++) {
      const v = load<f32>(s + (<usize>i << 2));
      if (v != v) continue; // NaN
      if (size < k) {
        // sift up
        let c = size++;
        while (c > 0) {
          const p = (c - 1) >> 1;
          const ps = load<f32>(hs + (<usize>p << 2)), pi = load<i32>(hi + (<usize>p << 2));
          if (!worse(v, i, ps, pi, largest)) break;
          store<f32>(hs + (<usize>c << 2), ps); store<i32>(hi + (<usize>c << 2), pi);
          c = p;
        }
        store<f32>(hs + (<usize>c << 2), v); store<i32>(hi + (<usize>c << 2), i);
      } else if (worse(load<f32>(hs), load<i32>(hi), v, i, largest)) {
        siftDown(hi, hs, size, v, i, largest);
      }
    }
  }
  // Sort best first: repeatedly move the worst (root) to the end.
  for (let end = size - 1; end > 0; end--) {
    const ws = load<f32>(hs), wi = load<i32>(hi);
    const ls = load<f32>(hs + (<usize>end << 2)), li = load<i32>(hi + (<usize>end << 2));
    store<f32>(hs + (<usize>end << 2), ws); store<i32>(hi + (<usize>end << 2), wi);
    siftDown(hi, hs, end, ls, li, largest);
  }
  for (let j = size; j < k; j++) {
    store<i32>(hi + (<usize>j << 2), -1);
    store<f32>(hs + (<usize>j << 2), largest ? -Infinity : Infinity);
  }
}

/** Puts (v, i) at the root of a heap of `size` and sifts it down to its place. */
function siftDown(hi: usize, hs: usize, size: i32, v: f32, i: i32, largest: bool): void {
  let c = 0;
  while (true) {
    let w = 2 * c + 1;
    if (w >= size) break;
    let wsc = load<f32>(hs + (<usize>w << 2)), wid = load<i32>(hi + (<usize>w << 2));
    const r = w + 1;
    if (r < size) {
      const rs = load<f32>(hs + (<usize>r << 2)), ri = load<i32>(hi + (<usize>r << 2));
      if (worse(rs, ri, wsc, wid, largest)) { w = r; wsc = rs; wid = ri; }
    }
    if (!worse(wsc, wid, v, i, largest)) break;
    store<f32>(hs + (<usize>c << 2), wsc); store<i32>(hi + (<usize>c << 2), wid);
    c = w;
  }
  store<f32>(hs + (<usize>c << 2), v); store<i32>(hi + (<usize>c << 2), i);
}
