# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Unit strings: the original's vectors (spec §1.5, §4.5, §4.6) and a round-trip property."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modeling_spirit.units import (
    does_end_with_speech_token,
    does_start_with_speech_token,
    find_prompt_last_speech_start_position,
    parse_speech_and_text,
    parse_unit_string,
    string_to_units,
    units_to_string,
)


# --- the original's scanner and predicates (tests/test_spirit_model.py vectors, spec §1.5) -----------------------
@pytest.mark.parametrize(
    "text,expected",
    [
        ("abc[Speech][St1][Pi234][Hu123][Hu45][Text]hello world[",
         [("abc", "t"), ("[St1][Pi234][Hu123][Hu45]", "s"), ("hello world[", "t")]),
        ("abc[]", [("abc[]", "t")]),
        ("[St1][Pi234][Hu123][Hu45][Text][abc", [("[St1][Pi234][Hu123][Hu45]", "s"), ("[abc", "t")]),
        ("abc[Text]def", [("abcdef", "t")]),
        ("[Speech][Hu1][Hu2] and then[Speech][Hu3]", [("[Hu1][Hu2]", "s"), (" and then", "t"), ("[Hu3]", "s")]),
        ("", []),
        ("[Hu12", [("[Hu12", "s")]),
    ],
)
def test_parse_speech_and_text(text, expected):
    assert parse_speech_and_text(text) == expected


@pytest.mark.parametrize(
    "text,expected",
    [("]]", False), ("[]", False), ("abc[]", False), ("[St1][Text][abc]", False), ("abc[Text]def", False),
     ("[Hu100]", True), ("[Pi9]", True), ("[St0]", True), (None, False), ("abc[Hu1]", True)],
)
def test_does_end_with_speech_token(text, expected):
    assert does_end_with_speech_token(text) is expected


@pytest.mark.parametrize(
    "text,expected",
    [("]]", False), ("[]", False), ("abc[]", False), ("[Text][abc]", False), ("abc[Text]def", False),
     ("[Hu100]", True), ("[Pi9]", True), ("[St0]", True), (None, False), ("[Hu1]abc", True)],
)
def test_does_start_with_speech_token(text, expected):
    assert does_start_with_speech_token(text) is expected


@pytest.mark.parametrize(
    "prompt,expected",
    [("abc[Hu123][Hu456][Pi23][St2]", 3), ("[Hu123]abc[Hu123][Hu456][Pi23][St2]", 10),
     ("[Hu123][Hu456][Pi23][St2]", 0), ("abc", None), ("[Speech][St71][Pi39][Hu99][Hu49]", 8)],
)
def test_find_prompt_last_speech_start_position(prompt, expected):
    assert find_prompt_last_speech_start_position(prompt) == expected


# --- units_to_string ---------------------------------------------------------------------------------------------
def test_base_dedup():
    assert units_to_string({"hubert": [99, 99, 49, 38, 38, 38, 99]}) == "[Hu99][Hu49][Hu38][Hu99]"
    assert units_to_string({"hubert": "99 99 49"}) == "[Hu99][Hu49]"  # the original's string form


def test_expressive_order_and_ties():
    # t=0: St < Pi < Hu (stable sort); style is not deduplicated; pitch is.
    s = units_to_string({"hubert": [99, 49, 49, 38], "pitch": [39, 39, 5], "style": [71, 71]})
    # times: St0@0, St1@1; Pi0@0, Pi2@0.16; Hu0@0, Hu1@0.04, Hu3@0.12
    assert s == "[St71][Pi39][Hu99][Hu49][Hu38][Pi5][St71]"


def test_hubert_rate_24_99_puts_hubert_after_pitch_at_same_nominal_time():
    # Hu index 2 at 24.99 Hz is 0.08003 s > Pi index 1 at 0.08 s; at 25 Hz they would tie.
    s = units_to_string({"hubert": [1, 2, 3], "pitch": [7, 8], "style": [0]})
    assert s == "[St0][Pi7][Hu1][Hu2][Pi8][Hu3]"
    # From ~100 s on, 24.99 and 25 order differently: hubert index 2499 is at 100.004 s (24.99) vs 99.96 s (25).
    units = {"hubert": [i % 500 for i in range(2600)], "style": [1] * 100 + [42]}
    assert "[Hu498][St42][Hu499]" in units_to_string(units)
    assert "[Hu499][St42][Hu0]" in units_to_string(units, hubert_rate=25.0)


def test_units_to_string_bad_input():
    with pytest.raises(ValueError, match="hubert"):
        units_to_string({"pitch": [1]})
    with pytest.raises(ValueError, match="integers"):
        units_to_string({"hubert": ["a"]})
    with pytest.raises(ValueError, match=">= 0"):
        units_to_string({"hubert": [-1]})


# --- string_to_units ---------------------------------------------------------------------------------------------
def test_string_to_units_alignment():
    out = string_to_units("[St71][Pi39][Hu99][Hu49][Pi5][Hu38][St3][Hu7]")
    assert out == {"hubert": [99, 49, 38, 7], "pitch": [39, 39, 5, 5], "style": [71, 71, 71, 3]}


def test_string_to_units_fallbacks():
    # Hubert before the first pitch takes the first pitch seen anywhere.
    assert string_to_units("[Hu1][Pi4][Hu2]")["pitch"] == [4, 4]
    # Pitch without style: a common style, drawn from Python's random (seeded like the original's set_seed).
    random.seed(0)
    a = string_to_units("[Pi4][Hu2][Hu3]")
    random.seed(0)
    b = string_to_units("[Pi4][Hu2][Hu3]")
    assert a == b and a["style"][0] in (71, 68, 98) and len(set(a["style"])) == 1
    assert string_to_units("[Hu1][Hu2]") == {"hubert": [1, 2]}
    assert string_to_units("[Speech][Hu1]") == {"hubert": [1]}


@pytest.mark.parametrize(
    "bad,match",
    [("[Hu731]", "out of range"), ("[Pi64]", "out of range"), ("[St100]", "out of range"), ("[Hu1", "Malformed"),
     ("[Hu01]", "Malformed"), ("[Hu1] [Hu2]", "Malformed"), ("hello", "Malformed"), ("[Text][Hu1]", "Malformed"),
     ("[Hux]", "Malformed")],
)
def test_string_to_units_bad(bad, match):
    with pytest.raises(ValueError, match=match):
        string_to_units(bad)


def test_parse_unit_string_custom_sizes():
    assert parse_unit_string("[Hu3]", {"hubert": 4}) == [("hubert", 3)]
    with pytest.raises(ValueError, match="4 units"):
        parse_unit_string("[Hu4]", {"hubert": 4})


# --- property: string -> units -> string is stable ----------------------------------------------------------------
_token = st.one_of(
    st.integers(0, 500).map(lambda u: f"[Hu{u}]"),
    st.integers(0, 63).map(lambda u: f"[Pi{u}]"),
    st.integers(0, 99).map(lambda u: f"[St{u}]"),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=60), st.lists(st.integers(0, 63), max_size=30),
       st.lists(st.integers(0, 99), max_size=4))
def test_property_units_string_units(hubert, pitch, style):
    """A string made by units_to_string is a fixed point of string_to_units ∘ units_to_string (base streams)."""
    s = units_to_string({"hubert": hubert, "pitch": pitch, "style": style})
    base = units_to_string({"hubert": hubert})
    back = string_to_units(s)
    # The hubert stream of the string is the deduplicated input.
    assert units_to_string({"hubert": back["hubert"]}) == base
    # Re-encoding the aligned streams (no dedup, one time step per hubert token) and re-parsing is stable.
    s2 = units_to_string(back, hubert_rate=1.0, pitch_rate=1.0, style_rate=1.0, pitch_dedup=True, style_dedup=True)
    assert string_to_units(s2)["hubert"] == back["hubert"]
    assert string_to_units(s2).get("pitch") == back.get("pitch") or not pitch


@settings(max_examples=150, deadline=None)
@given(st.lists(_token, min_size=1, max_size=40))
def test_property_any_unit_string_round_trips_through_parser(tokens):
    s = "".join(tokens)
    parsed = parse_unit_string(s)
    assert "".join(f"[{ {'hubert': 'Hu', 'pitch': 'Pi', 'style': 'St'}[k]}{u}]" for k, u in parsed) == s


def test_aligner_streams_unit_by_unit_as_the_string_parser():
    import random

    from modeling_spirit.units import SpiritLMUnitAligner, parse_unit_string

    s = "[Hu1][Pi3][Hu2][St7][Hu2][Pi4][Hu9][St8][Hu5]"
    whole = string_to_units(s)
    aligner = SpiritLMUnitAligner(("pitch", "style"))
    pieces = []
    for stream, unit in parse_unit_string(s):
        aligner.add(stream, unit)
        piece = aligner.take_ready()
        if piece is not None:
            pieces.append(piece)
    rest = aligner.take_rest()
    pieces += [rest] if rest else []
    assert len(pieces) > 1  # units are released as soon as their pitch and style are known
    assert {k: sum((p[k] for p in pieces), []) for k in whole} == whole
    # The style fallback: drawn once at the end, from the given RNG, as string_to_units.
    no_style = "[Pi3][Hu1][Hu2]"
    a = SpiritLMUnitAligner(("pitch", "style"), rng=random.Random(5))
    for stream, unit in parse_unit_string(no_style):
        a.add(stream, unit)
    assert a.take_ready() is None  # held: the style is not known before the end
    assert a.finish() == string_to_units(no_style, rng=random.Random(5))
    with pytest.raises(ValueError, match="base"):
        SpiritLMUnitAligner(()).add("pitch", 3)


def test_units_to_string_offsets_time_slices_from_the_utterance_start():
    """Slices cut from a longer utterance keep their true relative order (what processing.interleave needs)."""
    units = {"hubert": [1, 2], "pitch": [5]}
    assert units_to_string(units) == "[Pi5][Hu1][Hu2]"
    # pitch frame 1 is at 0.08 s, after HuBERT frames 0 (0 s) and 1 (0.04 s)
    assert units_to_string(units, offsets={"hubert": 0, "pitch": 1}) == "[Hu1][Hu2][Pi5]"
    assert units_to_string(units, offsets={"hubert": 0, "pitch": 0}) == units_to_string(units)
