// Timing primitives for the benchmark: candidates alternate inside each round so that machine
// drift hits them all alike; each figure is a median of per-call times with min and max.
import { performance } from "node:perf_hooks";

/** Calls `fn` until `minMs` has passed; returns the calls made and the time per call. */
export function timeCalls(fn, minMs) {
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  do { fn(); calls++; t = performance.now(); } while (t - t0 < minMs);
  return (t - t0) / calls;
}

/** timeCalls for a candidate whose calls return promises (a peer with an asynchronous API). */
async function timeCallsAsync(fn, minMs) {
  let calls = 0;
  const t0 = performance.now();
  let t = t0;
  do { await fn(); calls++; t = performance.now(); } while (t - t0 < minMs);
  return (t - t0) / calls;
}

/**
 * Measures every candidate (`{ name, run, async? }`) in `rounds` alternating rounds after a
 * warm-up; returns per candidate { median, min, max, samples } of milliseconds per call. Only
 * candidates marked `async` are awaited: an await per call would cost the nanosecond-scale ones.
 */
export async function measure(candidates, { rounds = 7, sampleMs = 60, warmupMs = 150 } = {}) {
  const time = (c, ms) => (c.async ? timeCallsAsync(c.run, ms) : timeCalls(c.run, ms));
  for (const c of candidates) await time(c, warmupMs);
  const samples = new Map(candidates.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    // rotate the starting candidate each round so no one always runs first
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[(i + r) % candidates.length];
      samples.get(c.name).push(await time(c, sampleMs));
    }
  }
  const out = {};
  for (const [name, s] of samples) {
    const sorted = [...s].sort((a, b) => a - b);
    out[name] = { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1], samples: s };
  }
  return out;
}

/**
 * The median over the rounds of num / den, each a candidate's name (its time in that round) or a
 * function of the round. A round measures every candidate moments apart, so a slow stretch of
 * the machine that spans a round cancels out of that round's ratio, which a ratio of medians
 * taken from different rounds does not do.
 */
export function pairedRatio(t, num, den) {
  const at = (x, r) => (typeof x === "string" ? t[x].samples[r] : x(r));
  const rounds = Object.values(t)[0].samples.length;
  const ratios = Array.from({ length: rounds }, (_, r) => at(num, r) / at(den, r)).sort((a, b) => a - b);
  return ratios[rounds >> 1];
}

/** The largest difference between `got` and `ref`, relative to the largest |entry| of `ref`: how candidates are checked before they are timed. */
export function relativeError(ref, got) {
  let worst = 0, scale = 0;
  for (let i = 0; i < ref.length; i++) {
    worst = Math.max(worst, Math.abs(ref[i] - got[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return worst / (scale || 1);
}

/** A fraction as a percentage; the bar lines use one decimal, so a figure just under a bar (0.898 of 90 %) never reads as the bar. */
export function percent(fraction, digits = 0) {
  return `${(100 * fraction).toFixed(digits)}%`;
}

/**
 * x with `digits` decimals, or more (up to 4) where fewer would show it equal to `ref` though it
 * is not: a bar line never reads "MISSES … 1.30× (≥ 1.3×)" for a ratio of 1.298.
 */
export function fixedAgainst(x, ref, digits = 2) {
  let d = digits;
  while (d < 4 && x !== ref && Number(x.toFixed(d)) === Number(ref.toFixed(d))) d++;
  return x.toFixed(d);
}

/** `percent(fraction, 1)`, with more decimals where one would show it equal to `ref`. */
export function percentAgainst(fraction, ref) {
  return `${fixedAgainst(100 * fraction, 100 * ref, 1)}%`;
}

/** Stream counts of the read probe: DRAM serves one core faster over several streams. */
export const STREAMS = [1, 2, 4, 8];

/**
 * Candidates reading n floats at `ptr` once, as 1, 2, 4 and 8 streams side by side, named
 * `${name} x${streams}`; `readBound(t, name)` is then, per round, the fastest of them: the time
 * to stream that memory once, the bandwidth bound.
 */
export function streamCandidates(probes, ptr, n, name) {
  const len = n - (n % 32);
  return STREAMS.map((s) => ({ name: `${name} x${s}`, run: () => probes.probe_stream_f32(ptr, len, s) }));
}

/** The round-by-round bound of `streamCandidates`: a function of the round, for pairedRatio. */
export function readBound(t, name) {
  return (r) => Math.min(...STREAMS.map((s) => t[`${name} x${s}`].samples[r]));
}

/** The median over the rounds of a function of the round. */
export function medianOver(t, f) {
  return pairedRatio(t, f, () => 1);
}

/** A plain-text table with right-aligned numeric columns. */
export function table(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  return [line(all[0]), widths.map((w) => "-".repeat(w)).join("  "), ...all.slice(1).map(line)].join("\n");
}

/** The same table in Markdown. */
export function markdownTable(header, rows) {
  return [`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** A progress line that rewrites itself on a terminal and stays quiet in logs. */
export function progress(text) {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${text}`);
}
progress.done = () => { if (process.stderr.isTTY) process.stderr.write("\r\x1b[K"); };
