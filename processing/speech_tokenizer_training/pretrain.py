# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""HuBERT masked prediction: spans of conv frames are replaced by ``masked_spec_embed`` and a projection head
(fairseq HuBERT's ``final_proj`` + ``label_embs``, cosine similarity / ``logit_temp``) predicts the k-means class of
every masked frame. Seeded per step and checkpointed, so a resumed run equals an uninterrupted one."""

from __future__ import annotations

import os
import time
from typing import List, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from .arguments import SpeechTokenizerTrainingArguments
from .common import Interrupted, load_state, lr_lambda, save_state, step_generator
from .features import frame_geometry


class SpiritLMHubertPretrainingHead(nn.Module):
    """fairseq HuBERT's prediction head: ``logits = cos(final_proj(h), label_embs) / logit_temp``."""

    def __init__(self, hidden_size: int, num_classes: int, final_dim: int = 64, logit_temp: float = 0.1):
        super().__init__()
        self.final_proj = nn.Linear(hidden_size, final_dim)
        self.label_embs = nn.Parameter(torch.empty(num_classes, final_dim).uniform_(-1, 1))
        self.logit_temp = logit_temp

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """``(N, hidden)`` -> ``(N, num_classes)`` logits."""
        p = F.normalize(self.final_proj(hidden), dim=-1)
        e = F.normalize(self.label_embs, dim=-1)
        return p @ e.t() / self.logit_temp


def compute_span_mask(batch: int, frames: int, mask_prob: float, mask_length: int, generator: torch.Generator):
    """``(batch, frames)`` bool mask: ``round(mask_prob * frames / mask_length)`` spans of ``mask_length`` frames at
    distinct random starts per row (spans may overlap, as in HuBERT), at least one span."""
    mask = torch.zeros(batch, frames, dtype=torch.bool)
    span = min(mask_length, frames)
    n_starts = frames - span + 1
    n_spans = max(1, min(n_starts, int(mask_prob * frames / span + float(torch.rand(1, generator=generator)))))
    for b in range(batch):
        starts = torch.randperm(n_starts, generator=generator)[:n_spans]
        idx = (starts[:, None] + torch.arange(span)[None]).reshape(-1)
        mask[b, idx] = True
    return mask


def _sample_batch(waves, targets, args, hubert_config, generator):
    """Random frame-aligned crops: ``(B, L)`` samples, ``(B, T)`` targets with ``num_frames(L) == T``."""
    hop, rf = frame_geometry(hubert_config)
    idx = torch.randint(len(waves), (args.batch_size,), generator=generator).tolist()
    t = min([args.crop_frames] + [targets[i].shape[0] for i in idx])
    t -= t % 2  # even frame counts: no fairseq odd-length padding difference between training and inference
    length = (t - 1) * hop + rf
    xs, ys = [], []
    for i in idx:
        j = int(torch.randint(targets[i].shape[0] - t + 1, (1,), generator=generator))
        w = waves[i][j * hop : j * hop + length]
        xs.append(F.pad(w, (0, length - w.shape[0])))
        ys.append(targets[i][j : j + t])
    return torch.stack(xs), torch.stack(ys)


def pretrain(
    model,
    waves: List[torch.Tensor],
    targets: List[torch.LongTensor],
    num_classes: int,
    steps: int,
    args: SpeechTokenizerTrainingArguments,
    checkpoint_dir: str,
    stage: str = "pretrain1",
    stop_after: Optional[int] = None,
) -> dict:
    """HuBERT masked prediction of ``targets`` (one cluster id per conv frame of each wave) for ``steps`` steps.

    Resumes from ``checkpoint_dir`` when it holds a checkpoint of this stage (same data and args give the same
    result as an uninterrupted run). ``stop_after`` (testing) stops, after checkpointing, once that many steps are done.

    Returns:
        ``{"losses": [...], "accuracies": [...], "steps": n, "seconds": s, "head": head}`` (masked-frame
        cross-entropy and accuracy per step).
    """
    hubert = model.hubert
    cfg = model.config.hubert_config
    layer = model.config.hubert_output_layer
    head = SpiritLMHubertPretrainingHead(cfg["hidden_size"], num_classes, args.final_dim, args.logit_temp)
    torch.manual_seed(args.seed + 17)
    head.label_embs.data.uniform_(-1, 1)
    params = list(hubert.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=args.learning_rate, betas=(0.9, 0.98), eps=1e-6, weight_decay=args.weight_decay)
    schedule = lr_lambda(steps, args.warmup_fraction)
    state = {"stage": stage, "step": 0, "losses": [], "accuracies": [], "seconds": 0.0, "num_classes": num_classes}
    if os.path.isfile(os.path.join(checkpoint_dir, "trainer_state.json")):
        loaded = load_state(checkpoint_dir, model, head, optimizer)
        if loaded.get("stage") == stage:
            state = {k: loaded[k] for k in state}
    waves = [torch.as_tensor(w, dtype=torch.float32) for w in waves]
    hubert.train()
    bar = tqdm(total=steps, initial=state["step"], desc=stage, disable=not args.progress, mininterval=2.0)
    t0 = time.perf_counter()
    seconds0 = state["seconds"]
    while state["step"] < steps:
        step = state["step"]
        g = step_generator(args.seed, stage, step)
        x, y = _sample_batch(waves, targets, args, cfg, g)  # (B, L), (B, T)
        mask = compute_span_mask(y.shape[0], y.shape[1], args.mask_prob, args.mask_length, g)  # (B, T)
        for group in optimizer.param_groups:
            group["lr"] = args.learning_rate * schedule(step)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            out = hubert(input_values=x, mask_time_indices=mask, output_hidden_states=True)
            h = out.hidden_states[layer]  # (B, T, hidden)
            if h.shape[1] != y.shape[1]:
                raise RuntimeError(f"HuBERT gave {h.shape[1]} frames for a crop whose targets have {y.shape[1]}.")
            logits = head(h[mask]).float()  # (N_masked, K)
            nomask_logits = (head(h[~mask]).float() if args.pred_nomask_weight > 0 and bool((~mask).any())
                             else None)
        loss = F.cross_entropy(logits, y[mask])
        if nomask_logits is not None:
            loss = loss + args.pred_nomask_weight * F.cross_entropy(nomask_logits, y[~mask])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, args.max_grad_norm)
        optimizer.step()
        state["losses"].append(float(loss.detach()))
        state["accuracies"].append(float((logits.argmax(-1) == y[mask]).float().mean()))
        state["step"] = step + 1
        state["seconds"] = seconds0 + time.perf_counter() - t0
        bar.update(1)
        bar.set_postfix(loss=f"{state['losses'][-1]:.3f}", acc=f"{state['accuracies'][-1]:.2f}", refresh=False)
        done = state["step"] == steps
        if done or state["step"] % args.save_steps == 0 or (stop_after is not None and state["step"] >= stop_after):
            save_state(checkpoint_dir, model, head, optimizer, state)
        if stop_after is not None and state["step"] >= stop_after and not done:
            bar.close()
            raise Interrupted(stage)
    bar.close()
    hubert.eval()
    return dict(state, head=head)


__all__ = ["SpiritLMHubertPretrainingHead", "compute_span_mask", "pretrain"]
