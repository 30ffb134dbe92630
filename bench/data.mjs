// Seeded data for the workloads (an LCG: fast, and the same numbers in every run).

/** n floats uniform in [-0.5, 0.5). */
export function randomFloats(n, seed) {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; a[i] = s / 2 ** 32 - 0.5; }
  return a;
}

/** A rows×cols tensor of such floats on a backend. */
export function randomTensor(be, rows, cols, seed) {
  return be.tensor(randomFloats(rows * cols, seed), [rows, cols]);
}

/**
 * n points of `dim` floats around `clusters` random centres (spread: the noise's size relative
 * to a centre's): data with near neighbours, where approximate scores are hardest to rank.
 */
export function clusteredFloats(n, dim, clusters, spread, seed) {
  const centres = randomFloats(clusters * dim, seed), noise = randomFloats(n * dim, seed + 1);
  const a = new Float32Array(n * dim);
  let s = seed >>> 0;
  for (let r = 0; r < n; r++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const c = s % clusters;
    for (let i = 0; i < dim; i++) a[r * dim + i] = centres[c * dim + i] + spread * noise[r * dim + i];
  }
  return a;
}
