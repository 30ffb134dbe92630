// Builds what is stale: the two WebAssembly variants (in parallel), their embedding in
// src/wasm/binaries.ts, then the package (tsup: ESM, CJS, .d.ts). `--force` rebuilds everything.
// Every npm script that runs code calls this first, so a fresh clone needs no separate build step.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

const force = process.argv.includes("--force");
const quiet = process.argv.includes("--quiet");

/** Newest modification time under the given files and directories. */
function newest(paths) {
  let t = 0;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(readdirSync(p).map((f) => join(p, f))) : s.mtimeMs);
  }
  return t;
}
const oldest = (files) => Math.min(...files.map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "pipe"], shell: process.platform === "win32" });
    let err = "";
    child.stderr.on("data", (d) => { err += d; });
    child.on("close", (code) => {
      // asc reports a non-converging optimiser pass on stderr: noise, not an error
      const noise = /^Last converge was suboptimal\.\s*$/gm;
      if (err.replace(noise, "").trim()) process.stderr.write(err);
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(" ")} exited with ${code}`));
    });
  });
}

const wasmOut = ["build/wasmla.simd.wasm", "build/wasmla.relaxed.wasm", "src/wasm/binaries.ts"];
if (force || newest(["assembly", "asconfig.json"]) > oldest(wasmOut)) {
  await Promise.all(["simd", "relaxed"].map((target) => run("npx", ["asc", "--target", target])));
  await run("node", ["scripts/embed-wasm.mjs"]);
}
const distOut = ["dist/index.js", "dist/index.cjs", "dist/index.d.ts"];
if (force || newest(["src", "tsup.config.ts", "package.json", "tsconfig.json"]) > oldest(distOut)) {
  await run("npx", ["tsup", ...(quiet ? ["--silent"] : [])]);
}
