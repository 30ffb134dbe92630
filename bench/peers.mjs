// The peers a user would pick instead, loaded in the same process: TensorFlow.js with its
// WebAssembly backend (XNNPACK; its own .wasm files from node_modules, one thread) and its
// plain-JS CPU backend. Each candidate switches tfjs to its backend before running.
import { createRequire } from "node:module";
import path from "node:path";

export async function loadTfjs() {
  const tf = await import("@tensorflow/tfjs-core");
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  await import("@tensorflow/tfjs-backend-cpu");
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")) + "/dist/");
  wasm.setThreadsCount(1);
  for (const name of ["wasm", "cpu"]) {
    if (!(await tf.setBackend(name))) throw new Error(`tfjs backend ${name} failed to initialise`);
  }
  await tf.ready();
  const version = (await import("@tensorflow/tfjs-backend-wasm/package.json", { with: { type: "json" } }).catch(() => ({ default: {} }))).default.version;
  return {
    tf,
    info: { "tfjs-backend-wasm": { version, simd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT"), threads: 1 } },
    /** Runs fn with tfjs switched to a backend (already initialised, so the switch is synchronous). */
    on(name, fn) {
      if (tf.getBackend() !== name) tf.setBackend(name);
      return fn();
    },
    /** Creates tensors on a backend. */
    tensor(name, data, shape) {
      return this.on(name, () => tf.tensor(data, shape, "float32"));
    },
  };
}

export const TFJS_BACKENDS = [["tfjs-wasm", "wasm"], ["tfjs-cpu", "cpu"]];
