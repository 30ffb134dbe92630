import type { Backend } from "./backend";
import { crc32 } from "./checksum";
import { FormatError, InputError } from "./errors";
import { svdRight } from "./linalg";
import { keep } from "./scope";
import { CsrMatrix } from "./sparse";
import type { Tensor } from "./tensor";
import { TermIds, tokenize } from "./text";

/** Options of `LsaModel.fit`. */
export interface LsaOptions {
  /** Dimensions of the embedding (default 256). */
  dims?: number;
  /** Terms in fewer documents are dropped (default 2). */
  minDf?: number;
  /** Terms in more than this share of the documents are dropped (default 0.5). */
  maxDfRatio?: number;
  /** Power iterations of the SVD (default 2). */
  powerIters?: number;
  /** Seed of the SVD's random projection (default 1). */
  seed?: number;
  /** Progress of the fit: a stage name and the fraction of the whole fit done. */
  onProgress?: (stage: "tokenize" | "svd", fraction: number) => void;
}

const MAGIC = "WLALSA\0\0";
const VERSION = 1;

/**
 * Latent semantic analysis: documents become TF-IDF vectors over their terms (sublinear term
 * frequency, smoothed idf, unit length), a sparse documents × terms matrix whose truncated SVD
 * A ≈ U·Σ·Vᵀ gives every text an embedding x·V (documents: U·Σ). Texts that share no word but
 * share neighbours land close together: that is what makes it semantic.
 */
export class LsaModel {
  private constructor(
    readonly backend: Backend,
    /** term → column */
    readonly vocabulary: ReadonlyMap<string, number>,
    /** inverse document frequency per column */
    readonly idf: Float32Array,
    /** V [terms, dims]: a TF-IDF row times this is the embedding */
    readonly projection: Tensor,
  ) {}

  /** Embedding width. */
  get dims(): number {
    return this.projection.shape[1];
  }

  /** Fits the model to a corpus; returns it with the documents' embeddings [n, dims] (U·Σ). */
  static fit(backend: Backend, texts: readonly string[], options: LsaOptions = {}): { model: LsaModel; embeddings: Tensor } {
    const { dims = 256, minDf = 2, maxDfRatio = 0.5, powerIters = 2, seed = 1, onProgress } = options;
    if (texts.length < 2) throw new InputError(`LsaModel.fit: need at least 2 documents, got ${texts.length}`);
    // Terms become integer ids as they are first seen, so that counting documents and building
    // the TF-IDF rows index typed arrays instead of hashing strings (a million tokens here).
    const termIds = new TermIds(), ids = termIds.ids;
    const docs = texts.map((t, i) => {
      if (i % 1000 === 0) onProgress?.("tokenize", 0.1 * (i / texts.length));
      return termIds.of(t);
    });
    // document frequency: a term counts once per document (lastDoc marks where it was last seen)
    const df = new Int32Array(ids.size), lastDoc = new Int32Array(ids.size).fill(-1);
    docs.forEach((doc, d) => {
      for (const id of doc) {
        if (lastDoc[id] !== d) { lastDoc[id] = d; df[id]++; }
      }
    });
    const names = [...ids.keys()]; // names[id]
    const kept = names.map((_, id) => id).filter((id) => df[id] >= minDf && df[id] <= maxDfRatio * texts.length)
      .sort((a, b) => (names[a] < names[b] ? -1 : 1)); // columns in term order
    const terms = kept.map((id) => names[id]);
    const maxDims = Math.min(texts.length, terms.length);
    if (!Number.isInteger(dims) || dims < 1 || dims > maxDims) {
      throw new InputError(`LsaModel.fit: dims must be an integer in 1..${maxDims} (documents and kept terms bound it), got ${dims}`);
    }
    const column = new Int32Array(ids.size).fill(-1);
    kept.forEach((id, c) => { column[id] = c; });
    const vocabulary = new Map(terms.map((t, i) => [t, i]));
    const idf = Float32Array.from(kept, (id) => Math.log((1 + texts.length) / (1 + df[id])) + 1);
    for (const doc of docs) for (let t = 0; t < doc.length; t++) doc[t] = column[doc[t]]; // ids → columns, in place
    using A = tfidf(backend, terms.length, idf, docs);
    using vt = svdRight(backend, A, { rank: dims, powerIters, seed, onProgress: (done, total) => onProgress?.("svd", 0.1 + 0.9 * (done / total)) }).Vt;
    const model = new LsaModel(backend, vocabulary, idf, keep(backend.transpose(vt)));
    return { model, embeddings: A.matmul(model.projection) };
  }

  /** Embeddings [n, dims] of texts; a text with no known term embeds as zeros (see `knownTerms`). */
  embed(texts: readonly string[]): Tensor {
    using A = tfidf(this.backend, this.vocabulary.size, this.idf, texts.map((t) => Int32Array.from(tokenize(t), (term) => this.vocabulary.get(term) ?? -1)));
    return A.matmul(this.projection);
  }

  /** The terms of a text that the model knows (an empty list means it embeds as zeros). */
  knownTerms(text: string): string[] {
    return [...new Set(tokenize(text))].filter((t) => this.vocabulary.has(t));
  }

  /** The model as bytes: header, vocabulary, idf, projection and a CRC-32. */
  toBytes(): Uint8Array {
    const header = new TextEncoder().encode(JSON.stringify({ dims: this.dims, terms: [...this.vocabulary.keys()] }));
    const pad = (4 - (header.length % 4)) % 4, terms = this.vocabulary.size;
    const out = new Uint8Array(16 + header.length + pad + terms * 4 + terms * this.dims * 4 + 4);
    const dv = new DataView(out.buffer);
    out.set(new TextEncoder().encode(MAGIC));
    dv.setUint32(8, VERSION, true);
    dv.setUint32(12, header.length, true);
    out.set(header, 16);
    let at = 16 + header.length + pad;
    out.set(new Uint8Array(this.idf.buffer.slice(this.idf.byteOffset, this.idf.byteOffset + terms * 4)), at);
    at += terms * 4;
    out.set(new Uint8Array(this.projection.toFloat32Array().buffer), at);
    dv.setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
    return out;
  }

  /** A model from `toBytes()` output; a FormatError if the bytes are damaged. */
  static fromBytes(backend: Backend, bytes: Uint8Array): LsaModel {
    const fail = (why: string): never => { throw new FormatError(`LsaModel: ${why}`); };
    if (bytes.length < 20 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) fail("not a wasmla LSA model (bad magic)");
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (dv.getUint32(8, true) !== VERSION) fail(`unsupported version ${dv.getUint32(8, true)} (this library reads version ${VERSION})`);
    if (dv.getUint32(bytes.length - 4, true) !== crc32(bytes.subarray(0, bytes.length - 4))) fail("checksum mismatch: the file is damaged or truncated");
    const headerBytes = dv.getUint32(12, true);
    let header: { dims?: unknown; terms?: unknown } = {};
    try {
      header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(16, 16 + headerBytes)));
    } catch {
      fail("the header is not valid JSON");
    }
    const { dims, terms } = header;
    if (!Number.isInteger(dims) || (dims as number) < 1 || !Array.isArray(terms) || !terms.every((t) => typeof t === "string")) fail("the header lacks dims or terms");
    const n = (terms as string[]).length, d = dims as number;
    const start = 16 + headerBytes + ((4 - (headerBytes % 4)) % 4);
    if (bytes.length !== start + n * 4 + n * d * 4 + 4) fail(`${n} terms × ${d} dims need ${start + n * 4 + n * d * 4 + 4} bytes, the file has ${bytes.length}`);
    const floats = new Float32Array(new Uint8Array(bytes.subarray(start, start + n * 4 + n * d * 4)).buffer); // a copy: aligned (a Node Buffer's slice would be a view)
    if (!floats.every(Number.isFinite)) fail("the idf or the projection holds a non-finite value");
    const vocabulary = new Map((terms as string[]).map((t, i) => [t, i]));
    return new LsaModel(backend, vocabulary, floats.slice(0, n), keep(backend.tensor(floats.subarray(n), [n, d])));
  }

  dispose(): void {
    this.projection.dispose();
  }
}

/**
 * The TF-IDF matrix [texts, terms] of texts given as term columns (-1: a term outside the
 * vocabulary): (1 + ln tf)·idf per term, rows of unit length.
 */
function tfidf(be: Backend, terms: number, idf: Float32Array, docs: readonly Int32Array[]): CsrMatrix {
  let tokens = 0;
  for (const doc of docs) tokens += doc.length;
  // typed arrays sized for the worst case (every token a new term): no growth, no boxed numbers
  const indptr = new Int32Array(docs.length + 1), indices = new Int32Array(tokens), values = new Float32Array(tokens);
  const counts = new Int32Array(terms);
  let nnz = 0;
  docs.forEach((doc, d) => {
    const start = nnz;
    for (const col of doc) if (col >= 0 && counts[col]++ === 0) indices[nnz++] = col; // first-seen order
    const weight = (p: number) => (1 + Math.log(counts[indices[p]])) * idf[indices[p]];
    let ss = 0;
    for (let p = start; p < nnz; p++) ss += weight(p) ** 2;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 1;
    for (let p = start; p < nnz; p++) values[p] = weight(p) * inv; // rounded to float32 once
    for (let p = start; p < nnz; p++) counts[indices[p]] = 0;
    indptr[d + 1] = nnz;
  });
  return CsrMatrix.fromArrays(be, { shape: [docs.length, terms], indptr, indices: indices.subarray(0, nnz), values: values.subarray(0, nnz) });
}
