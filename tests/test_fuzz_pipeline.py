# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Property-based checks (hypothesis) of ``pipeline("spirit-lm")`` options and batches on the tiny model (issue 20).

* Batches: for greedy decoding, any batch of text / interleaved inputs with any ``batch_size`` equals the inputs run
  one by one, also with ``num_return_sequences`` (every sequence returned, grouped per input).
* Seeds: a seeded sampling call gives the same output twice, and the same output when several seeded calls run in
  threads at once.
* Options: any value of ``batch_size``, ``max_new_tokens``, ``num_return_sequences``, ``seed``, ``speaker_id`` and
  ``output_modality`` gives a right result (checked shape) or the package's own error
  (:class:`~modeling_spirit.output_spirit_lm.SpiritLMPipelineError`) naming the option and the value that came in.

Counts: ``SPIRIT_FUZZ_REPORT=/tmp/fuzz.json pytest tests/test_fuzz_pipeline.py`` writes the outcomes per family
(``tests/fuzz_outcomes.py``). The default run is a few seconds per test; ``-m slow`` runs many more examples.
"""

import threading
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from transformers import pipeline

import modeling_spirit  # noqa: F401  (registers the task)
from fuzz_outcomes import check_error, record
from modeling_spirit.output_spirit_lm import SpiritLMPipelineError
from recipes.tiny.models import build_tiny_spirit_lm

FAST = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    return pipeline("spirit-lm", model=build_tiny_spirit_lm(str(tmp_path_factory.mktemp("fp") / "tiny"), variant="base"))


WORDS = st.sampled_from(["The", "cat", "sees", " a", "bird", "7", "Please", "open", ",", "é", "[Text]", "[Hu3]"])
TEXT = st.lists(WORDS, min_size=1, max_size=6).map(" ".join)
INPUT = st.one_of(TEXT, st.lists(st.tuples(st.just("text"), TEXT), min_size=1, max_size=3))


def _same(a, b) -> bool:
    """Equality of pipeline outputs (segments hold numpy audio)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


def _greedy(pipe, inputs, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return pipe(inputs, do_sample=False, **kw)


def _check_batch(pipe, inputs, batch_size, max_new, modality, n):
    kw = dict(output_modality=modality, max_new_tokens=max_new)
    if n > 1:
        kw.update(num_return_sequences=n, num_beams=n)
    batch = _greedy(pipe, inputs, batch_size=batch_size, **kw)
    single = [_greedy(pipe, x, **kw) for x in inputs]
    assert len(batch) == len(inputs) and _same(batch, single)
    for result in batch:
        sequences = result if n > 1 else [result]
        assert len(sequences) == n and all(isinstance(seq, list) for seq in sequences)
        assert all(isinstance(seg, dict) and seg["type"] in ("text", "speech") for seq in sequences for seg in seq)
    record("pipeline: batch == one by one (greedy)", "right")


@FAST
@given(st.lists(INPUT, min_size=1, max_size=3), st.integers(1, 4), st.integers(1, 5),
       st.sampled_from(["text", "arbitrary"]), st.sampled_from([1, 1, 2]))
def test_fuzz_batch_equals_one_by_one(pipe, inputs, batch_size, max_new, modality, n):
    _check_batch(pipe, inputs, batch_size, max_new, modality, n)


def _check_seeds(pipe, seeds, max_new):
    kw = dict(output_modality="text", max_new_tokens=max_new, do_sample=True, temperature=1.5)
    alone = {s: pipe("The cat", seed=s, **kw) for s in set(seeds)}
    assert all(_same(pipe("The cat", seed=s, **kw), alone[s]) for s in set(seeds))
    got, errors = [None] * len(seeds), []
    barrier = threading.Barrier(len(seeds))

    def run(i):
        try:
            barrier.wait()
            got[i] = pipe("The cat", seed=seeds[i], **kw)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(seeds))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert _same(got, [alone[s] for s in seeds])
    record("pipeline: seeded calls reproducible (also across threads)", "right")


@FAST
@given(st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=4), st.integers(1, 12))
def test_fuzz_seeds_reproducible_across_threads(pipe, seeds, max_new):
    _check_seeds(pipe, seeds, max_new)


ODD = st.one_of(st.integers(-3, 3), st.sampled_from([0.5, 2.0, "2", True, False, [1], 10**6]))
OPTIONS = st.fixed_dictionaries({}, optional={
    "batch_size": st.one_of(st.none(), ODD),
    "max_new_tokens": st.one_of(st.integers(1, 4), ODD, st.just(5000)),
    "num_return_sequences": st.one_of(st.just(1), ODD),
    "seed": st.one_of(st.integers(0, 9), ODD, st.just(2**32), st.just(-1)),
    "speaker_id": st.one_of(st.integers(-1, 5), st.sampled_from(["nobody", 1.0, None])),
    "output_modality": st.sampled_from(["text", "speech", "arbitrary", "TEXT", "video", "", 3]),
})


def _check_options(pipe, inputs, options):
    family = "pipeline: options"
    kw = dict(options)
    kw.setdefault("max_new_tokens", 3)
    if isinstance(kw.get("num_return_sequences"), int) and not isinstance(kw["num_return_sequences"], bool):
        kw["num_beams"] = max(1, kw["num_return_sequences"])
    try:
        out = _greedy(pipe, inputs, **kw)
    except SpiritLMPipelineError as e:
        names = [k for k in options if f"`{k}`" in str(e) or k in str(e)] + (["context"] if "context" in str(e) else [])
        assert names, f"{family}: the error names no option that came in: {e}"
        check_error(e, family)
        return
    except (ValueError, TypeError) as e:
        # Only transformers' own checks of generate options may remain; they name the option too.
        assert any(k in str(e) for k in ("num_beams", "num_return_sequences", "max_new_tokens")), repr(e)
        record(family, "error", e)
        return
    # a right result: validated options only
    assert isinstance(kw.get("batch_size") or 1, int) and (kw.get("batch_size") or 1) >= 1
    results = out if isinstance(inputs, list) and not isinstance(inputs[0], tuple) else [out]
    n = kw.get("num_return_sequences", 1)
    for result in results:
        sequences = result if n > 1 else [result]
        assert len(sequences) == n
    record(family, "right")


@FAST
@given(st.one_of(TEXT, st.lists(TEXT, min_size=1, max_size=3)), OPTIONS)
def test_fuzz_options(pipe, inputs, options):
    _check_options(pipe, inputs, options)


@pytest.mark.fuzz_long
@LONG
@given(st.lists(INPUT, min_size=1, max_size=6), st.integers(1, 7), st.integers(1, 10),
       st.sampled_from(["text", "arbitrary", "speech"]), st.sampled_from([1, 2, 3]))
def test_fuzz_batch_equals_one_by_one_long(pipe, inputs, batch_size, max_new, modality, n):
    _check_batch(pipe, inputs, batch_size, max_new, modality, n)


@pytest.mark.fuzz_long
@LONG
@given(st.lists(st.integers(0, 2**32 - 1), min_size=2, max_size=6), st.integers(1, 24))
def test_fuzz_seeds_reproducible_across_threads_long(pipe, seeds, max_new):
    _check_seeds(pipe, seeds, max_new)


@pytest.mark.fuzz_long
@LONG
@given(st.one_of(TEXT, st.lists(TEXT, min_size=1, max_size=3)), OPTIONS)
def test_fuzz_options_long(pipe, inputs, options):
    _check_options(pipe, inputs, options)
