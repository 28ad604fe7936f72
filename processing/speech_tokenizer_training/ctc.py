# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The quantizer trained with CTC on phoneme transcripts (``quantizer_targets="phones"``), the HuBERT fine-tuned with
it; and the greedy CTC phone error rate that measures it."""

from __future__ import annotations

import os
import time
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

from .arguments import SpeechTokenizerTrainingArguments
from .common import Interrupted, load_state, lr_lambda, save_state, step_generator
from .features import layer_features, num_frames
from .pretrain import compute_span_mask


def check_transcripts(transcripts, n_waves: int, vocab_size: int, unit_names) -> None:
    """Raise a clear error unless there is one non-empty transcript of ids in ``[0, vocab_size)`` per wave (and, when
    given, one unit name per id)."""
    if transcripts is None:
        raise ValueError("quantizer_targets='phones' trains the quantizer with CTC on phoneme transcripts: pass "
                         "`transcripts` (phoneme ids per wave, e.g. from processing.phonemes).")
    if len(transcripts) != n_waves:
        raise ValueError(f"{len(transcripts)} transcripts for {n_waves} waves; give one per wave.")
    if unit_names is not None and len(unit_names) != vocab_size:
        raise ValueError(f"{len(unit_names)} unit names but vocab_size is {vocab_size}; they must be equal.")
    for i, t in enumerate(transcripts):
        bad = [int(p) for p in t if not 0 <= int(p) < vocab_size]
        if bad or not len(t):
            raise ValueError(f"Transcript {i} is empty or has ids {bad[:5]} outside [0, {vocab_size}); every "
                             "transcript needs at least one phoneme id below vocab_size (the blank is vocab_size).")


def ctc_collapse(codes: Sequence[int], blank: int) -> List[int]:
    """Greedy CTC read-out of frame codes: merge repeats, drop blanks (``[3, 3, B, 3, 5, B] -> [3, 3, 5]``)."""
    out, prev = [], None
    for c in codes:
        c = int(c)
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return out


@torch.no_grad()
def phone_error_rate(model, waves: Sequence[Any], transcripts: Sequence[Sequence[int]]) -> dict:
    """Greedy CTC phone error rate of ``model``'s quantizer on ``waves`` against ``transcripts`` (edit distance /
    reference length, by the exact inference path), with the fraction of blank frames."""
    q = model.quantizer
    feats = layer_features(model, [torch.as_tensor(np.asarray(w, dtype=np.float32)).reshape(-1) for w in waves],
                           model.config.hubert_output_layer)
    import jiwer  # optional (the `eval` extra): only the phone error rate needs it

    refs, hyps, blanks, frames = [], [], 0, 0
    for f, ref in zip(feats, transcripts):
        codes = q(f)  # (T,) with blanks
        refs.append(" ".join(str(int(p)) for p in ref))
        hyps.append(" ".join(map(str, ctc_collapse(codes.tolist(), q.vocab_size))))
        blanks += int((codes == q.vocab_size).sum())
        frames += codes.numel()
    # phoneme ids as words: jiwer's corpus word error rate is the phone error rate
    return {"per": jiwer.wer(refs, hyps), "blank_fraction": blanks / max(frames, 1), "utterances": len(feats)}


def fit_ctc_quantizer(
    model,
    waves: List[torch.Tensor],
    transcripts: Sequence[Sequence[int]],
    args: SpeechTokenizerTrainingArguments,
    checkpoint_dir: str,
    stop_after: Optional[int] = None,
    eval_set: Optional[Tuple[Sequence[Any], Sequence[Sequence[int]]]] = None,
) -> dict:
    """Train ``model.quantizer`` (``V + 1`` outputs, the blank is ``V``) with CTC on phoneme transcripts, the HuBERT
    fine-tuned with it at ``args.ctc_encoder_learning_rate`` (0: frozen, features computed once by the exact
    inference path). Whole utterances in length-sorted batches of ``ctc_batch_size``, seeded batch order per epoch,
    linear warm-up (10%) then linear decay, seeded span masking (``ctc_mask_prob``) of the HuBERT's frames; a
    checkpoint after every epoch (resumed like :func:`.pretrain.pretrain`). ``stop_after`` (testing) stops after that epoch.

    At inference the quantizer's argmax gives a phoneme at some frames and the blank elsewhere; the blank-filling rule
    of the original (:func:`fill_blanks`) then holds each phoneme until the next one, so every frame has a unit.

    Returns:
        ``{"epoch_losses", "eval" (per epoch, when ``eval_set``), "seconds", "steps", "impossible"}`` (``impossible``:
        utterances with more phonemes than frames, which CTC cannot align; their loss is zeroed).
    """
    q, hubert = model.quantizer, model.hubert
    cfg, layer, blank = model.config.hubert_config, model.config.hubert_output_layer, model.quantizer.vocab_size
    torch.manual_seed(args.seed + 29)
    for m in q.encoder:
        if isinstance(m, nn.Linear):
            m.reset_parameters()
    frozen = args.ctc_encoder_learning_rate <= 0
    lengths = [num_frames(w.shape[0], cfg) for w in waves]
    targets = [torch.as_tensor([int(p) for p in t], dtype=torch.long) for t in transcripts]
    impossible = sum(int(t.numel() > n) for t, n in zip(targets, lengths))
    feats = layer_features(model, waves, layer) if frozen else None
    order = sorted(range(len(waves)), key=lambda i: (lengths[i], i))
    batches = [order[i : i + args.ctc_batch_size] for i in range(0, len(order), args.ctc_batch_size)]
    groups = [{"params": list(q.parameters()), "lr": args.quantizer_learning_rate}]
    if not frozen:
        groups.append({"params": list(hubert.parameters()), "lr": args.ctc_encoder_learning_rate})
    peaks = [g["lr"] for g in groups]
    params = [p for g in groups for p in g["params"]]
    optimizer = torch.optim.AdamW(groups, betas=(0.9, 0.98), eps=1e-6, weight_decay=args.weight_decay)
    total = args.ctc_epochs * len(batches)
    schedule = lr_lambda(total, 0.1)
    state = {"stage": "ctc", "epoch": 0, "step": 0, "epoch_losses": [], "eval": [], "seconds": 0.0}
    if os.path.isfile(os.path.join(checkpoint_dir, "trainer_state.json")):
        loaded = load_state(checkpoint_dir, model, None, optimizer)
        if loaded.get("stage") == "ctc":
            state = {k: loaded[k] for k in state}
    bar = tqdm(total=total, initial=state["step"], desc="ctc", disable=not args.progress, mininterval=2.0)
    t0, seconds0 = time.perf_counter(), state["seconds"]
    while state["epoch"] < args.ctc_epochs:
        g = step_generator(args.seed, "ctc", state["epoch"])
        perm = torch.randperm(len(batches), generator=g).tolist()
        q.train()
        hubert.train(not frozen)
        total_loss = 0.0
        for j in perm:
            idx = batches[j]
            for group, peak in zip(optimizer.param_groups, peaks):
                group["lr"] = peak * schedule(state["step"])
            if frozen:
                t = max(lengths[i] for i in idx)
                h = torch.stack([F.pad(feats[i], (0, 0, 0, t - lengths[i])) for i in idx])  # (B, T, hidden)
            else:
                n = max(waves[i].shape[0] for i in idx)
                x = torch.stack([F.pad(waves[i], (0, n - waves[i].shape[0])) for i in idx])  # (B, L)
                t = num_frames(n, cfg)
                mask = (compute_span_mask(len(idx), t, args.ctc_mask_prob, args.mask_length, g)
                        if args.ctc_mask_prob > 0 else torch.zeros(len(idx), t, dtype=torch.bool))
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                if not frozen:
                    h = hubert(input_values=x, mask_time_indices=mask, output_hidden_states=True).hidden_states[layer]
                logits = q.encoder(h).float()
            log_probs = logits.log_softmax(-1).transpose(0, 1)  # (T, B, V + 1)
            loss = F.ctc_loss(log_probs, torch.cat([targets[i] for i in idx]),
                              torch.as_tensor([lengths[i] for i in idx]), torch.as_tensor([targets[i].numel() for i in idx]),
                              blank=blank, zero_infinity=True)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, args.max_grad_norm)
            optimizer.step()
            total_loss += float(loss.detach())
            state["step"] += 1
            bar.update(1)
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}", refresh=False)
        state["epoch"] += 1
        state["epoch_losses"].append(total_loss / max(1, len(batches)))
        if eval_set is not None:
            state["eval"].append(phone_error_rate(model, *eval_set))
        state["seconds"] = seconds0 + time.perf_counter() - t0
        save_state(checkpoint_dir, model, None, optimizer, state)
        if stop_after is not None and state["epoch"] >= stop_after and state["epoch"] < args.ctc_epochs:
            bar.close()
            raise Interrupted("ctc")
    bar.close()
    q.eval()
    hubert.eval()
    return {"epoch_losses": state["epoch_losses"], "eval": state["eval"], "seconds": state["seconds"],
            "steps": state["step"], "impossible": impossible, "encoder_frozen": frozen}


__all__ = ["check_transcripts", "ctc_collapse", "fit_ctc_quantizer", "phone_error_rate"]
