#!/usr/bin/env python3
"""Writes test/fixtures/transformer-block.safetensors: a small pre-norm transformer block's random
weights in PyTorch's layout (linear weights [out, in]), an input, and the block's outputs computed
by numpy in float64 (encoder and causal). The test loads the file through the library's own
safetensors reader and TransformerBlock and compares. Run: python3 scripts/make-fixtures.py"""
import json
import math
import struct

import numpy as np

SEQ, D, HEADS, HIDDEN, EPS = 7, 32, 4, 128, 1e-5
rng = np.random.default_rng(20261127)


def linear(out_f, in_f):
    bound = 1 / math.sqrt(in_f)  # nn.Linear's default init range
    return rng.uniform(-bound, bound, (out_f, in_f)), rng.uniform(-bound, bound, out_f)


weights = {}
weights["ln_1.weight"], weights["ln_1.bias"] = 1 + 0.1 * rng.standard_normal(D), 0.1 * rng.standard_normal(D)
weights["ln_2.weight"], weights["ln_2.bias"] = 1 + 0.1 * rng.standard_normal(D), 0.1 * rng.standard_normal(D)
for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
    weights[f"attn.{name}.weight"], weights[f"attn.{name}.bias"] = linear(D, D)
weights["mlp.fc1.weight"], weights["mlp.fc1.bias"] = linear(HIDDEN, D)
weights["mlp.fc2.weight"], weights["mlp.fc2.bias"] = linear(D, HIDDEN)
# float32 is what the file stores: compute the reference from exactly those values
weights = {k: v.astype(np.float32).astype(np.float64) for k, v in weights.items()}
x = rng.standard_normal((SEQ, D)).astype(np.float32).astype(np.float64)


def layer_norm(h, g, b):
    mu = h.mean(-1, keepdims=True)
    var = ((h - mu) ** 2).mean(-1, keepdims=True)
    return (h - mu) / np.sqrt(var + EPS) * g + b


def gelu(h):
    return 0.5 * h * (1 + np.vectorize(math.erf)(h / math.sqrt(2)))


def block(x, causal):
    w = weights
    a = layer_norm(x, w["ln_1.weight"], w["ln_1.bias"])
    q, k, v = (a @ w[f"attn.{n}.weight"].T + w[f"attn.{n}.bias"] for n in ("q_proj", "k_proj", "v_proj"))
    dh = D // HEADS
    heads = []
    for h in range(HEADS):
        s = q[:, h * dh:(h + 1) * dh] @ k[:, h * dh:(h + 1) * dh].T / math.sqrt(dh)
        if causal:
            s = np.where(np.tril(np.ones((SEQ, SEQ))) > 0, s, -np.inf)
        p = np.exp(s - s.max(-1, keepdims=True))
        p /= p.sum(-1, keepdims=True)
        heads.append(p @ v[:, h * dh:(h + 1) * dh])
    h1 = x + np.concatenate(heads, -1) @ w["attn.out_proj.weight"].T + w["attn.out_proj.bias"]
    m = gelu(layer_norm(h1, w["ln_2.weight"], w["ln_2.bias"]) @ w["mlp.fc1.weight"].T + w["mlp.fc1.bias"])
    return h1 + m @ w["mlp.fc2.weight"].T + w["mlp.fc2.bias"]


tensors = dict(weights)
tensors["input.x"] = x
tensors["output.y"] = block(x, causal=False)
tensors["output.y_causal"] = block(x, causal=True)

header, blobs, offset = {"__metadata__": {"heads": str(HEADS), "eps": str(EPS), "generator": "scripts/make-fixtures.py"}}, [], 0
for name, value in tensors.items():
    blob = np.ascontiguousarray(value, dtype="<f4").tobytes()
    header[name] = {"dtype": "F32", "shape": list(value.shape), "data_offsets": [offset, offset + len(blob)]}
    blobs.append(blob)
    offset += len(blob)
head = json.dumps(header).encode()
head += b" " * ((8 - (8 + len(head)) % 8) % 8)
with open("test/fixtures/transformer-block.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(head)) + head + b"".join(blobs))
print(f"test/fixtures/transformer-block.safetensors: {len(tensors)} tensors, {8 + len(head) + offset} bytes")

# .npy files for the reader's tests: what np.save writes for the dtypes and orders users meet.
import os

os.makedirs("test/fixtures/npy", exist_ok=True)
a = np.arange(35, dtype=np.float64).reshape(5, 7) / 8 - 2  # exact in float32
np.save("test/fixtures/npy/f4.npy", a.astype(np.float32))
np.save("test/fixtures/npy/f8.npy", a)
np.save("test/fixtures/npy/f4-big-endian.npy", a.astype(">f4"))
np.save("test/fixtures/npy/vector.npy", a[0].astype(np.float32))
np.save("test/fixtures/npy/fortran.npy", np.asfortranarray(a.astype(np.float32)))
np.save("test/fixtures/npy/int32.npy", a.astype(np.int32))
print("test/fixtures/npy: 6 files")
