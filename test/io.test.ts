import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FormatError, parseEmbeddings, readNpy, writeNpy, VectorIndex } from "../src/index";
import { backend } from "./helpers";

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/npy/${name}`, import.meta.url)));
const expected = Float32Array.from({ length: 35 }, (_, i) => i / 8 - 2);

describe(".npy files (fixtures written by numpy's np.save)", () => {
  it.each(["f4.npy", "f8.npy", "f4-big-endian.npy"])("reads %s", (name) => {
    const { data, shape } = readNpy(fixture(name));
    expect(shape).toEqual([5, 7]);
    expect(data).toEqual(expected);
  });

  it("reads a 1-D array and writes byte-for-byte what np.save writes", () => {
    expect(readNpy(fixture("vector.npy"))).toEqual({ data: expected.subarray(0, 7), shape: [7] });
    expect(writeNpy({ data: expected, shape: [5, 7] })).toEqual(fixture("f4.npy"));
    expect(writeNpy({ data: expected.slice(0, 7), shape: [7] })).toEqual(fixture("vector.npy"));
  });

  it.each([
    ["fortran.npy", /Fortran-ordered arrays are not supported/],
    ["int32.npy", /dtype '<i4' is not supported/],
  ])("rejects %s with a FormatError", (name, message) => {
    expect(() => readNpy(fixture(name))).toThrow(FormatError);
    expect(() => readNpy(fixture(name))).toThrow(message);
  });

  it("rejects truncated and non-npy bytes", () => {
    const f = fixture("f4.npy");
    expect(() => readNpy(f.subarray(0, f.length - 4))).toThrow(/needs 140 bytes, the file has 136/);
    expect(() => readNpy(new TextEncoder().encode("hello world"))).toThrow(/bad magic/);
    expect(() => readNpy(f.subarray(0, 12))).toThrow(/runs past the end/);
  });
});

describe("JSON and JSON Lines embeddings", () => {
  it("reads arrays, records, JSONL and OpenAI responses into a VectorIndex", async () => {
    expect(parseEmbeddings("[[1, 2], [3, 4]]")).toEqual({ vectors: Float32Array.from([1, 2, 3, 4]), dim: 2, count: 2 });
    const jsonl = '{"id": "a", "text": "cat", "embedding": [1, 0]}\n{"id": "b", "text": "dog", "embedding": [0, 1]}\n';
    const parsed = parseEmbeddings(jsonl);
    expect(parsed.ids).toEqual(["a", "b"]);
    expect(parsed.texts).toEqual(["cat", "dog"]);
    const openai = JSON.stringify({ object: "list", data: [{ object: "embedding", index: 0, embedding: [0.6, 0.8] }, { object: "embedding", index: 1, embedding: [1, 0] }] });
    expect(parseEmbeddings(openai).ids).toEqual([0, 1]);
    const be = await backend("wasm-simd");
    const index = new VectorIndex(be, { dim: parsed.dim });
    index.add(parsed.vectors, parsed.ids);
    expect(index.search([0.9, 0.1], 1)[0].id).toBe("a");
    index.dispose();
  });

  it("names the first bad record", () => {
    expect(() => parseEmbeddings("[[1, 2], [3]]")).toThrow("embeddings: record 1 has 1 values, record 0 has 2");
    expect(() => parseEmbeddings('[[1, 2], [3, "x"]]')).toThrow(/record 1 has a non-finite or non-number value at 1/);
    expect(() => parseEmbeddings('{"embedding": [1]}\nnot json')).toThrow("embeddings: line 2 is not valid JSON");
    expect(() => parseEmbeddings("[]")).toThrow(FormatError);
  });
});
