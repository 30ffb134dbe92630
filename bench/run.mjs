// npm run bench [-- <workload names or aliases...>] [--quick]
// Measures every path of ours in one process (ratios in one run) and writes
// bench/results/<date>.json and bench/results/latest.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { createBackend, detectFeatures } from "../dist/index.js";
import { markdownTable, measure, progress, table } from "./harness.mjs";
import { matmulWorkload } from "./workloads/matmul.mjs";
import { attentionWorkload, denseWorkload } from "./workloads/layers.mjs";
import { searchWorkload } from "./workloads/search.mjs";
import { kernelsWorkload } from "./workloads/kernels.mjs";
import { lsaWorkload } from "./workloads/lsa.mjs";
import { loadTfjs } from "./peers.mjs";
import { loadOrt } from "./onnx.mjs";
import { speedupChart } from "./chart.mjs";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const filters = args.filter((a) => !a.startsWith("--"));
const all = [matmulWorkload, kernelsWorkload, denseWorkload, attentionWorkload, searchWorkload, lsaWorkload];
const names = (w) => [w.name, ...(w.aliases ?? [])];
const unknown = filters.filter((f) => !all.some((w) => names(w).includes(f)));
if (unknown.length) {
  console.error(`npm run bench: no workload called ${unknown.join(", ")}; choose from ${all.map((w) => names(w).join("/")).join(", ")}`);
  process.exit(2);
}
const workloads = all.filter((w) => filters.length === 0 || names(w).some((n) => filters.includes(n)));

const features = detectFeatures();
const paths = ["js", "wasm-simd", ...(features.relaxedSimd ? ["wasm-relaxed-simd"] : [])];
const backends = Object.fromEntries(await Promise.all(paths.map(async (p) => [p, await createBackend(p)])));

// tfjs greets Node users on first use; the bench output is no place for it.
const warn = console.warn;
console.warn = (...a) => { if (!String(a[0] ?? "").includes("tfjs-node") && !String(a[0] ?? "").startsWith("=====")) warn(...a); };
const peers = await loadTfjs().catch((e) => { console.log(`(tfjs peers unavailable: ${e.message})`); return null; });
const ort = await loadOrt().catch((e) => { console.log(`(onnxruntime-web unavailable: ${e.message})`); return null; });

/**
 * The CPU's name, with its family and model from /proc/cpuinfo where there is one: VMs often
 * call every generation "AMD EPYC", and the tile that wins differs between Zen 4 and Zen 5.
 */
function cpuName() {
  const model = os.cpus()[0]?.model ?? "unknown";
  let info = "";
  try { info = readFileSync("/proc/cpuinfo", "utf8"); } catch { return model; }
  const field = (name) => info.match(new RegExp(`^${name}\\s*:\\s*(\\d+)`, "m"))?.[1];
  const family = field("cpu family"), num = field("model");
  if (family === undefined) return model;
  const zen = /AMD/.test(model) ? { 23: "Zen 1/2", 25: "Zen 3/4", 26: "Zen 5" }[family] : undefined;
  return `${model} (family ${family} model ${num}${zen ? `: ${zen}` : ""})`;
}

const machine = {
  cpu: cpuName(), cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version, v8: process.versions.v8, platform: `${process.platform}-${process.arch}`,
  wasmFeatures: features, date: new Date().toISOString(), peers: { ...peers?.info, ...ort?.info },
};

const ctx = { backends, paths, quick, measure, progress, peers, ort };
const results = { machine, quick, workloads: {} };
const sections = {};
let markdown = `Machine: ${machine.cpu}, ${machine.cores} cores, Node ${machine.node} (V8 ${machine.v8}), single thread.\n`;

console.log(`wasmla bench — ${machine.cpu}, Node ${machine.node}, paths: ${paths.join(", ")}${quick ? " (quick)" : ""}\n`);
for (const w of workloads) {
  const r = await w.run(ctx);
  progress.done();
  results.workloads[w.name] = r.data;
  console.log(`${w.title}\n${table(r.header, r.rows)}\n`);
  for (const line of r.summary) console.log(line);
  console.log();
  const svg = !quick && r.chart ? speedupChart(w.title, r.chart) : null;
  if (svg) {
    mkdirSync("bench/results", { recursive: true });
    writeFileSync(`bench/results/${w.name}.svg`, svg);
  }
  sections[w.name] = `**${w.title}**\n\n${markdownTable(r.header, r.rows)}\n\n${r.summary.map((s) => `- ${s}`).join("\n")}` +
    (svg ? `\n\n![${w.name}: speed-up over pure JS](bench/results/${w.name}.svg)` : "");
  markdown += `\n### ${w.title}\n\n${sections[w.name]}\n`;
}

mkdirSync("bench/results", { recursive: true });
// Quick runs are smoke tests: their figures go to a separate, untracked file.
const file = `bench/results/${machine.date.slice(0, 10)}${quick ? ".quick" : ""}.json`;
// A filtered run adds its workloads to the day's file instead of replacing the others.
if (filters.length > 0 && existsSync(file)) {
  const before = JSON.parse(readFileSync(file, "utf8"));
  results.workloads = { ...before.workloads, ...results.workloads };
}
writeFileSync(file, JSON.stringify(results, null, 2));
if (!quick && filters.length === 0) writeFileSync("bench/results/latest.md", `<!-- written by npm run bench -->\n${markdown}`);
console.log(`wrote ${file}${quick || filters.length ? "" : " and bench/results/latest.md"}`);

// A full run (not --quick) rewrites the README's tables between <!-- bench:NAME --> markers.
if (!quick) {
  let readme = readFileSync("README.md", "utf8");
  for (const [name, body] of Object.entries(sections)) {
    const re = new RegExp(`(<!-- bench:${name} -->\\n)[\\s\\S]*?(<!-- /bench:${name} -->)`);
    const command = filters.length ? `npm run bench -- ${filters.join(" ")}` : "npm run bench"; // the run that made this section
    const stamp = `Made by \`${command}\` on ${machine.date.slice(0, 10)}: ${machine.cpu}, Node ${machine.node}.`;
    readme = readme.replace(re, (_, open, close) => `${open}${stamp}\n\n${body}\n${close}`);
  }
  writeFileSync("README.md", readme);
  console.log("updated the README's performance tables");
}
