// The page: three panels, each a view over results the worker computes. Nothing heavy runs here.

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const pending = new Map();
let nextId = 0;
/** Runs a worker task; `onProgress` sees its progress messages. */
function call(type, args = {}, onProgress) {
  const id = nextId++;
  worker.postMessage({ id, type, ...args });
  return new Promise((resolve, reject) => pending.set(id, { resolve, reject, onProgress }));
}
worker.onmessage = ({ data }) => {
  const p = pending.get(data.id);
  if (data.type === "progress") return p.onProgress?.(data);
  pending.delete(data.id);
  data.type === "result" ? p.resolve(data.result) : p.reject(new Error(data.message));
};
const $ = (id) => document.getElementById(id);
const svgNS = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(svgNS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}
const fail = (where) => (e) => { where.textContent = `Error: ${e.message}`; console.error(e); };

// ---- header: the path and the features ------------------------------------------------------
const ready = call("init").then(({ backend, features }) => {
  $("status").textContent = `Running on ${backend}${backend === "wasm-relaxed-simd" ? " (SIMD with fused multiply-add)" : ""}.`;
  $("status").dataset.backend = backend;
  $("features").replaceChildren(...Object.entries(features).map(([name, has]) => {
    const li = document.createElement("li");
    li.className = has ? "yes" : "no";
    li.textContent = `${has ? "✓" : "✗"} ${name}`;
    return li;
  }));
}, fail($("status")));

// ---- benchmark ------------------------------------------------------------------------------
/** Horizontal bars of GFLOP/s (WASM and JS) per operation, log scale, with the speed-up. */
function drawBench(results, backend) {
  const rowH = 46, left = 190, width = 620, top = 28;
  const max = Math.max(...results.flatMap((r) => [r.gflops, r.jsGflops]));
  const min = Math.min(...results.flatMap((r) => [r.gflops, r.jsGflops])) / 2;
  const x = (v) => left + ((Math.log(v) - Math.log(min)) / (Math.log(max) - Math.log(min))) * (width - left - 170); // room for the labels
  const chart = svg("svg", { viewBox: `0 0 ${width} ${top + rowH * results.length + 10}`, role: "img", "aria-label": "GFLOP/s by operation" });
  chart.append(svg("text", { x: left, y: 16, "font-size": 12, fill: "#2f6fdf" }, `■ ${backend}`), svg("text", { x: left + 170, y: 16, "font-size": 12, fill: "#e0a030" }, "■ pure JS   (GFLOP/s, log scale)"));
  results.forEach((r, i) => {
    const y = top + i * rowH;
    chart.append(svg("text", { x: 0, y: y + 22, "font-size": 13 }, r.label));
    chart.append(svg("rect", { x: left, y, width: Math.max(1, x(r.gflops) - left), height: 16, fill: "#2f6fdf" }));
    chart.append(svg("rect", { x: left, y: y + 18, width: Math.max(1, x(r.jsGflops) - left), height: 16, fill: "#e0a030" }));
    chart.append(svg("text", { x: x(r.gflops) + 6, y: y + 13, "font-size": 12 }, `${r.gflops.toFixed(2)} · ${r.speedup.toFixed(1)}× faster`));
    chart.append(svg("text", { x: x(r.jsGflops) + 6, y: y + 31, "font-size": 12, fill: "#5b6575" }, r.jsGflops.toFixed(2)));
  });
  $("bench-chart").replaceChildren(chart);
  $("bench-chart").dataset.speedups = JSON.stringify(Object.fromEntries(results.map((r) => [r.op, r.speedup])));
}

$("bench-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  await ready;
  const sizes = Object.fromEntries([...new FormData($("bench-form"))].map(([k, v]) => [k, Number(v)]));
  const bar = $("bench-progress");
  $("bench-run").disabled = true;
  bar.hidden = false;
  delete $("bench-chart").dataset.done;
  try {
    const { results, backend } = await call("bench", { sizes }, (p) => {
      bar.value = p.fraction;
      if (p.partial) drawBench(p.partial, $("status").dataset.backend);
    });
    drawBench(results, backend);
    $("bench-chart").dataset.done = "true";
  } catch (e) {
    fail($("bench-chart"))(e);
  } finally {
    $("bench-run").disabled = false;
    bar.hidden = true;
  }
});

// ---- attention heat map ---------------------------------------------------------------------
function drawHeatMap({ tokens, weights }, causal) {
  const canvas = $("attention-canvas"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const n = tokens.length;
  if (n === 0) return;
  const pad = 80, cell = Math.min(48, (Math.min(canvas.width, canvas.height) - pad - 10) / n);
  ctx.font = "13px system-ui";
  tokens.forEach((t, i) => {
    ctx.fillStyle = "#1d2430";
    ctx.textAlign = "right";
    ctx.fillText(t, pad - 8, pad + i * cell + cell / 2 + 4);
    ctx.save();
    ctx.translate(pad + i * cell + cell / 2 + 4, pad - 8);
    ctx.rotate(-Math.PI / 4);
    ctx.textAlign = "left";
    ctx.fillText(t, 0, 0);
    ctx.restore();
  });
  weights.forEach((row, i) => row.forEach((w, j) => {
    ctx.fillStyle = `rgba(47, 111, 223, ${0.06 + 0.94 * w})`;
    ctx.fillRect(pad + j * cell, pad + i * cell, cell - 1, cell - 1);
    if (cell >= 34) {
      ctx.fillStyle = w > 0.5 ? "#fff" : "#1d2430";
      ctx.textAlign = "center";
      ctx.fillText(w.toFixed(2), pad + j * cell + cell / 2, pad + i * cell + cell / 2 + 4);
    }
  }));
  canvas.dataset.tokens = String(n);
  canvas.dataset.causal = String(causal);
  canvas.dataset.weights = JSON.stringify(weights.map((r) => r.map((w) => +w.toFixed(4))));
}

async function updateAttention() {
  await ready;
  const causal = $("attention-causal").checked;
  try {
    drawHeatMap(await call("attention", { sentence: $("attention-input").value, causal }), causal);
  } catch (e) {
    console.error(e);
  }
}
$("attention-form").addEventListener("submit", (e) => { e.preventDefault(); updateAttention(); });
$("attention-input").addEventListener("input", updateAttention);
$("attention-causal").addEventListener("change", updateAttention);
updateAttention();

// ---- semantic map ---------------------------------------------------------------------------
let map; // { points, labels, explained }
let highlighted = [];

function drawMap() {
  const canvas = $("map-canvas"), ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (!map) return;
  const { points } = map, n = points.length / 2;
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(points[2 * i])) continue;
    x0 = Math.min(x0, points[2 * i]); x1 = Math.max(x1, points[2 * i]);
    y0 = Math.min(y0, points[2 * i + 1]); y1 = Math.max(y1, points[2 * i + 1]);
  }
  const m = 12, sx = (canvas.width - 2 * m) / (x1 - x0 || 1), sy = (canvas.height - 2 * m) / (y1 - y0 || 1);
  const at = (i) => [m + (points[2 * i] - x0) * sx, canvas.height - m - (points[2 * i + 1] - y0) * sy];
  ctx.fillStyle = "rgba(29, 36, 48, 0.18)";
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(points[2 * i])) continue;
    const [px, py] = at(i);
    ctx.fillRect(px - 1, py - 1, 2, 2);
  }
  ctx.font = "12px system-ui";
  highlighted.forEach((row, rank) => {
    const [px, py] = at(row);
    ctx.fillStyle = rank === 0 ? "#d0342c" : "#e0a030";
    ctx.beginPath();
    ctx.arc(px, py, rank === 0 ? 6 : 4, 0, 2 * Math.PI);
    ctx.fill();
    if (rank < 3) { ctx.fillStyle = "#1d2430"; ctx.fillText(map.labels[row].split(":")[0], px + 8, py - 6); }
  });
  canvas.dataset.points = String(n);
  canvas.dataset.highlighted = String(highlighted.length);
}

const mapReady = call("corpus", {}, (p) => {
  $("map-progress").value = p.fraction;
  $("map-status").textContent = `Building the map: ${p.stage}…`;
}).then((result) => {
  map = result;
  $("map-progress").hidden = true;
  $("map-status").textContent = `${result.labels.length} package descriptions, ${result.terms} terms → ${result.dims} LSA dimensions in ` +
    `${(result.ms / 1000).toFixed(1)} s; the two PCA axes shown explain ${(100 * (result.explained[0] + result.explained[1])).toFixed(1)} % of their variance.`;
  $("map-status").dataset.ready = "true";
  drawMap();
}, fail($("map-status")));

$("search-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  await mapReady;
  const list = $("search-results");
  try {
    const { hits, known } = await call("search", { query: $("search-input").value, k: 10 });
    highlighted = hits.map((h) => h.row);
    list.replaceChildren(...(hits.length ? hits.map((h) => {
      const li = document.createElement("li");
      li.innerHTML = `<span class="score">${h.score.toFixed(3)}</span> <b></b> <span></span>`;
      li.querySelector("b").textContent = h.id;
      li.querySelector("span:last-child").textContent = h.title;
      li.dataset.id = h.id;
      return li;
    }) : [Object.assign(document.createElement("li"), { textContent: known.length ? "no results" : "none of these words occur in the corpus" })]));
    list.dataset.done = String(Date.now());
    drawMap();
  } catch (e) {
    fail(list)(e);
  }
});
