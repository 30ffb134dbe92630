import { BackendError } from "../errors";
import type { Kernels, Probes } from "../kernels";
import { relaxedWasm, simdWasm } from "./binaries";

/** What this runtime's WebAssembly can run. */
export interface WasmFeatures {
  simd: boolean;
  relaxedSimd: boolean;
}

// Probe modules, validated rather than run: relaxed opcodes make a whole module fail validation
// where unsupported, so a tiny module using the one instruction we need answers the question.
// (func (result v128) i32.const 0 i8x16.splat)
const SIMD_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 8, 1, 6, 0, 65, 0, 253, 15, 11];
// (func (result v128) (f32x4.relaxed_madd (i8x16.splat 0) (i8x16.splat 0) (i8x16.splat 0)))
const RELAXED_PROBE = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0,
  10, 19, 1, 17, 0, 65, 0, 253, 15, 65, 0, 253, 15, 65, 0, 253, 15, 253, 133, 2, 11];

let features: WasmFeatures | undefined;

/** Detects WebAssembly SIMD and relaxed SIMD once per process. */
export function detectFeatures(): WasmFeatures {
  if (!features) {
    const ok = (bytes: number[]) => typeof WebAssembly === "object" && WebAssembly.validate(new Uint8Array(bytes));
    const simd = ok(SIMD_PROBE);
    features = { simd, relaxedSimd: simd && ok(RELAXED_PROBE) };
  }
  return features;
}

export type WasmVariant = "simd" | "relaxed";
const modules = new Map<WasmVariant, Promise<WebAssembly.Module>>();

/** The compiled module of a variant, compiled once per process and shared by every instance. */
function compiled(variant: WasmVariant): Promise<WebAssembly.Module> {
  let m = modules.get(variant);
  if (!m) {
    m = WebAssembly.compile(decodeBase64(variant === "relaxed" ? relaxedWasm : simdWasm));
    m.catch(() => modules.delete(variant)); // a failed compile may be retried
    modules.set(variant, m);
  }
  return m;
}

/** The raw exports of a fresh instance: its own memory, the kernels, the probes. */
export interface WasmInstance {
  memory: WebAssembly.Memory;
  heapBase: number;
  kernels: Kernels;
  probes: Probes;
}

export async function instantiate(variant: WasmVariant): Promise<WasmInstance> {
  const f = detectFeatures();
  if (!(variant === "relaxed" ? f.relaxedSimd : f.simd)) {
    const hint = variant === "relaxed" && typeof process === "object" && /^v20\./.test(process.version ?? "")
      ? " (Node 20 needs --experimental-wasm-relaxed-simd)" : "";
    throw new BackendError(`wasm-${variant === "relaxed" ? "relaxed-simd" : "simd"} is not supported by this runtime${hint}`);
  }
  const instance = await WebAssembly.instantiate(await compiled(variant), {});
  const e = instance.exports as unknown as Kernels & Probes & { memory: WebAssembly.Memory; heap_base(): number };
  return { memory: e.memory, heapBase: e.heap_base(), kernels: e, probes: e };
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
