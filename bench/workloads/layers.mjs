// Layers: fused attention against our own unfused composition (and the pure-JS path), and a
// dense layer with its fused gelu against the bare matmul of the same shape.
import { randomTensor } from "../data.mjs";
import { models, ortCandidate } from "../onnx.mjs";
import { fixedAgainst, pairedRatio } from "../harness.mjs";

const maxDiff = (a, b) => { let w = 0; for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i])); return w; };

/** Unfused attention: the full score matrix, softmax, then ·V. */
function unfused(be, Q, K, V, d) {
  const s = be.matmul(Q, K, { transposeB: true }), ss = be.scale(s, 1 / Math.sqrt(d));
  s.dispose();
  const p = be.softmax(ss);
  ss.dispose();
  const out = be.matmul(p, V);
  p.dispose();
  return out;
}

/** Extra bytes a call needs beyond its inputs: peak live bytes during it, minus live bytes before. */
function peakExtra(be, fn) {
  be.heap.resetPeak();
  const before = be.memoryStats().liveBytes;
  fn().dispose();
  return be.memoryStats().peakBytes - before;
}

export const attentionWorkload = {
  name: "attention",
  aliases: ["layers"],
  title: "attention, one head, d = 64: ms per call (fused vs our unfused composition), extra memory",
  async run({ backends, paths, quick, measure, progress, peers, ort }) {
    const d = 64, rows = [], data = [];
    const opts = quick ? { rounds: 3, sampleMs: 30, warmupMs: 40 } : { rounds: 7, sampleMs: 100, warmupMs: 150 };
    for (const seq of [128, 512, 2048]) {
      progress(`attention seq ${seq}`);
      const inputs = Object.fromEntries(paths.map((p) => [p, [1, 2, 3].map((s) => randomTensor(backends[p], seq, d, s))]));
      const cands = [];
      for (const p of paths) {
        const be = backends[p], [Q, K, V] = inputs[p];
        const fused = be.attention(Q, K, V), plain = unfused(be, Q, K, V, d);
        const diff = maxDiff(fused.toFloat32Array(), plain.toFloat32Array());
        fused.dispose(); plain.dispose();
        if (diff > 1e-4) throw new Error(`attention seq ${seq} on ${p}: fused and unfused differ by ${diff}`);
        if (p === "js" && seq > 512 && quick) continue;
        cands.push({ name: `${p} fused`, run: () => be.attention(Q, K, V).dispose() });
        if (p !== "js") cands.push({ name: `${p} unfused`, run: () => unfused(be, Q, K, V, d).dispose() });
      }
      const peerTensors = [];
      if (peers) {
        // tfjs-backend-wasm's best composition: explicit transpose (its transposed-B matMul is slower)
        const qkv = inputs.js.map((x) => peers.tensor("wasm", x.toFloat32Array(), [seq, d]));
        peerTensors.push(...qkv);
        cands.push(...tfjsAttention(peers, qkv, d, backends.js.attention(...inputs.js).toFloat32Array(), 1e-4, `attention seq ${seq}`));
      }
      let ortRelease = null;
      if (ort) { // the same composition as one ONNX graph: Transpose, MatMul, Mul, Softmax, MatMul
        const [q, k, v] = inputs.js.map((x) => [x.toFloat32Array(), [seq, d]]);
        const c = await ortCandidate(ort, "ort-wasm", models.attention(seq, d), "o",
          { q, k, v, scale: [new Float32Array([1 / Math.sqrt(d)]), [1]] }, backends.js.attention(...inputs.js).toFloat32Array(), 1e-4);
        cands.push(c);
        ortRelease = c.release;
      }
      const t = await measure(cands, opts);
      for (const x of peerTensors) x.dispose();
      await ortRelease?.();
      const tfjsBest = peers ? tfjsBestMedian(t) : NaN;
      const ortMs = ort ? t["ort-wasm"].median : NaN;
      const row = [`seq ${seq}`, peers ? tfjsBest.toFixed(3) : "—", ort ? ortMs.toFixed(3) : "—"];
      const entry = { seq, d, ms: { "tfjs-wasm": tfjsBest, "ort-wasm": ortMs }, extraBytes: {}, unfusedOverFused: {}, tfjsOverFused: {}, ortOverFused: {}, speedUp: {} };
      const tfjsIn = tfjsBestIn(t);
      for (const p of paths) {
        const f = t[`${p} fused`]?.median, u = t[`${p} unfused`]?.median;
        entry.ms[p] = { fused: f ?? null, unfused: u ?? null };
        const be = backends[p], [Q, K, V] = inputs[p];
        entry.extraBytes[p] = { fused: peakExtra(be, () => be.attention(Q, K, V)), unfused: p === "js" ? null : peakExtra(be, () => unfused(be, Q, K, V, d)) };
        row.push(f === undefined ? "—" : f.toFixed(3));
        if (p === "js" || f === undefined) continue;
        entry.unfusedOverFused[p] = pairedRatio(t, `${p} unfused`, `${p} fused`);
        if (peers) entry.tfjsOverFused[p] = pairedRatio(t, tfjsIn, `${p} fused`);
        if (ort) entry.ortOverFused[p] = pairedRatio(t, "ort-wasm", `${p} fused`);
        row.push(u.toFixed(3), `${entry.unfusedOverFused[p].toFixed(2)}×`, `${mib(entry.extraBytes[p].fused)} / ${mib(entry.extraBytes[p].unfused)}`);
      }
      if (t["js fused"]) { // speed-up over the JS path, for the chart
        entry.speedUp = Object.fromEntries([...(peers ? [["tfjs-wasm", pairedRatio(t, "js fused", tfjsIn)]] : []),
          ...(ort ? [["ort-wasm", pairedRatio(t, "js fused", "ort-wasm")]] : []),
          ...paths.filter((p) => p !== "js").map((p) => [p, pairedRatio(t, "js fused", `${p} fused`)])]);
      }
      rows.push(row);
      data.push(entry);
      for (const ts of Object.values(inputs)) for (const x of ts) x.dispose();
    }
    const decode = await decodeStep({ backends, paths, measure, progress, peers, opts, d });
    const wasm = paths.filter((p) => p !== "js");
    const header = ["shape", "tfjs-wasm (best)", "ort-wasm", "js fused", ...wasm.flatMap((p) => [`${p} fused`, "unfused", "unfused/fused", "extra MiB fused / unfused"])];
    const summary = data.filter((e) => e.seq >= 512).flatMap((e) => wasm.flatMap((p) => {
      const r = e.unfusedOverFused[p], rt = e.tfjsOverFused[p];
      return [
        `${r >= 1.3 ? "meets" : "MISSES"} the bar at seq ${e.seq} on ${p}: fused ${fixedAgainst(r, 1.3)}× faster than our unfused path (≥ 1.3×)`,
        ...(peers ? [`${rt >= 1.5 ? "meets" : "MISSES"} the peer bar at seq ${e.seq} on ${p}: ${fixedAgainst(rt, 1.5)}× faster than tfjs-backend-wasm's best composition (≥ 1.5×)`] : []),
        ...(ort ? [`fused on ${p} at seq ${e.seq}: ${e.ortOverFused[p].toFixed(2)}× faster than onnxruntime-web's graph`] : []),
      ];
    }));
    summary.push(...wasm.map((p) => `decoding step on ${p} (one query over ${decode.keys} cached keys): ${decode.us[p].toFixed(1)} µs` +
      (peers ? `, ${decode.tfjsOverOurs[p].toFixed(2)}× faster than tfjs-backend-wasm's best composition (${decode.us["tfjs-wasm"].toFixed(1)} µs)` : "") + `; the pure-JS path ${decode.us.js.toFixed(1)} µs`));
    const chart = data.filter((e) => e.ms.js.fused).map((e) => ({ label: `seq ${e.seq}`, values: e.speedUp }));
    return { header, rows, summary, data: [...data, { decode }], chart };
  },
};

/** One decoding step: a single query against 2048 cached keys and values (what a KV cache's `attend` runs). */
async function decodeStep({ backends, paths, measure, progress, peers, opts, d }) {
  const keys = 2048;
  progress(`attention decoding step, ${keys} keys`);
  const inputs = Object.fromEntries(paths.map((p) => [p, [randomTensor(backends[p], 1, d, 4), randomTensor(backends[p], keys, d, 5), randomTensor(backends[p], keys, d, 6)]]));
  const ref = backends.js.attention(...inputs.js).toFloat32Array();
  const cands = [];
  for (const p of paths) {
    const be = backends[p], [q, K, V] = inputs[p];
    const diff = maxDiff(be.attention(q, K, V).toFloat32Array(), ref);
    if (diff > 1e-5) throw new Error(`attention decoding step on ${p} differs from the JS path by ${diff}`);
    cands.push({ name: p, run: () => be.attention(q, K, V).dispose() });
  }
  const peerTensors = [];
  if (peers) { // both compositions, as for the full attention above; the faster one of each round counts
    const qkv = inputs.js.map((x) => peers.tensor("wasm", x.toFloat32Array(), x.shape));
    peerTensors.push(...qkv);
    cands.push(...tfjsAttention(peers, qkv, d, ref, 1e-5, "attention decoding step"));
  }
  const t = await measure(cands, opts);
  for (const x of peerTensors) x.dispose();
  for (const ts of Object.values(inputs)) for (const x of ts) x.dispose();
  const us = Object.fromEntries(paths.map((p) => [p, t[p].median * 1000]));
  if (peers) us["tfjs-wasm"] = tfjsBestMedian(t) * 1000;
  const tfjsOverOurs = peers ? Object.fromEntries(paths.map((p) => [p, pairedRatio(t, tfjsBestIn(t), p)])) : {};
  return { keys, d, us, tfjsOverOurs };
}

/**
 * tfjs-backend-wasm's two compositions of softmax(q·kᵀ/√d)·v, an explicit transpose and its
 * transposed-B matMul, each checked against `ref` (within `tol`), as bench candidates.
 */
function tfjsAttention(peers, [q, k, v], d, ref, tol, what) {
  const tf = peers.tf, sc = 1 / Math.sqrt(d);
  return [true, false].map((transposeFirst) => {
    const compose = () => peers.on("wasm", () => tf.tidy(() =>
      tf.matMul(tf.softmax(tf.mul(transposeFirst ? tf.matMul(q, tf.transpose(k)) : tf.matMul(q, k, false, true), sc)), v)));
    const got = compose();
    const diff = maxDiff(got.dataSync(), ref);
    got.dispose();
    if (diff > tol) throw new Error(`tfjs-wasm ${what} differs by ${diff}`);
    return { name: `tfjs-wasm ${transposeFirst ? "transpose" : "transposeB"}`, run: () => compose().dispose() };
  });
}

/** Round r's time of the faster tfjs composition. */
const tfjsBestIn = (t) => (r) => Math.min(t["tfjs-wasm transpose"].samples[r], t["tfjs-wasm transposeB"].samples[r]);
/** The faster tfjs composition's median. */
const tfjsBestMedian = (t) => Math.min(t["tfjs-wasm transpose"].median, t["tfjs-wasm transposeB"].median);

const mib = (b) => (b / 2 ** 20).toFixed(b < 2 ** 20 ? 2 : 1);

export const denseWorkload = {
  name: "dense",
  aliases: ["layers"],
  title: "dense layer 128×384 → 1536: ms per call, fused bias + gelu vs the bare matmul",
  async run({ backends, paths, quick, measure }) {
    const [m, k, n] = [128, 384, 1536];
    const opts = quick ? { rounds: 3, sampleMs: 30, warmupMs: 40 } : { rounds: 9, sampleMs: 80, warmupMs: 150 };
    const cands = [], inputs = {};
    for (const p of paths) {
      const be = backends[p];
      inputs[p] = [randomTensor(be, m, k, 1), randomTensor(be, k, n, 2), randomTensor(be, 1, n, 3)];
      const bias = be.tensor(inputs[p][2].toFloat32Array());
      inputs[p][2].dispose();
      inputs[p][2] = bias;
      const [X, W, b] = inputs[p];
      cands.push({ name: `${p} matmul`, run: () => be.matmul(X, W).dispose() });
      cands.push({ name: `${p} dense+gelu`, run: () => be.dense(X, W, b, "gelu").dispose() });
      cands.push({ name: `${p} unfused`, run: () => { const y = be.matmul(X, W), z = be.add(y, b), a = be.activate(z, "gelu"); y.dispose(); z.dispose(); a.dispose(); } });
    }
    const t = await measure(cands, opts);
    const ratio = (p) => pairedRatio(t, `${p} dense+gelu`, `${p} matmul`);
    const rows = paths.map((p) => {
      const mm = t[`${p} matmul`].median, dg = t[`${p} dense+gelu`].median, un = t[`${p} unfused`].median;
      return [p, mm.toFixed(3), dg.toFixed(3), `${ratio(p).toFixed(3)}×`, un.toFixed(3)];
    });
    const summary = paths.filter((p) => p !== "js").map((p) => {
      const r = ratio(p);
      return `${r <= 1.1 ? "meets" : "MISSES"} the bar on ${p}: dense + gelu takes ${fixedAgainst(r, 1.1, 3)}× the bare matmul (≤ 1.1×)`;
    });
    for (const ts of Object.values(inputs)) for (const x of ts) x.dispose();
    const chart = [{ label: "dense + gelu", values: Object.fromEntries(paths.filter((p) => p !== "js").map((p) => [p, pairedRatio(t, "js dense+gelu", `${p} dense+gelu`)])) }];
    return { header: ["path", "matmul ms", "dense+gelu ms", "ratio", "matmul, add, gelu ms"], rows, summary, chart, data: { ms: Object.fromEntries(Object.entries(t).map(([k2, v]) => [k2, v.median])) } };
  },
};
