# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Property-based checks (hypothesis) of the tokenizers and of the training-text builders (issue 20).

* Tokenizers (toy model and tiny expressive): for any text without markers, the slow (SentencePiece) and fast
  (tokenizers) classes give the same ids, also after save_pretrained -> from_pretrained, and
  ``decode(encode(x), skip_special_tokens=True) == x``; with unit tokens, markers and typed control tokens (``<s>``,
  ``</s>``, ``<unk>``: read as those tokens, as the original's Llama tokenizer does) mixed in, slow == fast still.
* Training text (processing.interleave): any units dict gives either a sequence whose unit tokens are exactly the
  (deduplicated) input units, every one inside its codebook, or an ``InvalidUnitsError`` naming the stream and the
  bad value. Never a silent ``[Hu-1]``.

The default run stays within a few seconds (``max_examples`` small, ``deadline=None`` for a loaded machine); the
``slow`` marker runs the same properties on many more examples (``make test-slow``).
"""

import random
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from modeling_spirit import SpiritLMTokenizer, SpiritLMTokenizerFast
from modeling_spirit.units import DEFAULT_STREAM_SIZES
from processing import interleave as il

from recipes.toy import TOY_MODEL  # noqa: E402
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LONG = settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Markers and unit tokens, and the control tokens a user may type (kept as such, so dropped by skip_special_tokens).
_MARKER = re.compile(r"\[(Text|Speech|Hu\d+|Pi\d+|St\d+)\]|<s>|</s>|<unk>")
_TOKENIZERS = {}


def _tokenizers(which: str):
    """(slow, fast, fast reloaded after save_pretrained) for the toy model or a tiny expressive tokenizer."""
    if which not in _TOKENIZERS:
        if which == "toy":
            folder = str(TOY_MODEL)
        else:
            from modeling_spirit.configuration_spirit_lm import SpiritLMConfig
            from recipes.tiny.models import build_tiny_tokenizer, tiny_config_kwargs

            folder = tempfile.mkdtemp(prefix="spirit-fuzz-tok-")
            build_tiny_tokenizer(SpiritLMConfig(**tiny_config_kwargs("expressive")), folder)
        saved = tempfile.mkdtemp(prefix="spirit-fuzz-saved-")
        SpiritLMTokenizerFast.from_pretrained(folder).save_pretrained(saved)
        _TOKENIZERS[which] = (SpiritLMTokenizer.from_pretrained(folder), SpiritLMTokenizerFast.from_pretrained(folder),
                              SpiritLMTokenizerFast.from_pretrained(saved))
    return _TOKENIZERS[which]


# Text a user may type: any printable or whitespace character (no surrogates), markers excluded below.
TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)
PIECES = st.lists(st.one_of(TEXT, st.sampled_from(["[Text]", "[Speech]", "[Hu0]", "[Hu7]", "[Hu58]", "[Pi3]", "[St9]",
                                                   "[Hu", "]", "[[", "<s>", "</s>", "<unk>", "<"])),
                  max_size=8).map("".join)


def _round_trip(which, text):
    slow, fast, reloaded = _tokenizers(which)
    ids = slow(text)["input_ids"]
    assert fast(text)["input_ids"] == ids == reloaded(text)["input_ids"], text
    if not _MARKER.search(text):
        assert slow.decode(ids, skip_special_tokens=True) == text
        assert fast.decode(ids, skip_special_tokens=True) == text


@pytest.mark.parametrize("which", ["toy", "tiny"])
@FAST
@given(text=TEXT)
def test_marker_free_text_round_trips(which, text):
    _round_trip(which, text)


@pytest.mark.parametrize("which", ["toy", "tiny"])
@FAST
@given(text=PIECES)
def test_slow_equals_fast_with_markers_and_units(which, text):
    _round_trip(which, text)


@pytest.mark.fuzz_long
@pytest.mark.parametrize("which", ["toy", "tiny"])
@LONG
@given(text=st.one_of(TEXT, PIECES))
def test_tokenizer_round_trips_long(which, text):
    _round_trip(which, text)


# ---------------------------------------------------------------------------------------------------------------
# Training text from units
# ---------------------------------------------------------------------------------------------------------------
UNIT = st.one_of(st.integers(-3, 700), st.sampled_from([1.0, 2.5, True, "3", None, [1]]))
UNITS = st.fixed_dictionaries({"hubert": st.one_of(st.lists(UNIT, min_size=1, max_size=30), st.just("1 2 3")),
                               "pitch": st.lists(UNIT, max_size=15), "style": st.lists(UNIT, max_size=4)})
_TOKEN = re.compile(r"\[(Hu|Pi|St)(-?\d+)\]")


def _units_property(units, variant, kind):
    row = dict(units, text="hello world", audio_duration=2.0,
               words=[{"word": "hello", "start": 0.1, "end": 0.5}, {"word": "world", "start": 0.6, "end": 1.0}])
    build = {"speech": lambda: il.speech_only_sequence(row, variant),
             "asr": lambda: il.asr_sequence(row, variant),
             "tts": lambda: il.tts_sequence(row, variant),
             "interleaved": lambda: il.interleaved_sequence(row, variant, random.Random(0), text_span_words=(1, 1),
                                                            speech_span_words=(1, 1), start_modality="speech")}[kind]
    streams = ("hubert", "pitch", "style") if variant == "expressive" else ("hubert",)
    valid = all(isinstance(units[s], list) and all(type(u) is int and 0 <= u < DEFAULT_STREAM_SIZES[s] for u in units[s])
                for s in streams)
    try:
        seq = build()
    except il.InvalidUnitsError as err:
        assert not valid, (units, err)
        assert any(f"`{s}`" in str(err) for s in streams) and "allowed" in str(err) or "must be a list" in str(err)
        return
    except il.SkipRow:
        assert kind == "interleaved"  # a one-word speech span may cover no HuBERT frame: skipped and counted
        return
    assert valid, (units, seq)
    prefixes = {"Hu": "hubert", "Pi": "pitch", "St": "style"}
    for prefix, value in _TOKEN.findall(seq):
        stream = prefixes[prefix]
        assert stream in streams and 0 <= int(value) < DEFAULT_STREAM_SIZES[stream], seq
    if kind == "speech":
        assert seq == "[Speech]" + il.merge_unit_streams({s: (0, units[s]) for s in streams})


@FAST
@given(units=UNITS, variant=st.sampled_from(["base", "expressive"]),
       kind=st.sampled_from(["speech", "asr", "tts", "interleaved"]))
def test_training_text_never_holds_invalid_units(units, variant, kind):
    _units_property(units, variant, kind)


@pytest.mark.fuzz_long
@LONG
@given(units=UNITS, variant=st.sampled_from(["base", "expressive"]),
       kind=st.sampled_from(["speech", "asr", "tts", "interleaved"]))
def test_training_text_never_holds_invalid_units_long(units, variant, kind):
    _units_property(units, variant, kind)
