import { defineConfig } from "vitest/config";

// The browser smoke test drives Debian's Chromium through playwright-core against the built package.
export default defineConfig({
  test: {
    include: ["test-browser/**/*.test.ts"],
    fileParallelism: false, // one Chromium at a time on a 2-core machine
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
