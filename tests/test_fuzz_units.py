# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Fuzz (hypothesis) of unit strings and unit dicts (issue 20): ``units_to_string``, ``parse_unit_string``,
``string_to_units`` and the vocoder's ``decode`` on unit strings, dicts and arrays with any ``dur_pred``,
``speaker_id`` and ``style_id``.

Property: a right result (checked against an oracle), a documented result, or a ValueError/TypeError raised by this
package whose message names the stream or argument; never a silent wrong result or an error from inside a
dependency. Counts per family go to ``tests/fuzz_outcomes.py`` (``SPIRIT_FUZZ_REPORT=path`` writes them).
"""

import math
import random
import re
import tempfile

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from fuzz_outcomes import check_error, record
from modeling_spirit.units import DEFAULT_STREAM_SIZES, parse_unit_string, string_to_units, units_to_string

FAST = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
VOC_FAST = settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
RATES = {"hubert": 24.99, "pitch": 12.5, "style": 1.0}
PREFIX = {"hubert": "Hu", "pitch": "Pi", "style": "St"}

# ------------------------------------------------------------------------------------------------ strategies
ELEMENT = st.one_of(
    st.integers(-3, 700), st.integers(-3, 700), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.integers(0, 600).map(float), st.booleans(), st.none(), st.text(max_size=3),
    st.sampled_from(["3", " 7 ", "+4", "-2", "\u0663", "1_0", "0x1", "", "5.0", "12 3"]),
    st.integers(0, 600).map(np.int64), st.just(np.True_),
)
GOOD_INT = st.integers(0, 499)


def _containers(elem):
    return st.one_of(
        st.lists(elem, max_size=12),
        st.lists(elem, max_size=12).map(tuple),
        st.lists(GOOD_INT, max_size=12),
        st.lists(GOOD_INT, max_size=12).map(lambda v: np.array(v, dtype=np.int64)),
        st.lists(GOOD_INT, max_size=12).map(lambda v: torch.tensor(v, dtype=torch.long)),
        st.lists(GOOD_INT, max_size=12).map(lambda v: " ".join(map(str, v))),
        st.lists(st.one_of(st.floats(-2, 600), st.just(float("nan"))), max_size=6).map(lambda v: np.array(v, dtype=np.float32)),
        st.lists(GOOD_INT, max_size=6).map(lambda v: np.array(v).reshape(1, -1)),
        st.just(np.zeros((0, 2), dtype=np.int64)), st.just(np.array(5)), st.just(torch.tensor(3)),
        st.lists(st.integers(0, 255), max_size=6).map(bytes), st.lists(GOOD_INT, max_size=6).map(set),
        st.dictionaries(GOOD_INT, GOOD_INT, max_size=3), st.none(), st.integers(0, 9),
        st.lists(st.lists(GOOD_INT, max_size=2), max_size=3),
    )


STREAM = _containers(ELEMENT)
UNITS_DICT = st.fixed_dictionaries({"hubert": STREAM}, optional={"pitch": STREAM, "style": STREAM, "audio": st.none()})


class Invalid(Exception):
    pass


def _oracle_ints(values):
    """What the units must be read as, or ``Invalid``: an independent statement of the documented input rules."""
    if values is None:
        return []
    if isinstance(values, str):
        values = values.split()
    elif isinstance(values, (np.ndarray, torch.Tensor)):
        if values.ndim != 1:
            raise Invalid
        values = values.tolist()
    elif not isinstance(values, (list, tuple)):
        raise Invalid
    out = []
    for v in values:
        if isinstance(v, (bool, np.bool_)) or v is None or isinstance(v, (list, bytes)):
            raise Invalid
        if isinstance(v, str):
            if not re.fullmatch(r"\s*[+-]?[0-9]+\s*", v):
                raise Invalid
            v = int(v)
        if isinstance(v, float) and (not math.isfinite(v) or v != int(v)):
            raise Invalid
        if int(v) < 0:
            raise Invalid
        out.append(int(v))
    return out


def _dedup(values, on=True):
    return [v for i, v in enumerate(values) if not on or i == 0 or v != values[i - 1]]


# ------------------------------------------------------------------------------------------------ units_to_string
def _check_units_to_string(units):
    try:
        expected = {k: _oracle_ints(units.get(k)) for k in ("hubert", "pitch", "style")}
    except Invalid:
        expected = None
    try:
        out = units_to_string(units)
    except (ValueError, TypeError) as err:
        assert expected is None, f"valid input refused: {units!r}: {err}"
        check_error(err, "units_to_string: units dicts")
        return
    assert expected is not None, f"invalid input accepted: {units!r} -> {out!r}"
    tokens = re.findall(r"\[(Hu|Pi|St)(\d+)\]", out)
    assert "".join(f"[{p}{u}]" for p, u in tokens) == out
    for key, dedup in (("hubert", True), ("pitch", True), ("style", False)):
        got = [int(u) for p, u in tokens if p == PREFIX[key]]
        assert got == _dedup(expected[key], dedup), (key, units, out)
    # Time order: per stream, the i-th kept token sits at (its raw index) / rate; the string is sorted by that time.
    def kept_indices(key):
        vals = expected[key]
        return iter([i for i in range(len(vals)) if key == "style" or i == 0 or vals[i] != vals[i - 1]])

    times, kept = [], {k: kept_indices(k) for k in PREFIX}
    for p, _ in tokens:
        key = {v: k for k, v in PREFIX.items()}[p]
        times.append(next(kept[key]) / RATES[key])
    assert times == sorted(times), out
    record("units_to_string: units dicts", "right")


@FAST
@given(units=UNITS_DICT)
def test_units_to_string(units):
    _check_units_to_string(units)


@pytest.mark.fuzz_long
@LONG
@given(units=UNITS_DICT)
def test_units_to_string_long(units):
    _check_units_to_string(units)


@pytest.mark.parametrize("units", ["[Hu1]", ["hubert"], None, 3, [("hubert", [1])]])
def test_units_to_string_needs_a_dict(units):
    with pytest.raises(TypeError) as info:
        units_to_string(units)
    check_error(info.value, "units_to_string: not a dict", names=("dict",))


@pytest.mark.parametrize("rate", [0, -25.0, float("nan"), float("inf"), True, "25"])
def test_units_to_string_rates(rate):
    with pytest.raises(ValueError) as info:
        units_to_string({"hubert": [1, 2]}, hubert_rate=rate)
    check_error(info.value, "units_to_string: rates", names=("hubert_rate",))


# ------------------------------------------------------------------------------------------------ unit strings
PIECE = st.one_of(
    st.tuples(st.sampled_from(["Hu", "Pi", "St"]), st.integers(0, 600)).map(lambda t: f"[{t[0]}{t[1]}]"),
    st.tuples(st.sampled_from(["Hu", "Pi", "St"]), st.integers(0, 60)).map(lambda t: f"[{t[0]}{t[1]}]"),
    st.sampled_from(["[Speech]", "[Text]", "[Hu-1]", "[Hu01]", "[Hu 3]", "[hu3]", "[Hu]", "[Hu3", "Hu3]", " ",
                     "\n", "[Hu\u0663]", "[Hu3][", "[Pi64]", "[St100]", "[Hu500]", "[Hu501]", "x", "[", "]"]),
)
VALID_PIECE = st.tuples(st.sampled_from(["Hu", "Hu", "Pi", "St"]), st.integers(0, 63)).map(lambda t: f"[{t[0]}{t[1]}]")
UNIT_STRING = st.one_of(st.lists(VALID_PIECE, max_size=12).map("".join), st.lists(VALID_PIECE, max_size=12).map("".join),
                        st.lists(PIECE, max_size=12).map("".join), st.text(max_size=20))
_TOKEN = re.compile(r"\[(?:(Hu|Pi|St)(0|[1-9][0-9]*)|(Speech))\]", re.ASCII)


def _oracle_parse(s, sizes=DEFAULT_STREAM_SIZES):
    out, pos = [], 0
    while pos < len(s):
        m = _TOKEN.match(s, pos)
        if not m:
            raise Invalid(pos)
        if m.group(1):
            stream = {v: k for k, v in PREFIX.items()}[m.group(1)]
            if int(m.group(2)) >= sizes[stream]:
                raise Invalid(pos)
            out.append((stream, int(m.group(2))))
        pos = m.end()
    return out


def _check_unit_string(s):
    try:
        expected = _oracle_parse(s)
    except Invalid as bad:
        expected, bad_pos = None, bad.args[0]
    try:
        pairs = parse_unit_string(s)
    except ValueError as err:
        assert expected is None, f"valid unit string refused: {s!r}: {err}"
        check_error(err, "parse_unit_string: unit strings", names=(f"character {bad_pos}",))
        return
    assert pairs == expected, s
    record("parse_unit_string: unit strings", "right")
    units = string_to_units(s, rng=random.Random(0))
    hub = [u for k, u in pairs if k == "hubert"]
    assert units["hubert"] == hub
    for key in ("pitch", "style"):
        seen = [u for k, u in pairs if k == key]
        if key in units:
            assert len(units[key]) == len(hub)
            assert set(units[key]) <= set(seen) or (key == "style" and not seen and set(units[key]) <= {71, 68, 98})
        else:
            assert not seen
    # Each HuBERT unit takes the pitch last seen before it (or the first pitch when none was seen yet).
    if "pitch" in units:
        current, first = None, next(u for k, u in pairs if k == "pitch")
        expect = []
        for k, u in pairs:
            if k == "pitch":
                current = u
            elif k == "hubert":
                expect.append(first if current is None else current)
        assert units["pitch"] == expect
    record("string_to_units: unit strings", "right")


@FAST
@given(s=UNIT_STRING)
def test_unit_strings(s):
    _check_unit_string(s)


@pytest.mark.fuzz_long
@LONG
@given(s=UNIT_STRING)
def test_unit_strings_long(s):
    _check_unit_string(s)


@FAST
@given(hubert=st.lists(GOOD_INT, max_size=30))
def test_hubert_round_trip(hubert):
    """string_to_units(units_to_string(x)) is x deduplicated."""
    assert string_to_units(units_to_string({"hubert": hubert}))["hubert"] == _dedup(hubert)
    record("units_to_string -> string_to_units round trip", "right")


@pytest.mark.parametrize("value", [3, None, b"[Hu3]", ["[Hu3]"]])
def test_parse_needs_a_string(value):
    with pytest.raises(TypeError) as info:
        parse_unit_string(value)
    check_error(info.value, "parse_unit_string: not a str", names=("str",))


# ------------------------------------------------------------------------------------------------ vocoder decode
_VOCODERS = {}
DECODE_WORDS = ("hubert", "pitch", "style", "units", "speaker", "dur_pred", "unit", "stream", "codebook", "character")


def _vocoder(variant):
    if variant not in _VOCODERS:
        from recipes.tiny.models import build_tiny_vocoder

        _VOCODERS[variant] = build_tiny_vocoder(tempfile.mkdtemp(prefix="spirit-fuzz-voc-"), variant)
    return _VOCODERS[variant]


def _check_waveform(wav, voc, n_frames=None):
    assert isinstance(wav, np.ndarray) and wav.dtype == np.float32 and wav.ndim == 1
    assert np.isfinite(wav).all() and len(wav) % voc.hop_length == 0
    if n_frames is not None:
        assert len(wav) == n_frames * voc.hop_length


SPEAKER = st.one_of(st.none(), st.none(), st.integers(0, 3), st.integers(-2, 6), st.sampled_from(["tiny-speaker-1", "nobody", "", "0"]),
                    st.sampled_from([1.0, True, np.int64(2), torch.tensor(1), [1], 2.5]))
STYLE = st.one_of(st.none(), st.none(), st.none(), st.integers(-2, 10), st.sampled_from(["happy", "nope", 1.0, False, np.int32(3)]))
HUBERT_DICT_STREAM = st.one_of(st.lists(GOOD_INT, max_size=12), st.lists(GOOD_INT, max_size=12).map(np.array),
                               _containers(st.one_of(st.integers(-3, 520), st.integers(0, 500), ELEMENT)))


def _id_ok(value, names, present):
    if value is None:
        return True
    if not present:
        return False
    if isinstance(value, str):
        return value in names
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        return False
    return 0 <= int(value) < len(names)


def _check_decode(variant, units, speaker_id, style_id, dur_pred):
    voc = _vocoder(variant)
    cfg = voc.config
    family = f"vocoder decode ({variant}): " + ("unit strings" if isinstance(units, str) else "units dicts/arrays")
    parts = list(units.values()) if isinstance(units, dict) else [units]
    if isinstance(units, list) and units and not isinstance(units[0], (int, np.integer)):
        parts = units  # a batch: each item is an input
    try:
        hubert = _oracle_ints(units.get("hubert", b"") if isinstance(units, dict) else units)
        if any(u >= cfg.num_embeddings for u in hubert):
            hubert = None
    except Invalid:
        hubert = None
    ids_ok = (_id_ok(speaker_id, cfg.speakers, cfg.multispkr) and _id_ok(style_id, cfg.styles, cfg.multistyle))
    try:
        wav = voc.decode(units, speaker_id=speaker_id, style_id=style_id, dur_pred=dur_pred)
    except (ValueError, TypeError) as err:
        check_error(err, family, any_of=DECODE_WORDS)
        return
    assert ids_ok, f"bad speaker/style id accepted: {speaker_id!r} / {style_id!r}"
    if isinstance(wav, list):  # documented: a list whose first item is not an int is a batch of inputs
        assert isinstance(units, list) and len(wav) == len(units)
        for w in wav:
            _check_waveform(w, voc)
        record(family, "documented")
        return
    if isinstance(units, dict) and variant == "base":
        assert hubert is not None, f"invalid hubert units accepted: {units!r}"
    _check_waveform(wav, voc, None if dur_pred else len(hubert or []) or None)
    record(family, "documented" if len(wav) == 0 else "right")


@pytest.mark.parametrize("variant", ["base", "expressive"])
@VOC_FAST
@given(data=st.data())
def test_vocoder_decode_dicts_and_arrays(variant, data):
    streams = {"hubert": data.draw(HUBERT_DICT_STREAM)}
    if variant == "expressive" or data.draw(st.booleans()):
        for key in ("pitch", "style"):
            if data.draw(st.booleans()) or variant == "expressive":
                n = len(streams["hubert"]) if isinstance(streams["hubert"], list) else 3
                good = st.lists(st.integers(0, 63), min_size=n, max_size=n)
                streams[key] = data.draw(st.one_of(good, good, st.lists(st.integers(-1, 101), max_size=12)))
    units = streams if data.draw(st.booleans()) or variant == "expressive" else streams["hubert"]
    _check_decode(variant, units, data.draw(SPEAKER), data.draw(STYLE), data.draw(st.booleans()))


@pytest.mark.parametrize("variant", ["base", "expressive"])
@VOC_FAST
@given(s=UNIT_STRING, speaker_id=SPEAKER, style_id=STYLE, dur_pred=st.booleans())
def test_vocoder_decode_unit_strings(variant, s, speaker_id, style_id, dur_pred):
    voc = _vocoder(variant)
    family = f"vocoder decode ({variant}): unit strings"
    try:
        wav = voc.decode(s, speaker_id=speaker_id, style_id=style_id, dur_pred=dur_pred)
    except (ValueError, TypeError) as err:
        check_error(err, family, any_of=DECODE_WORDS)
        return
    stripped = s.strip()
    if stripped and not stripped.startswith("["):
        n = len(_oracle_ints(stripped))  # the original's space-separated HuBERT units
    else:
        n = sum(1 for k, _ in _oracle_parse(stripped) if k == "hubert")  # raises Invalid on a silent wrong parse
    assert _id_ok(speaker_id, voc.config.speakers, voc.config.multispkr)
    assert _id_ok(style_id, voc.config.styles, voc.config.multistyle)
    _check_waveform(wav, voc, None if dur_pred else n)
    assert (len(wav) == 0) == (n == 0)
    record(family, "documented" if n == 0 else "right")


@pytest.mark.fuzz_long
@pytest.mark.parametrize("variant", ["base", "expressive"])
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(s=UNIT_STRING, data=st.data())
def test_vocoder_decode_long(variant, s, data):
    test_vocoder_decode_unit_strings.hypothesis.inner_test(variant, s, data.draw(SPEAKER), data.draw(STYLE),
                                                           data.draw(st.booleans()))
    test_vocoder_decode_dicts_and_arrays.hypothesis.inner_test(variant, data)


# Defects the fuzz found in modeling_spirit_hifigan.py, fixed: each reproducer now gets a clear error.
HIFIGAN_DEFECTS = [  # (call, the name its error must mention); the old behaviour in the comment
    pytest.param(lambda v: v.decode({"hubert": [float("inf")]}), "hubert"),  # raw OverflowError
    pytest.param(lambda v: v.decode({"hubert": b"\x01\x02"}), "hubert"),  # bytes decoded as units [1, 2]
    pytest.param(lambda v: v.decode({"hubert": {1: 2, 3: 4}}), "hubert"),  # a dict's keys decoded as units
    pytest.param(lambda v: v.decode({"hubert": {3, 1}}), "hubert"),  # a set decoded in hash order
    pytest.param(lambda v: v.decode(np.zeros((0, 2), dtype=np.int64)), "hubert"),  # silently empty
    pytest.param(lambda v: v.decode(np.array(5)), "hubert"),  # 'int object is not iterable'
    pytest.param(lambda v: v.decode(5), "hubert"),  # 'int object is not iterable'
    pytest.param(lambda v: v.decode(None), "None"),  # said "got keys ['hubert']"
    pytest.param(lambda v: v.decode([1, 2], speaker_id=torch.tensor([1, 2])), "speaker_id"),  # raw torch error
    pytest.param(lambda v: v.decode([1, 2], dur_pred="no"), "dur_pred"),  # was truthy (issue 20 #9)
    pytest.param(lambda v: v.decode([1, 2], dur_pred=None), "dur_pred"),  # was silently False
    # an empty style stream beside 1 HuBERT unit passed the length rule, then a raw torch error in pad
    pytest.param(lambda v: _vocoder("expressive").decode({"hubert": [0], "pitch": [0], "style": []}, dur_pred=False),
                 "style"),
    pytest.param(lambda v: v.decode({"hubert": [1, np.True_]}), "hubert"),  # numpy.bool_ True read as unit 1
    pytest.param(lambda v: v.decode({"hubert": ["1_0"]}), "hubert"),  # '1_0' read as unit 10
    pytest.param(lambda v: v.decode({"hubert": [" \u0663 "]}), "hubert"),  # Arabic-Indic digit read as unit 3
]


@pytest.mark.parametrize("call,name", HIFIGAN_DEFECTS)
def test_vocoder_defects(call, name):
    voc = _vocoder("base")
    try:
        out = call(voc)
    except BaseException as err:  # noqa: BLE001 - the check below judges it
        check_error(err, "vocoder decode: known defects", names=(name,))
        return
    pytest.fail(f"accepted silently (result of shape {np.shape(out)}); expected an error naming {name}")


@pytest.mark.parametrize("stream", [b"\x01\x02", {1: 2}, {3, 1}, [float("inf")], [float("nan")], [True], [np.True_],
                                    np.array(5), np.zeros((0, 2), dtype=np.int64), ["1_0"], ["\u0663"], 7])
def test_units_to_string_refuses_lookalike_streams(stream):
    """Iterables that are not unit sequences, booleans, NaN/inf and non-decimal strings are refused with a
    ValueError/TypeError naming the stream (they gave silent units, a raw OverflowError or TypeError before)."""
    with pytest.raises((ValueError, TypeError)) as info:
        units_to_string({"hubert": stream})
    check_error(info.value, "units_to_string: look-alike streams", names=("hubert",))
