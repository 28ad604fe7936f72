# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Seeded k-means in torch (k-means++ initialisation; Lloyd iterations, or Sculley mini-batch updates on large
data): the masked-prediction targets and the ``"kmeans"`` quantizer targets."""

from __future__ import annotations

import torch
from safetensors.torch import load_file, save_file


class KMeans:
    """Cluster centres in a standardised space: ``predict(x) = argmin_c |(x - mean) / std - centre_c|``."""

    def __init__(self, centers: torch.Tensor, mean: torch.Tensor, std: torch.Tensor):
        self.centers, self.mean, self.std = centers.float(), mean.float(), std.float()

    @property
    def n_clusters(self) -> int:
        return self.centers.shape[0]

    def predict(self, x: torch.Tensor, batch: int = 65536) -> torch.LongTensor:
        out = []
        for s in range(0, x.shape[0], batch):
            z = (x[s : s + batch].float() - self.mean) / self.std
            out.append(torch.cdist(z, self.centers).argmin(dim=1))
        return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)

    def save(self, path: str) -> None:
        save_file({"centers": self.centers.contiguous(), "mean": self.mean, "std": self.std}, path)

    @classmethod
    def load(cls, path: str) -> "KMeans":
        d = load_file(path)
        return cls(d["centers"], d["mean"], d["std"])


def fit_kmeans(
    x: torch.Tensor, k: int, seed: int = 0, batch_size: int = 20_000, max_iter: int = 100, init_size: int = 20_000
) -> KMeans:
    """Seeded k-means of ``x`` ``(N, D)`` after per-dimension standardisation.

    k-means++ initialisation on at most ``init_size`` points; then Lloyd iterations when ``N <= batch_size`` (stops
    when assignments stop changing), else ``max_iter`` Sculley mini-batch updates (per-centre learning rate
    ``1 / count``). Empty clusters are re-seeded on random points.
    """
    x = x.float()
    n = x.shape[0]
    if n < k:
        raise ValueError(f"k-means with k={k} needs at least {k} frames; got {n}. Use more audio or fewer clusters.")
    g = torch.Generator().manual_seed(seed)
    mean, std = x.mean(0), x.std(0).clamp_min(1e-5)
    z = (x - mean) / std
    # k-means++
    sample = z[torch.randperm(n, generator=g)[: min(n, init_size)]]
    centers = [sample[torch.randint(sample.shape[0], (1,), generator=g)]]
    d2 = torch.cdist(sample, centers[0]).squeeze(1) ** 2
    for _ in range(1, k):
        probs = d2 / d2.sum() if float(d2.sum()) > 0 else torch.full_like(d2, 1.0 / d2.numel())
        c = sample[torch.multinomial(probs, 1, generator=g)]
        centers.append(c)
        d2 = torch.minimum(d2, torch.cdist(sample, c).squeeze(1) ** 2)
    centers = torch.cat(centers)  # (K, D)
    if n <= batch_size:
        prev = None
        for _ in range(max_iter):
            assign = torch.cdist(z, centers).argmin(1)
            if prev is not None and torch.equal(assign, prev):
                break
            prev = assign
            counts = torch.bincount(assign, minlength=k).float()
            sums = torch.zeros_like(centers).index_add_(0, assign, z)
            empty = counts == 0
            centers = torch.where(empty[:, None], centers, sums / counts.clamp_min(1)[:, None])
            if empty.any():
                centers[empty] = z[torch.randint(n, (int(empty.sum()),), generator=g)]
    else:
        counts = torch.zeros(k)
        for _ in range(max_iter):
            b = z[torch.randint(n, (batch_size,), generator=g)]
            assign = torch.cdist(b, centers).argmin(1)
            bc = torch.bincount(assign, minlength=k).float()
            sums = torch.zeros_like(centers).index_add_(0, assign, b)
            counts += bc
            hit = bc > 0
            centers[hit] += (sums[hit] - bc[hit, None] * centers[hit]) / counts[hit, None]
            dead = counts == 0
            if dead.any():
                centers[dead] = b[torch.randint(batch_size, (int(dead.sum()),), generator=g)]
    return KMeans(centers * 1.0, mean, std)


__all__ = ["KMeans", "fit_kmeans"]
