# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The training data: a ``save_to_disk`` corpus split as waves (+ word times, texts), and the phoneme transcripts
of its texts for the CTC quantizer."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from modeling_spirit.constants import SAMPLING_RATE

from ..phonemes import phone_ids, phone_inventory, phonemize


def load_corpus(path: str, split: str, max_utterances: Optional[int] = None, seed: int = 0,
                with_text: bool = False) -> Tuple[list, ...]:
    """``(waves, words)`` of a ``save_to_disk`` corpus split (toy-corpus layout: ``audio`` + optional ``words``);
    ``max_utterances`` rows picked with a seeded shuffle. ``with_text``: ``(waves, words, texts)`` (the ``text``
    column)."""
    from datasets import Audio, load_from_disk  # optional (the `data` extra): only corpus loading needs it

    ds = load_from_disk(path)[split]
    if max_utterances and max_utterances < len(ds):
        ds = ds.shuffle(seed=seed).select(range(max_utterances))
    ds = ds.cast_column("audio", Audio(sampling_rate=SAMPLING_RATE, decode=False))
    feature = Audio(sampling_rate=SAMPLING_RATE)
    waves, words = [], []
    for row in ds:
        waves.append(np.asarray(feature.decode_example(row["audio"])["array"], dtype=np.float32).reshape(-1))
        words.append(row.get("words"))
    if with_text:
        return waves, words, list(ds["text"])
    return waves, words


def phoneme_targets(texts: Sequence[str], voice: str = "en-us", inventory: Optional[Sequence[str]] = None
                    ) -> Dict[str, Any]:
    """``{"transcripts", "unit_names"}`` for ``quantizer_targets="phones"``: espeak-ng phonemes of ``texts``
    (:func:`processing.phonemes.phonemize`) as ids into ``inventory`` (default: the phonemes of ``texts``, ``sil``
    first)."""
    ph = phonemize(texts, voice=voice)
    inventory = list(inventory) if inventory is not None else phone_inventory(ph)
    return {"transcripts": phone_ids(ph, inventory), "unit_names": inventory}


__all__ = ["load_corpus", "phoneme_targets"]
