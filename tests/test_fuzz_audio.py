# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Property-based checks (hypothesis) of audio inputs (issue 20): every family, through ``load_audio`` and the
pipeline's speech items.

Families: arrays and tensors of every dtype, shape (0-d to 3-D, empty dimensions, both orientations) and values
(NaN/inf, absurd peaks); sampling rates (ints, integral and fractional floats, bools, strings, 0, negatives, absurd);
containers (lists, nested and ragged lists, tuples, sets, dicts with odd keys, ``None``, numbers, strings that name no
file); files and bytes (complete, truncated, garbage). The property: a right result (a 1-D finite float32 waveform
equal to what the input says), a documented result (an empty waveform for an empty input), or an
:class:`~modeling_spirit.audio_utils.AudioInputError` raised by this package whose message names what came in.

Counts: ``SPIRIT_FUZZ_REPORT=/tmp/fuzz.json pytest tests/test_fuzz_audio.py`` writes the outcomes per family
(``tests/fuzz_outcomes.py``). The default run is a few seconds per test; ``-m slow`` runs many more examples.
"""

import io
import warnings

import numpy as np
import pytest
import soundfile as sf
import torch
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra import numpy as hnp

from fuzz_outcomes import check_error, record
from modeling_spirit.audio_utils import (
    MAX_ABS_SAMPLE,
    MAX_SAMPLING_RATE,
    MIN_SAMPLING_RATE,
    AudioInputError,
    load_audio,
)

FAST = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
PIPE_FAST = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
PIPE_LONG = settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))

DTYPES = st.sampled_from(["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
                          "uint32", "bool", "complex64", "U3", "O", "datetime64[s]"])
SHAPES = st.one_of(
    st.just(()),
    st.tuples(st.integers(0, 400)),
    st.tuples(st.integers(0, 3), st.integers(0, 400)),
    st.tuples(st.integers(0, 400), st.integers(0, 3)),
    st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 50)),
)
FLOATS = st.one_of(st.floats(-1, 1, width=32), st.floats(allow_nan=True, allow_infinity=True, width=32),
                   st.sampled_from([1e6, -1e30, 32768.0, 40000.0]))


def _cast(x, dtype):
    with np.errstate(over="ignore"):
        return np.float32(x).astype(dtype).item()


@st.composite
def arrays(draw):
    dtype = np.dtype(draw(DTYPES))
    shape = draw(SHAPES)
    if dtype.kind == "f":
        return draw(hnp.arrays(dtype, shape, elements=FLOATS.map(lambda x: _cast(x, dtype))))
    if dtype.kind in "iub":
        return draw(hnp.arrays(dtype, shape))
    return np.zeros(shape, dtype=dtype)


RATES = st.one_of(st.none(), st.integers(-10, 10**7),
                  st.sampled_from([7919, 767993, 8000, 16000, 22050, 44100, 16000.0, 8000.5, True, "16000",
                                   float("nan"), 0]))


def _wav_bytes(n: int, rate: int) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, (0.1 * np.sin(np.arange(n) / 7)).astype(np.float32), rate, format="WAV")
    return buf.getvalue()


@st.composite
def files(draw):
    raw = _wav_bytes(draw(st.integers(0, 3000)), draw(st.sampled_from([8000, 16000, 44100])))
    cut = draw(st.one_of(st.just(len(raw)), st.integers(0, len(raw))))
    return ("truncated" if cut < len(raw) else "complete"), raw[:cut]


CONTAINERS = st.one_of(
    st.lists(st.floats(-1, 1), max_size=50),
    st.lists(st.lists(st.floats(-1, 1), min_size=2, max_size=5), min_size=1, max_size=3),
    st.lists(st.one_of(st.floats(), st.integers(), st.text(max_size=3), st.booleans(), st.none()), max_size=5),
    st.tuples(st.floats(-1, 1), st.floats(-1, 1)),
    st.sets(st.integers(), max_size=3),
    st.dictionaries(st.sampled_from(["array", "sampling_rate", "path", "bytes", "x"]),
                    st.one_of(st.none(), st.integers(-5, 20000), st.text(max_size=5), st.just(np.zeros(10, np.float32))),
                    max_size=3),
    st.none(), st.integers(), st.floats(), st.text(max_size=10).map(lambda s: "/nonexistent/" + s),
    st.binary(max_size=64),
)


def _names_input(message: str, audio, rate) -> bool:
    """Whether an error message names what came in (type, dtype, shape, value or the offending option)."""
    words = [type(audio).__name__, "sampling_rate", "channel", "file", "dict", "list", "shape", "NaN", "samples"]
    if isinstance(audio, np.ndarray):
        words += [str(audio.dtype), str(tuple(audio.shape))]
    if rate is not None:
        words.append(repr(rate))
    return any(w in message for w in words)


def _check(audio, rate, family: str):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # averaging channels warns (documented)
            wav = load_audio(audio, sampling_rate=rate)
    except Exception as e:  # noqa: BLE001 - the property is about which exceptions come out
        assert isinstance(e, AudioInputError), f"{family}: {type(e).__name__} is not AudioInputError: {e!r}"
        assert _names_input(str(e), audio, rate), f"{family}: message names nothing that came in: {e}"
        check_error(e, family)
        return "error"
    assert isinstance(wav, torch.Tensor) and wav.dtype == torch.float32 and wav.dim() == 1, family
    assert torch.isfinite(wav).all() and (wav.numel() == 0 or float(wav.abs().max()) <= MAX_ABS_SAMPLE * 1.5)
    if wav.numel() == 0:
        record(family, "documented")  # an empty input gives an empty waveform
        return "documented"
    record(family, "right")
    return "right"


def _check_array(audio, rate):
    outcome = _check(audio, rate, "audio: arrays x rates")
    if outcome == "right" and rate in (None, 16000) and isinstance(audio, np.ndarray) and audio.ndim == 1:
        if audio.dtype.kind == "f":  # float samples at 16 kHz are taken as given
            assert torch.equal(load_audio(audio, sampling_rate=rate), torch.from_numpy(audio.astype(np.float32)))
    if isinstance(rate, int) and not isinstance(rate, bool) and not MIN_SAMPLING_RATE <= rate <= MAX_SAMPLING_RATE:
        assert outcome == "error"


@FAST
@given(arrays(), RATES)
def test_fuzz_audio_arrays(audio, rate):
    _check_array(audio, rate)


@FAST
@given(arrays(), st.booleans())
def test_fuzz_audio_tensors(audio, as_tensor):
    if as_tensor and audio.dtype.kind in "iufb" and audio.dtype != np.uint32:
        audio = torch.from_numpy(np.ascontiguousarray(audio))
    _check(audio, None, "audio: tensors")


@FAST
@given(CONTAINERS)
def test_fuzz_audio_containers(audio):
    _check(audio, None, "audio: containers and wrong types")


@FAST
@given(files(), st.booleans())
def test_fuzz_audio_files(tmp_path_factory, case, on_disk):
    kind, raw = case
    audio = raw
    if on_disk:
        path = tmp_path_factory.mktemp("fz") / "a.wav"
        path.write_bytes(raw)
        audio = path
    outcome = _check(audio, None, f"audio: {kind} files")
    if kind == "truncated" and len(raw) > 44:
        assert outcome == "error"  # a WAV cut short is never silently shorter audio


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    from transformers import pipeline

    import modeling_spirit  # noqa: F401  (registers the task)
    from recipes.tiny.models import build_tiny_spirit_lm

    return pipeline("spirit-lm", model=build_tiny_spirit_lm(str(tmp_path_factory.mktemp("fa") / "tiny"), variant="base"))


def _check_pipeline(pipe, audio):
    family = "audio: pipeline speech items"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out, prompt = pipe([("speech", audio)], output_modality="text", max_new_tokens=1, do_sample=False,
                               return_prompt=True)
    except Exception as e:  # noqa: BLE001
        assert isinstance(e, AudioInputError), f"{family}: {type(e).__name__}: {e!r}"
        check_error(e, family)
        return
    assert prompt.startswith("[Speech]") and prompt.endswith("[Text]") and out[0]["type"] == "text"
    record(family, "documented" if prompt == "[Speech][Text]" else "right")


@PIPE_FAST
@given(st.one_of(arrays(), CONTAINERS))
def test_fuzz_pipeline_speech_items(pipe, audio):
    _check_pipeline(pipe, audio)


@pytest.mark.fuzz_long
@LONG
@given(arrays(), RATES)
def test_fuzz_audio_arrays_long(audio, rate):
    _check_array(audio, rate)


@pytest.mark.fuzz_long
@LONG
@given(st.one_of(CONTAINERS, files().map(lambda c: c[1])))
def test_fuzz_audio_containers_and_files_long(audio):
    _check(audio, None, "audio: containers and files (long)")


@pytest.mark.fuzz_long
@PIPE_LONG
@given(st.one_of(arrays(), CONTAINERS))
def test_fuzz_pipeline_speech_items_long(pipe, audio):
    _check_pipeline(pipe, audio)
