import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FormatError, SafetensorsFile, TransformerBlock, WasmlaError, writeSafetensors } from "../src/index";
import { PATHS, backend, expectClose, rng } from "./helpers";

const FIXTURE = readFileSync(new URL("./fixtures/transformer-block.safetensors", import.meta.url));

describe.each(PATHS)("transformer block from numpy fixtures on %s", (path) => {
  it("matches numpy's float64 output of the same block, encoder and causal", async () => {
    const be = await backend(path);
    const file = new SafetensorsFile(FIXTURE);
    const heads = Number(file.metadata.heads);
    expect(heads).toBe(4);
    const x = file.tensor(be, "input.x");
    for (const [causal, name] of [[false, "output.y"], [true, "output.y_causal"]] as const) {
      const block = TransformerBlock.fromSafetensors(be, file, { heads, causal });
      const before = be.memoryStats().liveBytes;
      const y = block.forward(x);
      expect(y.shape).toEqual([7, 32]);
      // values are O(1); the float32 path accumulates a few thousand roundings through two residual branches
      expectClose(y.toFloat32Array(), file.float32(name), 2e-5, name);
      y.dispose();
      expect(be.memoryStats().liveBytes).toBe(before); // forward frees its intermediates
      block.dispose();
    }
    x.dispose();
  });

  it("refuses a file that lacks a weight before allocating anything", async () => {
    const be = await backend(path);
    const file = new SafetensorsFile(FIXTURE);
    const before = be.memoryStats().liveBytes;
    expect(() => TransformerBlock.fromSafetensors(be, file, { heads: 4 }, "model.layers.0.")).toThrow(
      /safetensors: no tensor "model.layers.0.ln_1.weight"/);
    expect(be.memoryStats().liveBytes).toBe(before);
  });
});

describe("safetensors reader", () => {
  const sample = () => writeSafetensors({ a: { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, b: { shape: [1], data: Float32Array.from([7]) } }, { note: "hi" });
  /** A file with a hand-written header and data section. */
  const withHeader = (header: unknown, dataBytes = 0, rawHeader?: string) => {
    const json = new TextEncoder().encode(rawHeader ?? JSON.stringify(header));
    const out = new Uint8Array(8 + json.length + dataBytes);
    new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
    out.set(json, 8);
    return out;
  };

  it("round-trips float32 tensors and metadata, and reads F64, F16 and BF16", () => {
    const f = new SafetensorsFile(sample());
    expect(f.names).toEqual(["a", "b"]);
    expect(f.metadata).toEqual({ note: "hi" });
    expect(Array.from(f.float32("a"))).toEqual([1, 2, 3, 4, 5, 6]);
    const data = new Uint8Array(8 + 4 + 4);
    const dv = new DataView(data.buffer);
    dv.setFloat64(0, 0.1, true);
    dv.setUint16(8, 0x3c00, true); dv.setUint16(10, 0xc000, true); // F16 1, -2
    dv.setUint16(12, 0x3f80, true); dv.setUint16(14, 0x4049, true); // BF16 1, 3.140625
    const file = withHeader({
      d: { dtype: "F64", shape: [1], data_offsets: [0, 8] }, h: { dtype: "F16", shape: [2], data_offsets: [8, 12] },
      bf: { dtype: "BF16", shape: [2], data_offsets: [12, 16] },
    }, 16);
    file.set(data, file.length - 16);
    const g = new SafetensorsFile(file);
    expect(g.float32("d")[0]).toBe(Math.fround(0.1));
    expect(Array.from(g.float32("h"))).toEqual([1, -2]);
    expect(Array.from(g.float32("bf"))).toEqual([1, 3.140625]);
  });

  it.each([
    ["a file shorter than 8 bytes", new Uint8Array(5), /shorter than the 8-byte header length/],
    ["a header length past the end", withHeader({}).subarray(0, 9), /runs past the end/],
    ["a header that is not JSON", withHeader(null, 0, "{not json"), /not valid UTF-8 JSON/],
    ["a header that is an array", withHeader([]), /not a JSON object/],
    ["an unknown dtype", withHeader({ t: { dtype: "F8", shape: [1], data_offsets: [0, 1] } }, 1), /unknown dtype "F8"/],
    ["a negative size", withHeader({ t: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, 4), /invalid shape/],
    ["offsets past the data", withHeader({ t: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, 4), /ends at byte 8 of a 4-byte data section/],
    ["a size that disagrees with the shape", withHeader({ t: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8), /needs 12 bytes, its offsets span 8/],
    ["overlapping entries", withHeader({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, 8), /overlap/],
  ])("rejects %s with a FormatError", (_what, bytes, message) => {
    expect(() => new SafetensorsFile(bytes as Uint8Array)).toThrow(FormatError);
    expect(() => new SafetensorsFile(bytes as Uint8Array)).toThrow(message as RegExp);
  });

  it("either reads or throws a FormatError for thousands of mutated fixtures, never anything else", async () => {
    const be = await backend("wasm-simd");
    const next = rng(99);
    let loaded = 0, refused = 0;
    for (let i = 0; i < 2000; i++) {
      const bytes = Uint8Array.from(FIXTURE);
      const kind = i % 3;
      const at = Math.floor(((next() + 1) / 2) * (kind === 2 ? bytes.length : Math.min(bytes.length, 1200)));
      let mutated: Uint8Array = bytes;
      if (kind === 0) bytes[at] ^= 1 << Math.floor(((next() + 1) / 2) * 8); // flip a bit, mostly in the header
      else if (kind === 1) bytes[at] = Math.floor(((next() + 1) / 2) * 256); // overwrite a byte
      else mutated = bytes.subarray(0, at); // truncate
      try {
        const f = new SafetensorsFile(mutated);
        for (const name of f.names) {
          const info = f.info(name);
          if (info.shape.length <= 2 && ["F32", "F64", "F16", "BF16"].includes(info.dtype)) f.tensor(be, name).dispose();
        }
        loaded++;
      } catch (e) {
        if (!(e instanceof WasmlaError)) throw e;
        refused++;
      }
    }
    expect(loaded + refused).toBe(2000);
    expect(refused).toBeGreaterThan(100);
  });
});
