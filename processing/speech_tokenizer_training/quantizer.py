# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The linear quantizer fitted by cross-entropy to frame labels (``quantizer_targets="kmeans"`` or ``"head"``); the
CTC way (``"phones"``) is :mod:`.ctc`."""

from __future__ import annotations

import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

from .arguments import SpeechTokenizerTrainingArguments
from .common import lr_lambda

# What the quantizer learns to output (see `quantizer_targets`; "phones" is trained by CTC, see .ctc).
QUANTIZER_TARGETS = ("kmeans", "head", "phones")


def fit_quantizer(model, feats: torch.Tensor, labels: torch.LongTensor, args: SpeechTokenizerTrainingArguments) -> dict:
    """Cross-entropy fit of ``model.quantizer`` (``V + 1`` classes) to frame labels in ``[0, V)``; seeded shuffles.

    Returns ``{"epoch_losses": [...], "accuracy": a, "seconds": s}`` (accuracy of the argmax vs the labels)."""
    q = model.quantizer
    g = torch.Generator().manual_seed(args.seed + 29)
    torch.manual_seed(args.seed + 29)
    for m in q.encoder:
        if isinstance(m, nn.Linear):
            m.reset_parameters()
    opt = torch.optim.AdamW(q.parameters(), lr=args.quantizer_learning_rate, weight_decay=0.0)
    n = feats.shape[0]
    total = args.quantizer_epochs * max(1, math.ceil(n / args.quantizer_batch_size))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_lambda(total, 0.05))
    losses = []
    t0 = time.perf_counter()
    q.train()
    for _ in range(args.quantizer_epochs):
        perm = torch.randperm(n, generator=g)
        tot, cnt = 0.0, 0
        for s in range(0, n, args.quantizer_batch_size):
            idx = perm[s : s + args.quantizer_batch_size]
            loss = F.cross_entropy(q.encoder(feats[idx]), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach()) * idx.numel()
            cnt += idx.numel()
        losses.append(tot / cnt)
    q.eval()
    with torch.no_grad():
        pred = torch.cat([q(feats[s : s + 65536]) for s in range(0, n, 65536)])
    return {"epoch_losses": losses, "accuracy": float((pred == labels).float().mean()),
            "blank_fraction": float((pred == q.vocab_size).float().mean()), "seconds": time.perf_counter() - t0}


__all__ = ["QUANTIZER_TARGETS", "fit_quantizer"]
