// Matmul GFLOP/s per path, against the pure-JS path and against this machine's SIMD peak
// (measured by the probe in the same rounds), plus matrix-vector against the memory stream bound.

const SQUARE = [64, 128, 256, 512, 1024];
const SHAPES = [...SQUARE.map((n) => [n, n, n]), [128, 384, 384], [128, 384, 1536]];
const STREAMING = [[1, 1536, 1536], [1536, 1536, 1]];
const PEAK_ITERS = 200_000;

function randomTensor(be, rows, cols, seed) {
  const data = new Float32Array(rows * cols);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; data[i] = s / 2 ** 32 - 0.5; }
  return be.tensor(data, [rows, cols]);
}

/** Relative max difference between a candidate's product and the float64-checked JS path's. */
function checkAgainst(ref, got) {
  const a = ref.toFloat32Array(), b = got.toFloat32Array();
  let worst = 0, scale = 0;
  for (let i = 0; i < a.length; i++) { worst = Math.max(worst, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(a[i])); }
  return worst / (scale || 1);
}

export const matmulWorkload = {
  name: "matmul",
  title: "matmul (GFLOP/s, median of alternating rounds; × = speed-up over js; peak = this machine's probe)",
  async run({ backends, paths, quick, measure, progress }) {
    const wasmPaths = paths.filter((p) => p !== "js");
    const opts = quick ? { rounds: 3, sampleMs: 30, warmupMs: 50 } : { rounds: 7, sampleMs: 80, warmupMs: 200 };

    // Peak probes: each wasm path's multiply-add ceiling, alternating with itself across rounds.
    const probeBuf = Object.fromEntries(wasmPaths.map((p) => {
      const be = backends[p];
      const ptr = be.heap.alloc(512);
      be.heap.f32(ptr, 128).fill(1e-3);
      return [p, ptr];
    }));
    progress("matmul: peak probes");
    const probes = wasmPaths.flatMap((p) => [
      { name: `${p} chains`, path: p, flops: 80 * PEAK_ITERS, run: () => backends[p].probes.probe_chains_f32(PEAK_ITERS) },
      { name: `${p} tile`, path: p, flops: 64 * PEAK_ITERS, run: () => backends[p].probes.probe_tile_f32(PEAK_ITERS, probeBuf[p]) },
    ]);
    const peakTimes = measure(probes, opts);
    const peak = {}, peakBy = {};
    for (const pr of probes) {
      const g = pr.flops / peakTimes[pr.name].median / 1e6;
      if (!(peak[pr.path] >= g)) { peak[pr.path] = g; peakBy[pr.path] = pr.name.split(" ")[1]; }
    }

    const rows = [], data = { peakGflops: peak, peakProbe: peakBy, shapes: [] };
    const fmt = (x) => x.toFixed(x >= 100 ? 0 : 1);
    for (const [m, k, n] of [...SHAPES, ...STREAMING]) {
      progress(`matmul: ${m}×${k}×${n}`);
      const inputs = Object.fromEntries(paths.map((p) => [p, [randomTensor(backends[p], m, k, 1), randomTensor(backends[p], k, n, 2)]]));
      const ref = backends.js.matmul(...inputs.js);
      const errors = {};
      for (const p of wasmPaths) { const c = backends[p].matmul(...inputs[p]); errors[p] = checkAgainst(ref, c); c.dispose(); }
      for (const [p, e] of Object.entries(errors)) if (e > 1e-4) throw new Error(`${p} ${m}x${k}x${n} differs from js by ${e}`);
      ref.dispose();
      const jsSlow = m * k * n >= 128 * 384 * 1536 && quick;
      const cands = paths.filter((p) => !(p === "js" && jsSlow)).map((p) => ({ name: p, run: () => backends[p].matmul(...inputs[p]).dispose() }));
      const t = measure(cands, m * k * n > 2e8 ? { ...opts, sampleMs: Math.max(opts.sampleMs, 300) } : opts);
      const gf = (p) => (t[p] ? (2 * m * k * n) / t[p].median / 1e6 : NaN);
      const row = [`${m}×${k}×${n}`];
      const entry = { m, k, n, ms: {}, gflops: {}, vsJs: {}, ofPeak: {}, maxRelErrVsJs: errors };
      for (const p of paths) {
        entry.ms[p] = t[p] ? { median: t[p].median, min: t[p].min, max: t[p].max } : null;
        entry.gflops[p] = gf(p);
        row.push(Number.isNaN(gf(p)) ? "—" : fmt(gf(p)));
        if (p !== "js") {
          entry.vsJs[p] = gf(p) / gf("js");
          entry.ofPeak[p] = gf(p) / peak[p];
          row.push(Number.isNaN(gf("js")) ? "—" : `${fmt(entry.vsJs[p])}×`, `${Math.round(100 * entry.ofPeak[p])}%`);
        }
      }
      if (m === 1 || n === 1) {
        // Matrix-vector is bandwidth-bound: compare with one streaming read of the matrix.
        for (const p of wasmPaths) {
          const be = backends[p], mat = inputs[p][m === 1 ? 1 : 0];
          const ptr = mat.ptr(), len = mat.size - (mat.size % 32);
          const s = measure([{ name: "stream", run: () => be.probes.probe_stream_f32(ptr, len) }], opts).stream.median;
          entry.vsStream = { ...(entry.vsStream ?? {}), [p]: t[p].median / s };
        }
      }
      data.shapes.push(entry);
      rows.push(row);
      for (const [a, b] of Object.values(inputs)) { a.dispose(); b.dispose(); }
    }
    const header = ["m×k×n", ...paths.flatMap((p) => (p === "js" ? ["js"] : [p, "×js", "%peak"]))];
    const summary = [
      `peak (the larger of two multiply-add probes, chains and tile): ${wasmPaths.map((p) => `${p} ${fmt(peak[p])} GFLOP/s (${peakBy[p]})`).join(", ")}`,
      ...data.shapes.filter((s) => s.vsStream).map((s) =>
        `${s.m}×${s.k}×${s.n} matrix-vector: ${wasmPaths.map((p) => `${p} ${s.vsStream[p].toFixed(2)}× the time to stream the matrix once`).join(", ")}`),
      ...barCheck(data, wasmPaths),
    ];
    return { header, rows, summary, data };
  },
};

/** The foundation issue's bar: ≥ 85 % of peak and ≥ 20× js at n = 512, 1024; matrix-vector ≤ 1.25× stream. */
function barCheck(data, wasmPaths) {
  const out = [];
  for (const s of data.shapes.filter((s) => s.m === s.k && s.k === s.n && s.n >= 512)) {
    for (const p of wasmPaths) {
      const ok = s.ofPeak[p] >= 0.85 && !(s.vsJs[p] < 20);
      out.push(`${ok ? "meets" : "MISSES"} the bar at n=${s.n} on ${p}: ${Math.round(100 * s.ofPeak[p])}% of peak (≥ 85%), ${Number.isNaN(s.vsJs[p]) ? "—" : s.vsJs[p].toFixed(1) + "×"} js (≥ 20×)`);
    }
  }
  for (const s of data.shapes.filter((s) => s.vsStream)) {
    for (const p of wasmPaths) {
      const ok = s.vsStream[p] <= 1.25;
      out.push(`${ok ? "meets" : "MISSES"} the bar for ${s.m}×${s.k}×${s.n} on ${p}: ${s.vsStream[p].toFixed(2)}× stream time (≤ 1.25×)`);
    }
  }
  return out;
}
