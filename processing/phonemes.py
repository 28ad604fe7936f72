# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Phoneme transcripts of English text from espeak-ng (IPA), the targets of the toy speech tokenizer's CTC quantizer.

```python
from processing.phonemes import phonemize, phone_inventory
phonemize(["Anna, turn on the light."])
# [['sil', 'ˈæ', 'n', 'ə', 'sil', 't', 'ɜː', 'n', 'ɔ', 'n', 'ð', 'ə', 'l', 'aɪ', 't', 'sil']]
```

espeak-ng (Debian ``espeak-ng``, already needed by the toy corpus) turns each clause into IPA phonemes
(``espeak-ng -q --ipa --sep=" "``: one line per clause, phonemes separated by a space, words by two). Stress marks
(``ˈ``, ``ˌ``) are dropped, so a phoneme is a segment such as ``aɪ``, ``tʃ`` or ``ɜː`` (length marks are kept: ``iː``
and ``i`` are different phonemes in espeak-ng's English). A pause unit :data:`SILENCE` stands at the start and end of
every text and at every clause break inside it (commas, semicolons, colons, inner ``.?!``): the quantizer then has a
unit for the silence that festival and espeak-ng put around clauses, instead of stretching a phoneme over it.

All texts go through one espeak-ng process (3000 sentences take about 5 seconds); the clause count of its
output is checked against the input, and a mismatch falls back to one process per clause.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Iterable, List, Sequence

SILENCE = "sil"
STRESS_MARKS = "ˈˌ"
# Characters that end a clause for espeak-ng (and where a pause unit goes).
_CLAUSE_BREAK = re.compile(r"[,;:.?!]+")


class PhonemizerError(RuntimeError):
    """espeak-ng is missing or gave output that does not match the input."""


def _espeak() -> str:
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise PhonemizerError("espeak-ng is not installed; install the Debian package `espeak-ng` "
                              "(`apt-get install espeak-ng`; `make setup` does it).")
    return exe


def clauses(text: str) -> List[str]:
    """The clauses of ``text``: split at ``, ; : . ? !``, stripped, empty ones dropped."""
    return [c.strip() for c in _CLAUSE_BREAK.split(text) if c.strip()]


def _run(exe: str, voice: str, lines: Sequence[str]) -> List[str]:
    src = "".join(f"{line}.\n" for line in lines)
    res = subprocess.run([exe, "-v", voice, "-q", "--ipa", "--sep= "], input=src, capture_output=True, text=True,
                         check=False)
    if res.returncode != 0:
        raise PhonemizerError(f"espeak-ng failed (exit {res.returncode}) with voice {voice!r}: {res.stderr.strip()}")
    return [line for line in res.stdout.split("\n") if line.strip()]


def _phones_of(line: str) -> List[str]:
    tokens = ("".join(ch for ch in token if ch not in STRESS_MARKS) for token in line.split())
    return [t for t in tokens if t]


def phonemize(texts: Iterable[str], voice: str = "en-us", silence: bool = True) -> List[List[str]]:
    """IPA phonemes of each text (see the module docstring).

    Args:
        texts: English sentences.
        voice (`str`, defaults to ``"en-us"``): the espeak-ng voice whose pronunciation rules are used.
        silence (`bool`, defaults to `True`): put :data:`SILENCE` at the start, the end and every clause break.

    Returns:
        One list of phoneme strings per text. A text without any word gives ``[SILENCE]`` (or ``[]``).
    """
    texts = list(texts)
    exe = _espeak()
    per_text = [clauses(t) for t in texts]
    flat = [c for cs in per_text for c in cs]
    lines = _run(exe, voice, flat) if flat else []
    if len(lines) != len(flat):  # espeak-ng split a clause itself: one process per clause keeps the mapping exact
        lines = []
        for c in flat:
            got = _run(exe, voice, [c])
            lines.append(" ".join(got))
    it = iter(lines)
    out = []
    for cs in per_text:
        seq = [SILENCE] if silence else []
        for _ in cs:
            seq += _phones_of(next(it))
            if silence:
                seq.append(SILENCE)
        if silence and len(seq) > 1 and seq[0] == seq[1] == SILENCE:
            seq = seq[1:]
        out.append(seq)
    return out


def phone_inventory(transcripts: Iterable[Sequence[str]]) -> List[str]:
    """The sorted distinct phonemes of ``transcripts``, :data:`SILENCE` first when present (unit 0)."""
    phones = {p for t in transcripts for p in t}
    return ([SILENCE] if SILENCE in phones else []) + sorted(phones - {SILENCE})


def phone_ids(transcripts: Iterable[Sequence[str]], inventory: Sequence[str]) -> List[List[int]]:
    """Phoneme strings -> indices into ``inventory``; an unknown phoneme is an error naming it."""
    index = {p: i for i, p in enumerate(inventory)}
    out = []
    for n, t in enumerate(transcripts):
        missing = sorted({p for p in t if p not in index})
        if missing:
            raise PhonemizerError(f"Transcript {n} has phonemes {missing} that are not in the inventory "
                                  f"({len(inventory)} phonemes); build the inventory from all training transcripts.")
        out.append([index[p] for p in t])
    return out


__all__ = ["SILENCE", "PhonemizerError", "clauses", "phonemize", "phone_inventory", "phone_ids"]
