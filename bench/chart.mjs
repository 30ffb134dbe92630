// A grouped horizontal bar chart as SVG: one group per case, one bar per candidate, the value
// being the speed-up over the pure-JS path on a log scale. No dependencies.

const COLORS = { "tfjs-cpu": "#9aa5b1", "tfjs-wasm": "#f2a541", "ort-wasm": "#7e57c2", "wasm-simd": "#4c8bf5", "wasm-relaxed-simd": "#1a56c4" };
const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;");

/** `cases`: [{ label, values: { candidate: speedup } }] → an SVG document. */
export function speedupChart(title, cases) {
  const names = [...new Set(cases.flatMap((c) => Object.keys(c.values)))];
  const all = cases.flatMap((c) => Object.values(c.values)).filter((v) => v > 0 && Number.isFinite(v));
  if (all.length === 0) return null;
  const maxLog = Math.ceil(Math.log10(Math.max(10, ...all)));
  const minLog = Math.min(0, Math.floor(Math.log10(Math.min(...all))));
  const bar = 12, gap = 10, left = 170, width = 560, top = 40;
  const groupH = names.length * bar + gap;
  const height = top + cases.length * groupH + 40;
  const x = (v) => left + ((Math.log10(v) - minLog) / (maxLog - minLog)) * width;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 150}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="white"/>`, `<text x="10" y="20" font-size="13" font-weight="bold">${esc(title)}</text>`];
  for (let e = minLog; e <= maxLog; e++) {
    const xe = x(10 ** e);
    out.push(`<line x1="${xe}" y1="${top - 5}" x2="${xe}" y2="${height - 30}" stroke="#ddd"/>`,
      `<text x="${xe}" y="${height - 16}" text-anchor="middle" fill="#555">${10 ** e}×</text>`);
  }
  cases.forEach((c, g) => {
    const y0 = top + g * groupH;
    out.push(`<text x="${left - 8}" y="${y0 + (names.length * bar) / 2 + 4}" text-anchor="end">${esc(c.label)}</text>`);
    names.forEach((name, i) => {
      const v = c.values[name];
      if (!(v > 0 && Number.isFinite(v))) return;
      const y = y0 + i * bar;
      out.push(`<rect x="${x(10 ** minLog)}" y="${y}" width="${Math.max(1, x(v) - x(10 ** minLog))}" height="${bar - 2}" fill="${COLORS[name] ?? "#888"}"/>`,
        `<text x="${x(v) + 4}" y="${y + bar - 3}" fill="#333">${v >= 10 ? v.toFixed(0) : v.toFixed(1)}×</text>`);
    });
  });
  names.forEach((name, i) => {
    out.push(`<rect x="${left + width + 20}" y="${top + i * 16}" width="10" height="10" fill="${COLORS[name] ?? "#888"}"/>`,
      `<text x="${left + width + 35}" y="${top + i * 16 + 9}">${esc(name)}</text>`);
  });
  out.push(`<text x="${left}" y="${height - 3}" fill="#555">speed-up over the pure-JS path (log scale)</text>`, "</svg>");
  return out.join("\n");
}
