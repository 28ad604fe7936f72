# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""How good the units are: frame metrics against reference labels (usage entropy, purities, PNMI) and a units ->
words probe on word-aligned corpora."""

from __future__ import annotations

import math
import re
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from .features import frame_times

SILENCE_LABEL = "<sil>"  # the frame label outside every word (frame_word_labels)


def unit_metrics(units: Sequence[Sequence[int]], labels: Sequence[Sequence[Any]], num_units: Optional[int] = None) -> dict:
    """Frame-level quality of units against reference labels (same length per utterance).

    Returns ``units_used``, ``usage_entropy_bits`` and ``usage_perplexity`` (of the unit distribution),
    ``frame_purity`` (accuracy when each unit predicts its majority label), ``label_purity`` (each label predicts
    its majority unit), ``pnmi`` (I(label; unit) / H(label)), ``chance_purity`` (majority-label frequency).
    """
    u = np.concatenate([np.asarray(x, dtype=np.int64) for x in units])
    names = {}
    lab = np.concatenate([np.asarray([names.setdefault(l, len(names)) for l in row], dtype=np.int64) for row in labels])
    if u.shape != lab.shape:
        raise ValueError(f"{u.shape[0]} units but {lab.shape[0]} labels; give one label per frame.")
    nu = int(max(u.max() + 1, num_units or 0))
    joint = np.zeros((nu, len(names)))
    np.add.at(joint, (u, lab), 1)
    p = joint / joint.sum()
    pu, pl = p.sum(1), p.sum(0)
    nz = p > 0
    mi = float((p[nz] * np.log(p[nz] / (pu[:, None] * pl[None, :])[nz])).sum())
    hl = float(-(pl[pl > 0] * np.log(pl[pl > 0])).sum())
    hu = float(-(pu[pu > 0] * np.log2(pu[pu > 0])).sum())
    return {
        "frames": int(u.size),
        "units_used": int((pu > 0).sum()),
        "usage_entropy_bits": hu,
        "usage_perplexity": float(2**hu),
        "max_entropy_bits": float(math.log2(nu)),
        "frame_purity": float(joint.max(1).sum() / joint.sum()),
        "label_purity": float(joint.max(0).sum() / joint.sum()),
        "pnmi": mi / hl if hl > 0 else 0.0,
        "chance_purity": float(pl.max()),
    }


def normalize_word(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


def frame_word_labels(words: Sequence[dict], n: int, hubert_config: dict) -> List[str]:
    """Word (normalised) whose ``[start, end)`` holds each frame centre, else ``"<sil>"``."""
    t = frame_times(n, hubert_config)
    out = [SILENCE_LABEL] * n
    for w in words:
        sel = np.nonzero((t >= w["start"]) & (t < w["end"]))[0]
        for i in sel:
            out[i] = normalize_word(w["word"])
    return out


def word_segments(units: Sequence[int], words: Sequence[dict], hubert_config: dict) -> List[Tuple[str, List[int]]]:
    """``(word, units of the frames whose centre lies in the word)`` for every word with at least one frame."""
    t = frame_times(len(units), hubert_config)
    out = []
    for w in words:
        sel = np.nonzero((t >= w["start"]) & (t < w["end"]))[0]
        if sel.size:
            out.append((normalize_word(w["word"]), [int(units[i]) for i in sel]))
    return out


def word_probe(
    train: List[Tuple[str, List[int]]], test: List[Tuple[str, List[int]]], num_units: int, k: int = 5
) -> dict:
    """Units -> word identity probe: each word token is the L2-normalised histogram of its units plus of its unit
    bigrams (hashed into ``num_units`` extra bins); a test token gets the similarity-weighted vote of its ``k``
    nearest training tokens (cosine). Reports accuracy on test tokens of words seen in training and the
    majority-word baseline."""

    def vec(us: List[int]) -> np.ndarray:
        v = np.zeros(2 * num_units)
        np.add.at(v, np.asarray(us), 1.0)
        if len(us) > 1:
            np.add.at(v, num_units + (np.asarray(us[:-1]) * 7919 + np.asarray(us[1:])) % num_units, 1.0)
        return v / max(np.linalg.norm(v), 1e-9)

    vocab = sorted({w for w, _ in train})
    index = {w: i for i, w in enumerate(vocab)}
    train_x = np.stack([vec(us) for _, us in train])
    train_y = np.asarray([index[w] for w, _ in train])
    test = [(w, us) for w, us in test if w in index]
    if not test:
        return {"accuracy": float("nan"), "test_tokens": 0}
    x = np.stack([vec(us) for _, us in test])
    sims = x @ train_x.T  # (N_test, N_train)
    kk = min(k, train_x.shape[0])
    nn_idx = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
    votes = np.zeros((len(test), len(vocab)))
    for j in range(kk):
        np.add.at(votes, (np.arange(len(test)), train_y[nn_idx[:, j]]), sims[np.arange(len(test)), nn_idx[:, j]])
    pred = votes.argmax(1)
    gold = np.asarray([index[w] for w, _ in test])
    majority = np.bincount(train_y, minlength=len(vocab)).argmax()
    return {"accuracy": float((pred == gold).mean()), "majority_baseline": float((gold == majority).mean()),
            "test_tokens": len(test), "word_types": len(vocab), "k": kk}


def evaluate_on_corpus(tokenizer, train: Tuple[list, list], test: Tuple[list, list], num_units: int) -> dict:
    """Unit metrics vs frame word labels on ``test`` and the units -> words probe (train -> test)."""
    cfg = tokenizer.config.hubert_config
    out = {}
    segs = {}
    for name, (waves, words) in (("train", train), ("test", test)):
        units = [u["hubert"] for u in tokenizer.encode_units(list(waves))]
        segs[name] = [s for u, w in zip(units, words) for s in word_segments(u, w, cfg)]
        if name == "test":
            labels = [frame_word_labels(w, len(u), cfg) for u, w in zip(units, words)]
            out["word_frame_metrics"] = unit_metrics(units, labels, num_units)
    out["word_probe"] = word_probe(segs["train"], segs["test"], num_units)
    return out


__all__ = ["SILENCE_LABEL", "evaluate_on_corpus", "frame_word_labels", "normalize_word", "unit_metrics",
           "word_probe", "word_segments"]
