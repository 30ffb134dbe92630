import { FormatError } from "./errors";
import type { Tensor } from "./tensor";

/** An array read from a file: row-major float32 values and the shape. */
export interface LoadedArray {
  data: Float32Array;
  shape: number[];
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/**
 * Reads a `.npy` file (numpy's `np.save`): float32 or float64 (either byte order), C order, any
 * rank (flattened row-major). Anything else (Fortran order, integer or object dtypes, a
 * truncated file) is a FormatError naming it.
 */
export function readNpy(bytes: Uint8Array): LoadedArray {
  const fail = (why: string): never => { throw new FormatError(`npy: ${why}`); };
  if (bytes.length < 10 || NPY_MAGIC.some((b, i) => bytes[i] !== b)) fail("not a .npy file (bad magic)");
  const major = bytes[6];
  if (major < 1 || major > 3) fail(`unsupported format version ${major}.${bytes[7]}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenBytes = major === 1 ? 2 : 4;
  if (bytes.length < 8 + lenBytes) fail("truncated header");
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const dataStart = 8 + lenBytes + headerLen;
  if (dataStart > bytes.length) fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file`);
  const header = new TextDecoder(major === 3 ? "utf-8" : "latin1").decode(bytes.subarray(8 + lenBytes, dataStart));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1] ?? fail(`header has no 'descr': ${header.trim()}`);
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1] ?? fail("header has no 'fortran_order'");
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ?? fail("header has no 'shape'");
  if (fortran === "True") fail("Fortran-ordered arrays are not supported (save with np.ascontiguousarray)");
  const shape = shapeText.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) fail(`invalid shape (${shapeText})`);
  const m = /^([<>=|])f([48])$/.exec(descr) ?? fail(`dtype '${descr}' is not supported (only float32 '<f4' and float64 '<f8', either byte order)`);
  const size = shape.reduce((a, b) => a * b, 1), width = Number(m[2]), little = m[1] !== ">";
  if (bytes.length - dataStart !== size * width) fail(`shape (${shape.join(", ")}) of '${descr}' needs ${size * width} bytes, the file has ${bytes.length - dataStart}`);
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = width === 4 ? dv.getFloat32(dataStart + 4 * i, little) : dv.getFloat64(dataStart + 8 * i, little);
  return { data, shape };
}

/** Writes float32 values (a tensor, or data + shape) as a version 1.0 `.npy` file numpy reads with np.load. */
export function writeNpy(array: Tensor | LoadedArray): Uint8Array {
  const data = "toFloat32Array" in array ? array.toFloat32Array() : array.data;
  const shape = [...array.shape];
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  header += " ".repeat((64 - ((10 + header.length + 1) % 64)) % 64) + "\n"; // data starts 64-byte aligned
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set(NPY_MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < data.length; i++) body.setFloat32(4 * i, data[i], true);
  return out;
}

/** Embeddings read from JSON: the vectors (count × dim, row-major) and, where records carried them, ids and texts. */
export interface EmbeddingRecords {
  vectors: Float32Array;
  dim: number;
  count: number;
  ids?: (string | number)[];
  texts?: string[];
}

/**
 * Reads embeddings from JSON or JSON Lines: an array of vectors, an array of records with an
 * `embedding` (or `vector`) field and optional `id` and `text`, an OpenAI `/v1/embeddings`
 * response (`{ data: [{ embedding, index }] }`), or one vector or record per line. Every vector
 * must have the same length and only finite numbers; a FormatError names the first that does not.
 */
export function parseEmbeddings(text: string): EmbeddingRecords {
  const fail = (why: string): never => { throw new FormatError(`embeddings: ${why}`); };
  let records: unknown[];
  const trimmed = text.trim();
  try {
    const whole = JSON.parse(trimmed);
    records = Array.isArray(whole) ? whole
      : whole && typeof whole === "object" && Array.isArray((whole as { data?: unknown }).data) ? (whole as { data: unknown[] }).data
      : [whole];
  } catch {
    records = trimmed.split(/\r?\n/).filter((l) => l.trim() !== "").map((line, i) => {
      try { return JSON.parse(line); } catch { return fail(`line ${i + 1} is not valid JSON`); }
    });
  }
  if (records.length === 0) fail("no embeddings found");
  const vectorOf = (r: unknown, i: number): unknown[] => {
    if (Array.isArray(r)) return r;
    if (r && typeof r === "object") {
      const v = (r as { embedding?: unknown; vector?: unknown }).embedding ?? (r as { vector?: unknown }).vector;
      if (Array.isArray(v)) return v;
    }
    return fail(`record ${i} has no vector (expected an array, or an object with an "embedding" or "vector" array)`);
  };
  const dim = vectorOf(records[0], 0).length;
  if (dim === 0) fail("record 0 has an empty vector");
  const vectors = new Float32Array(records.length * dim);
  const ids: (string | number)[] = [], texts: string[] = [];
  records.forEach((r, i) => {
    const v = vectorOf(r, i);
    if (v.length !== dim) fail(`record ${i} has ${v.length} values, record 0 has ${dim}`);
    v.forEach((x, j) => {
      if (typeof x !== "number" || !Number.isFinite(x)) fail(`record ${i} has a non-finite or non-number value at ${j}: ${JSON.stringify(x)}`);
      vectors[i * dim + j] = x as number;
    });
    if (r && typeof r === "object" && !Array.isArray(r)) {
      const rec = r as { id?: unknown; index?: unknown; text?: unknown };
      const id = rec.id ?? rec.index;
      if (typeof id === "string" || typeof id === "number") ids.push(id);
      if (typeof rec.text === "string") texts.push(rec.text);
    }
  });
  return {
    vectors, dim, count: records.length,
    ...(ids.length === records.length ? { ids } : {}),
    ...(texts.length === records.length ? { texts } : {}),
  };
}
