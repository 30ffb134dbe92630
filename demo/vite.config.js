// The demo is a plain Vite app over the built package (../dist): `npm run demo:web` serves it,
// `npm run build:demo` writes static files to demo/dist. The library itself needs no bundler.
import { defineConfig } from "vite";

export default defineConfig({
  root: new URL(".", import.meta.url).pathname,
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", assetsInlineLimit: 0 },
  worker: { format: "es" },
  server: { host: "127.0.0.1", fs: { allow: [".."] } },
  logLevel: "warn",
});
