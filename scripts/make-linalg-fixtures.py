#!/usr/bin/env python3
"""Writes test/fixtures/linalg/*.npy: matrices and numpy's decompositions of them (float64), which
test/linalg.test.ts compares the library's svd, eigh and pca against (singular values and
eigenvalues within tolerance, subspaces by principal angles, sign-invariant vectors).
Run: python3 scripts/make-linalg-fixtures.py"""
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "linalg")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261128)


def save(name, a):
    np.save(os.path.join(OUT, f"{name}.npy"), np.ascontiguousarray(a))


def f32(a):
    """The values the library sees: float32, then back to float64 for the reference."""
    return a.astype(np.float32).astype(np.float64)


def orthonormal(m, n):
    q, _ = np.linalg.qr(rng.standard_normal((m, n)))
    return q


# Dense 120×80 with a known, decaying spectrum (distinct values: vectors are defined up to sign).
s = 10 * 0.8 ** np.arange(80)
A = f32(orthonormal(120, 80) @ np.diag(s) @ orthonormal(80, 80).T)
U, S, Vt = np.linalg.svd(A, full_matrices=False)
save("svd_A", A.astype(np.float32))
save("svd_S", S)
save("svd_U", U[:, :10])
save("svd_Vt", Vt[:10])

# Sparse 300×200 term-document-like matrix (5 % nonzero, positive), stored dense.
mask = rng.random((300, 200)) < 0.05
T = f32(np.where(mask, rng.exponential(1.0, (300, 200)), 0.0))
save("sparse_A", T.astype(np.float32))
Ut, St, _ = np.linalg.svd(T, full_matrices=False)
save("sparse_S", St)
save("sparse_U", Ut[:, :5])  # the top-5 left singular subspace (gaps are small: compare by principal angles)

# Symmetric 40×40 with distinct eigenvalues of both signs.
M = rng.standard_normal((40, 40))
Ssym = f32((M + M.T) / 2)
w, v = np.linalg.eigh(Ssym)
save("eigh_S", Ssym.astype(np.float32))
save("eigh_values", w)
save("eigh_vectors", v)

# PCA: 500 rows of 12 correlated features with an offset; sklearn's definition (sample covariance).
X = f32(rng.standard_normal((500, 12)) @ (rng.standard_normal((12, 12)) * np.linspace(3, 0.2, 12)[:, None]) + 5)
Xc = X - X.mean(axis=0)
_, sx, vtx = np.linalg.svd(Xc, full_matrices=False)
var = sx ** 2 / (X.shape[0] - 1)
save("pca_X", X.astype(np.float32))
save("pca_components", vtx[:3])
save("pca_variance", var[:3])
save("pca_ratio", var[:3] / var.sum())
save("pca_transformed", Xc[:20] @ vtx[:3].T)
print("wrote", sorted(os.listdir(OUT)))
