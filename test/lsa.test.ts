import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { FormatError, LsaModel, stem, tokenize } from "../src/index";
import fc from "fast-check";
import { TermIds, words } from "../src/text";
import { PATHS, backend } from "./helpers";

describe("tokenize and stem", () => {
  it("lower-cases, drops stop words and numbers, keeps c++-style names, strips plural/-ing/-ed", () => {
    expect(tokenize("How do Computers learn from examples? The C++ and GTK+ widgets, version 2.0; Python's parsers"))
      .toEqual(["computer", "learn", "example", "c++", "gtk+", "widget", "version", "python", "parser"]);
    expect(["running", "installed", "libraries", "classes", "learning", "organization", "quickly", "bus", "process"].map(stem))
      .toEqual(["run", "install", "library", "class", "learn", "organize", "quick", "bus", "process"]);
  });

  it("numbers the same terms as integer ids, first seen first, across texts (what fit counts)", () => {
    const texts = ["The C++ compiler compiles; compilers!", "a compiler for Python's parsers", "", "the and of"];
    const termIds = new TermIds();
    const got = texts.map((t) => Array.from(termIds.of(t)));
    const names = [...termIds.ids.keys()];
    expect(got.map((doc) => doc.map((id) => names[id]))).toEqual(texts.map(tokenize));
    expect(got[1][0]).toBe(got[0][1]); // "compiler" keeps its id in the second text
    expect(names).toEqual(["c++", "compiler", "compile", "python", "parser"]);
  });

  // the definition of a word, as a regular expression: the scanner must find exactly its matches
  const WORD = /[\p{L}\p{N}]+(?:[+#]+|(?:[.'][\p{L}\p{N}]+)*)/gu;
  // ASCII, letters with case and width quirks (İ lower-cases to two code units), digits of other
  // scripts, a letter and a non-letter outside the BMP, a lone surrogate, and the tail characters
  const PIECES = ["a", "Z", "7", "x", ".", "'", "+", "#", " ", "-", "_", "é", "É", "İ", "ß", "٣", "𝐀", "😀", "\ud800", "\udc00", "\n"];

  it("finds the words of the regular expression in any text (fast-check), and numbers them like tokenize", () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 40 }), (pieces) => {
      const text = pieces.join("");
      expect(words(text)).toEqual(text.toLowerCase().match(WORD) ?? []);
      const termIds = new TermIds(), names = () => [...termIds.ids.keys()];
      expect(Array.from(termIds.of(text), (id) => names()[id])).toEqual(tokenize(text));
    }), { numRuns: 2000 });
  });

  it("tells apart two words whose hashes collide", () => {
    const termIds = new TermIds(); // "w4pvu" and "wb3ea" share their 32-bit FNV-1a hash
    expect(Array.from(termIds.of("w4pvu wb3ea wb3ea w4pvu"))).toEqual([0, 1, 1, 0]);
    expect([...termIds.ids.keys()]).toEqual(["w4pvu", "wb3ea"]);
  });

  it("keeps every word's id apart as its table grows (20,000 distinct words, each seen twice)", () => {
    const termIds = new TermIds();
    const text = Array.from({ length: 20_000 }, (_, i) => `w${i.toString(36)}x`).join(" ");
    const first = termIds.of(text), second = termIds.of(text);
    expect(termIds.ids.size).toBe(20_000);
    expect(Array.from(second)).toEqual(Array.from(first));
    const names = [...termIds.ids.keys()];
    expect(Array.from(first.subarray(0, 3), (id) => names[id])).toEqual(["w0x", "w1x", "w2x"]);
  });
});

// A small corpus with two topics; the float64 reference recomputes the TF-IDF rows itself.
const DOCS = [
  "chess engine that plays chess against the computer",
  "computer chess program with an opening book",
  "board game program for chess and checkers players",
  "music player for the terminal playing audio files",
  "audio player with playlists and music library",
  "terminal music tracker for audio and chiptune music",
  "library for machine learning and neural network training",
  "neural network training and inference library for machine learning",
];

function referenceTfidf(model: LsaModel, texts: string[]): Float64Array[] {
  return texts.map((t) => {
    const row = new Float64Array(model.vocabulary.size), counts = new Map<number, number>();
    for (const term of tokenize(t)) { const c = model.vocabulary.get(term); if (c !== undefined) counts.set(c, (counts.get(c) ?? 0) + 1); }
    for (const [c, tf] of counts) row[c] = (1 + Math.log(tf)) * model.idf[c];
    const len = Math.hypot(...row) || 1;
    return row.map((x) => x / len);
  });
}
const dot64 = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

describe.each(PATHS)("LsaModel on %s", (path) => {
  it("at full rank, embeddings keep every inner product of the TF-IDF rows (float64 reference)", async () => {
    const be = await backend(path);
    const probe = LsaModel.fit(be, DOCS, { dims: 1, minDf: 2 });
    const full = Math.min(DOCS.length, probe.model.vocabulary.size);
    probe.model.dispose(); probe.embeddings.dispose();
    const { model, embeddings } = LsaModel.fit(be, DOCS, { dims: full, minDf: 2, powerIters: 3 });
    const tf = referenceTfidf(model, DOCS), e = embeddings.toFloat32Array(), d = model.dims;
    for (let i = 0; i < DOCS.length; i++) {
      for (let j = 0; j < DOCS.length; j++) {
        expect(Math.abs(dot64(e.subarray(i * d, (i + 1) * d), e.subarray(j * d, (j + 1) * d)) - dot64(tf[i], tf[j]))).toBeLessThan(1e-4);
      }
    }
    // embed() of the corpus equals the fit's embeddings
    const again = model.embed(DOCS).toFloat32Array();
    again.forEach((x, i) => expect(Math.abs(x - e[i])).toBeLessThan(1e-5));
    model.dispose(); embeddings.dispose();
  });

  it("at low rank, a query lands nearest its topic; bytes round-trip; damaged bytes are a FormatError", async () => {
    const be = await backend(path);
    const { model, embeddings } = LsaModel.fit(be, DOCS, { dims: 3, minDf: 2 });
    const e = embeddings.toFloat32Array(), d = model.dims;
    const cos = (a: Float32Array, b: Float32Array) => dot64(a, b) / Math.sqrt(dot64(a, a) * dot64(b, b));
    const q = model.embed(["neural network"]).toFloat32Array();
    const best = [...DOCS.keys()].sort((i, j) => cos(q, e.subarray(j * d, (j + 1) * d)) - cos(q, e.subarray(i * d, (i + 1) * d)))[0];
    expect(best).toBeGreaterThanOrEqual(6);
    expect(model.knownTerms("the neural xylophone")).toEqual(["neural"]);
    const bytes = model.toBytes(), copy = LsaModel.fromBytes(be, bytes);
    expect(copy.embed(["chess"]).toFloat32Array()).toEqual(model.embed(["chess"]).toFloat32Array());
    const bad = Uint8Array.from(bytes);
    bad[bytes.length >> 1] ^= 8;
    expect(() => LsaModel.fromBytes(be, bad)).toThrow(FormatError);
    expect(() => LsaModel.fromBytes(be, bytes.subarray(0, 40))).toThrow(FormatError);
    expect(() => LsaModel.fit(be, DOCS, { dims: 1000 })).toThrow(/dims must be an integer in 1\.\./);
    model.dispose(); copy.dispose(); embeddings.dispose();
  });
});

describe("the tour (npm start)", () => {
  it("prints the article's numbers and answers the article's question", () => {
    const out = execFileSync(process.execPath, ["scripts/node-flags.mjs", "examples/tour.mjs"], { encoding: "utf8", timeout: 120_000 });
    expect(out).toContain("|v| = √14           3.742");
    expect(out).toContain("v · w (similarity as a dot product) 32");
    expect(out).toMatch(/W·x, W \[2,3\], x = \[1, 2, 3\]\s+\[1\.4,3\.2\]/);
    expect(out).toContain("ShapeError: matmul: [3,5] @ [3,4]: inner dimensions 5 and 3 differ");
    expect(out).toMatch(/X \[32,3\] · W \[3,128\] \+ b → shape\s+\[32,128\]/);
    // LSA's answer to the article's question: machine-learning packages among the top 5
    const answer = out.split("“How do computers learn from examples?”")[1].split("\n\n")[0];
    expect(answer.trim().split("\n")).toHaveLength(5);
    expect(answer).toMatch(/[Mm]achine [Ll]earning/);
  }, 180_000);
});
