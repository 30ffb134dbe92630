import { defineConfig } from "tsup";

// One bundle per format; the WebAssembly binaries are inlined (src/wasm/binaries.ts), so the
// package needs no .wasm files and no bundler configuration.
export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm", "cjs"],
  dts: true,
  target: "es2022",
  platform: "neutral",
  sourcemap: true,
  clean: true,
});
