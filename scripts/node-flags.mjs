// Runs a script with relaxed SIMD enabled on every supported Node: Node 20 needs
// --experimental-wasm-relaxed-simd (Node 22+ has it by default and rejects the flag).
// Usage: node scripts/node-flags.mjs <script> [args...]
import { spawnSync } from "node:child_process";
import { pathToFileURL } from "node:url";
import { resolve } from "node:path";

export const relaxedSimdFlags = () =>
  Number(process.versions.node.split(".")[0]) < 22 ? ["--experimental-wasm-relaxed-simd"] : [];

const isMain = process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const [script, ...args] = process.argv.slice(2);
  const flags = relaxedSimdFlags().filter((f) => !process.execArgv.includes(f));
  if (flags.length > 0) {
    const r = spawnSync(process.execPath, [...process.execArgv, ...flags, script, ...args], { stdio: "inherit" });
    process.exit(r.status ?? 1);
  }
  process.argv.splice(1, 1); // the script sees the argv it would see when run directly
  await import(pathToFileURL(resolve(script)).href);
}
