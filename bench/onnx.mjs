// onnxruntime-web as a peer: its WebAssembly backend (SIMD build, one thread, no proxy worker)
// running one-operation ONNX models written here. The models are encoded by hand (a few
// protobuf fields) so the bench needs no converter: each is exactly the operation measured.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { relativeError } from "./harness.mjs";

// ---- a minimal protobuf writer: varints, and length-delimited fields --------------------------

function varint(n) {
  const out = [];
  let v = BigInt.asUintN(64, BigInt(n)); // negative int64s as two's complement, ten bytes
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v) byte |= 0x80;
    out.push(byte);
  } while (v);
  return out;
}
const key = (field, wire) => varint((field << 3) | wire);
const int = (field, n) => [...key(field, 0), ...varint(n)];
const bytes = (field, b) => [...key(field, 2), ...varint(b.length), ...b];
const str = (field, s) => bytes(field, [...new TextEncoder().encode(s)]);
const msg = (field, parts) => bytes(field, parts.flat());

// ---- ONNX messages (onnx.proto field numbers) ---------------------------------------------------

const FLOAT = 1; // TensorProto.DataType
/** ValueInfoProto of a float tensor with a fixed shape. */
const valueInfo = (field, name, shape) => msg(field, [
  str(1, name),
  msg(2, [msg(1, [int(1, FLOAT), msg(2, shape.map((d) => msg(1, [int(1, d)])))])]),
]);
/** NodeProto; attrs are { name: integer } (AttributeProto of type INT). */
const node = (op, inputs, outputs, attrs = {}) => msg(1, [
  ...inputs.map((n) => str(1, n)), ...outputs.map((n) => str(2, n)), str(4, op),
  ...Object.entries(attrs).map(([name, v]) => msg(5, [str(1, name), int(3, v), int(20, 2)])),
]);

/**
 * A ModelProto (IR version 8, opset 17) of `nodes` with float inputs and outputs
 * ({ name: shape }).
 */
export function onnxModel(nodes, inputs, outputs) {
  const graph = [
    ...nodes, str(2, "bench"),
    ...Object.entries(inputs).map(([n, s]) => valueInfo(11, n, s)),
    ...Object.entries(outputs).map(([n, s]) => valueInfo(12, n, s)),
  ];
  return new Uint8Array([...int(1, 8), ...str(2, "wasmla-bench"), ...msg(7, graph), ...msg(8, [str(1, ""), int(2, 17)])]);
}

/** The models the workloads time. */
export const models = {
  matmul: (m, k, n) => onnxModel([node("MatMul", ["a", "b"], ["c"])], { a: [m, k], b: [k, n] }, { c: [m, n] }),
  softmax: (rows, n) => onnxModel([node("Softmax", ["x"], ["y"], { axis: -1 })], { x: [rows, n] }, { y: [rows, n] }),
  /** softmax(Q·Kᵀ·scale)·V with Kᵀ by a Transpose node. */
  attention: (seq, d) => onnxModel([
    node("Transpose", ["k"], ["kt"]), // no perm: reverses the axes
    node("MatMul", ["q", "kt"], ["s"]),
    node("Mul", ["s", "scale"], ["ss"]),
    node("Softmax", ["ss"], ["p"], { axis: -1 }),
    node("MatMul", ["p", "v"], ["o"]),
  ], { q: [seq, d], k: [seq, d], v: [seq, d], scale: [1] }, { o: [seq, d] }),
};

/** Loads onnxruntime-web's WebAssembly backend, one thread; `session(bytes)` makes a runner. */
export async function loadOrt() {
  const ort = await import("onnxruntime-web");
  const require = createRequire(import.meta.url);
  const dist = path.dirname(require.resolve("onnxruntime-web")); // …/onnxruntime-web/dist
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmPaths = `${dist}/`;
  ort.env.logLevel = "error";
  const { version } = JSON.parse(readFileSync(path.join(dist, "..", "package.json"), "utf8"));
  return {
    ort,
    info: { "onnxruntime-web": { version, threads: 1, build: "ort-wasm-simd-threaded (one thread)" } },
    /** An inference session for a model; run(feeds) resolves to the named output's Float32Array. */
    async session(modelBytes, output) {
      const s = await ort.InferenceSession.create(modelBytes, { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
      return {
        run: async (feeds) => (await s.run(feeds))[output].data,
        release: () => s.release(),
      };
    },
    tensor: (data, shape) => new ort.Tensor("float32", data, shape),
  };
}

/**
 * A timed candidate for `measure`: a session of `model` fed `feeds` ({ name: [data, shape] })
 * on every call, as a user of onnxruntime-web feeds it. Its output is first checked against
 * `ref` (largest difference relative to the largest |entry| ≤ tol).
 */
export async function ortCandidate(ort, name, model, output, feeds, ref, tol = 1e-5) {
  const session = await ort.session(model, output);
  const tensors = Object.fromEntries(Object.entries(feeds).map(([k, [data, shape]]) => [k, ort.tensor(data, shape)]));
  const got = await session.run(tensors);
  const err = relativeError(ref, got);
  if (!(err <= tol)) throw new Error(`${name} is off by ${err} (relative)`);
  return { name, async: true, run: () => session.run(tensors), release: () => session.release() };
}
