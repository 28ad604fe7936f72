# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""espeak-ng phonemes (processing/phonemes.py): the CTC quantizer's targets."""

import shutil

import pytest

from processing.phonemes import SILENCE, PhonemizerError, clauses, phone_ids, phone_inventory, phonemize

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng is not installed (Debian package `espeak-ng`; `make setup`)")


def test_clauses():
    assert clauses("Anna, turn on the light.") == ["Anna", "turn on the light"]
    assert clauses("...") == [] and clauses("one; two: three? four!") == ["one", "two", "three", "four"]


@needs_espeak
def test_phonemize_ipa_with_pauses():
    a, b, empty = phonemize(["Anna, turn on the light.", "The cat sees three apples", "..."])
    assert a[0] == a[-1] == SILENCE and a.count(SILENCE) == 3  # start, the comma, end
    assert b[0] == b[-1] == SILENCE and b.count(SILENCE) == 2
    assert empty == [SILENCE]
    assert not any(m in p for p in a + b for m in "ˈˌ")  # stress marks dropped
    assert {"θ", "ɹ", "iː", "k", "æ", "t"} <= set(b)  # "three", "cat"
    assert phonemize(["The cat sees three apples."]) == [b]  # the final stop changes nothing
    assert phonemize(["Anna, turn on the light."], silence=False) == [[p for p in a if p != SILENCE]]


@needs_espeak
def test_inventory_and_ids():
    ph = phonemize(["The cat sees three apples.", "Turn on the light."])
    inv = phone_inventory(ph)
    assert inv[0] == SILENCE and inv[1:] == sorted(set(inv[1:])) and len(inv) == len(set(inv))
    ids = phone_ids(ph, inv)
    assert [[inv[i] for i in row] for row in ids] == ph
    with pytest.raises(PhonemizerError, match="not in the inventory"):
        phone_ids([["zz"]], inv)
