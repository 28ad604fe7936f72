# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Text helpers of the toy evaluation (pure): digits spelled as the corpus writes them, words as scored, the
corpus vocabulary and the in-vocabulary fraction, and where a sentence is cut in two (continuation, StoryCloze)."""

import math
import re
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from modeling_spirit.constants import SAMPLING_RATE
from processing.toy_text import number_words


def spell_digits(text: str) -> str:
    """Digits as the toy corpus writes numbers: ``"at 11:30"`` → ``"at eleven:thirty"`` (0-999; larger kept)."""
    def repl(match):
        n = int(match.group(0))
        return f" {number_words(n)} " if n < 1000 else match.group(0)

    return re.sub(r"\d+", repl, str(text))


def normalize_words(text: str) -> List[str]:
    """Words as scored: digits spelled (:func:`spell_digits`), lower-cased, punctuation stripped (the ``wer``
    metric's normalisation)."""
    from ..metrics.wer.wer import normalize_text  # heavy optional dependency: the module imports `evaluate`, `datasets`

    return normalize_text(spell_digits(text)).split()


def corpus_vocabulary(texts: Iterable[str]) -> Set[str]:
    """Every normalised word of ``texts`` (:func:`normalize_words`)."""
    vocab: Set[str] = set()
    for t in texts:
        vocab.update(normalize_words(t))
    return vocab


def in_vocabulary_fraction(transcripts: Sequence[str], vocabulary: Set[str]) -> Dict[str, Any]:
    """Of all words of ``transcripts`` (pooled, normalised), the fraction in ``vocabulary``.

    Returns ``{"fraction", "in_vocabulary", "words", "n", "mean_words", "empty_fraction"}``; ``fraction`` is NaN
    when there is no word at all.
    """
    counts = [normalize_words(t) for t in transcripts]
    words = sum(len(c) for c in counts)
    inside = sum(1 for c in counts for w in c if w in vocabulary)
    n = len(counts)
    return {"fraction": inside / words if words else float("nan"), "in_vocabulary": inside, "words": words, "n": n,
            "mean_words": words / n if n else float("nan"),
            "empty_fraction": sum(1 for c in counts if not c) / n if n else float("nan")}


def cut_point(words: Sequence[Dict[str, Any]], cut_fraction: float = 0.5) -> Optional[Tuple[int, float]]:
    """Where to cut a sentence in two: ``(k, seconds)`` -- the first ``k`` words (``n * cut_fraction`` rounded half
    up, kept in ``1 .. n-1``) and the time halfway between word ``k-1``'s end and word ``k``'s start (0-based).
    ``None`` for fewer than two words."""
    n = len(words)
    if n < 2:
        return None
    k = max(1, min(n - 1, int(math.floor(n * cut_fraction + 0.5))))
    t = 0.5 * (float(words[k - 1]["end"]) + float(words[k]["start"]))
    return k, t


def cut_sample(seconds: float, num_samples: int) -> int:
    """The sample index of a cut time (16 kHz), inside the audio."""
    return int(min(max(round(seconds * SAMPLING_RATE), 0), num_samples))


def spoken_split(text: str, k: int) -> Tuple[str, str]:
    tokens = text.split()
    return " ".join(tokens[:k]), " ".join(tokens[k:])


__all__ = ["spell_digits", "normalize_words", "corpus_vocabulary", "in_vocabulary_fraction", "cut_point", "cut_sample",
           "spoken_split"]
