import { defineConfig } from "vitest/config";
import { relaxedSimdFlags } from "./scripts/node-flags.mjs";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Every path is tested, relaxed SIMD included: Node 20 needs a flag for it in the workers.
    execArgv: relaxedSimdFlags(),
    testTimeout: 60_000,
  },
});
