import type { Backend } from "./backend";
import { FormatError } from "./errors";
import { formatShape } from "./shape";
import type { Tensor } from "./tensor";

/** What the header says about one tensor. */
export interface SafetensorInfo {
  dtype: string;
  shape: number[];
  /** Byte range within the data section. */
  begin: number;
  end: number;
}

const DTYPE_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
const READABLE = new Set(["F64", "F32", "F16", "BF16"]);
/** Headers past this are refused (the format's reference reader uses the same bound). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/**
 * A parsed `.safetensors` file (the format models ship in): an 8-byte little-endian header
 * length, a JSON header naming each tensor's dtype, shape and byte range, then the data. The
 * whole header is validated up front (bounds, sizes, overlaps), so a malformed file fails with
 * a FormatError naming the problem before any tensor is read.
 */
export class SafetensorsFile {
  /** The free-form `__metadata__` strings. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly #bytes: Uint8Array;
  readonly #dataStart: number;
  readonly #entries: Map<string, SafetensorInfo>;

  constructor(bytes: Uint8Array) {
    const fail = (why: string): never => { throw new FormatError(`safetensors: ${why}`); };
    if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLen = Number(view.getBigUint64(0, true));
    if (headerLen > MAX_HEADER_BYTES) fail(`header length ${headerLen} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
    if (8 + headerLen > bytes.length) fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file`);
    let header: unknown;
    try {
      header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
    } catch (e) {
      fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
    }
    if (!header || typeof header !== "object" || Array.isArray(header)) fail("header is not a JSON object");
    this.#bytes = bytes;
    this.#dataStart = 8 + headerLen;
    const dataLen = bytes.length - this.#dataStart;
    const entries = new Map<string, SafetensorInfo>();
    let metadata: Record<string, string> = {};
    for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
      if (name === "__metadata__") {
        if (!raw || typeof raw !== "object" || Object.values(raw).some((v) => typeof v !== "string")) fail("__metadata__ must map names to strings");
        metadata = raw as Record<string, string>;
        continue;
      }
      const e = raw as Partial<{ dtype: unknown; shape: unknown; data_offsets: unknown }>;
      if (!e || typeof e !== "object") fail(`entry "${name}" is not an object`);
      if (typeof e.dtype !== "string" || !(e.dtype in DTYPE_BYTES)) fail(`entry "${name}" has unknown dtype ${JSON.stringify(e.dtype)}`);
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) fail(`entry "${name}" has an invalid shape ${JSON.stringify(e.shape)}`);
      const off = e.data_offsets;
      if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0) || off[0] > off[1]) {
        fail(`entry "${name}" has invalid data_offsets ${JSON.stringify(off)}`);
      }
      const [begin, end] = off as [number, number];
      if (end > dataLen) fail(`entry "${name}" ends at byte ${end} of a ${dataLen}-byte data section`);
      const shape = e.shape as number[];
      const expected = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[e.dtype as string];
      if (end - begin !== expected) fail(`entry "${name}" ${e.dtype} ${formatShape(shape)} needs ${expected} bytes, its offsets span ${end - begin}`);
      entries.set(name, { dtype: e.dtype as string, shape, begin, end });
    }
    const ranges = [...entries].sort((a, b) => a[1].begin - b[1].begin);
    for (let i = 1; i < ranges.length; i++) {
      if (ranges[i][1].begin < ranges[i - 1][1].end) fail(`entries "${ranges[i - 1][0]}" and "${ranges[i][0]}" overlap`);
    }
    this.#entries = entries;
    this.metadata = Object.freeze({ ...metadata });
  }

  /** Tensor names in the file. */
  get names(): string[] {
    return [...this.#entries.keys()];
  }

  /** dtype, shape and byte range of a tensor; a FormatError if it is absent. */
  info(name: string): SafetensorInfo {
    const e = this.#entries.get(name);
    if (!e) throw new FormatError(`safetensors: no tensor "${name}" (the file has ${this.names.length}: ${this.names.slice(0, 8).join(", ")}${this.names.length > 8 ? ", …" : ""})`);
    return e;
  }

  /** A tensor's values as float32 (F32, F64, F16 and BF16 are converted). */
  float32(name: string): Float32Array {
    const e = this.info(name);
    if (!READABLE.has(e.dtype)) throw new FormatError(`safetensors: "${name}" is ${e.dtype}; only F32, F64, F16 and BF16 can be read as floats`);
    const n = e.shape.reduce((a, b) => a * b, 1);
    const view = new DataView(this.#bytes.buffer, this.#bytes.byteOffset + this.#dataStart + e.begin, e.end - e.begin);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      switch (e.dtype) {
        case "F32": out[i] = view.getFloat32(4 * i, true); break;
        case "F64": out[i] = view.getFloat64(8 * i, true); break;
        case "F16": out[i] = halfToFloat(view.getUint16(2 * i, true)); break;
        default: out[i] = bfloat16ToFloat(view.getUint16(2 * i, true));
      }
    }
    return out;
  }

  /** A tensor in a backend's memory (tensors are 0-D to 2-D: a higher-rank entry is a FormatError). */
  tensor(backend: Backend, name: string): Tensor {
    const { shape } = this.info(name);
    if (shape.length > 2) throw new FormatError(`safetensors: "${name}" has shape ${formatShape(shape)}; wasmla tensors are at most 2-D`);
    return backend.tensor(this.float32(name), shape);
  }
}

/** Writes float32 tensors as a `.safetensors` file (entries in the given order, 8-byte aligned data). */
export function writeSafetensors(tensors: Record<string, { shape: readonly number[]; data: Float32Array } | Tensor>,
                                 metadata: Record<string, string> = {}): Uint8Array {
  const items = Object.entries(tensors).map(([name, t]) => {
    const data = "toFloat32Array" in t ? t.toFloat32Array() : t.data;
    return { name, shape: [...t.shape], data };
  });
  const header: Record<string, unknown> = Object.keys(metadata).length ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const it of items) {
    header[it.name] = { dtype: "F32", shape: it.shape, data_offsets: [offset, offset + it.data.byteLength] };
    offset += it.data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(json.length + ((8 - ((8 + json.length) % 8)) % 8)).fill(0x20); // spaces: data starts 8-byte aligned
  head.set(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const it of items) {
    out.set(new Uint8Array(it.data.buffer, it.data.byteOffset, it.data.byteLength), at);
    at += it.data.byteLength;
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1, exp = (h >> 10) & 0x1f, frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function bfloat16ToFloat(b: number): number {
  const v = new DataView(new ArrayBuffer(4));
  v.setUint32(0, b << 16);
  return v.getFloat32(0);
}
