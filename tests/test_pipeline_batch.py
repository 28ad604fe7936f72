# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Batches all the way through the pipeline (issue 21, item 3): one speech-tokenizer call and one vocoder call per
batch, results equal one-by-one; the fast switch (item 2)."""

import numpy as np
import pytest
import torch
from transformers import pipeline

import modeling_spirit  # noqa: F401  (registers the task)
from modeling_spirit.pipeline_spirit_lm import fast_dtype
from recipes.tiny.models import build_tiny_spirit_lm


def _same(a, b) -> bool:
    """Deep equality with numpy arrays compared bitwise."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


@pytest.fixture(scope="module", params=["base", "expressive"])
def pipe(request, tmp_path_factory):
    path = build_tiny_spirit_lm(str(tmp_path_factory.mktemp("pb") / request.param), variant=request.param)
    return pipeline("spirit-lm", model=path)


def _waves():
    rng = np.random.RandomState(0)
    return [(0.1 * rng.randn(n)).astype(np.float32) for n in (32000, 12000, 24000)]


class _Spy:
    def __init__(self, monkeypatch, obj, name):
        self.calls = []
        original = getattr(obj, name)

        def spy(*args, **kwargs):
            self.calls.append((args, kwargs))
            return original(*args, **kwargs)

        monkeypatch.setattr(obj, name, spy)


@pytest.mark.parametrize("modality", ["text", "speech", "arbitrary"])
def test_batch_encodes_and_vocodes_together_equal_one_by_one(pipe, modality, monkeypatch):
    w1, w2, w3 = _waves()
    inputs = [w1, [("text", "hi"), ("speech", w2)], "The cat sees", [("speech", w3), ("text", "and"), ("speech", w1)]]
    kw = dict(output_modality=modality, max_new_tokens=40, do_sample=False, speaker_id=1, return_prompt=True)
    single = [pipe(x, **kw) for x in inputs]
    encode = _Spy(monkeypatch, pipe.speech_tokenizer, "encode_string")
    decode_batch = _Spy(monkeypatch, pipe.vocoder, "decode_batch")
    decode = _Spy(monkeypatch, pipe.vocoder, "decode")
    batch = pipe(inputs, **kw)
    assert _same(batch, single)
    # the 4 speech items of the batch: one speech-tokenizer call with a list of 4 audios
    assert len(encode.calls) == 1 and len(encode.calls[0][0][0]) == 4
    n_speech = sum(seg["type"] == "speech" for segs, _ in batch for seg in segs)
    if n_speech:
        assert len(decode_batch.calls) == 1 and not decode.calls  # every segment of the batch in one vocoder call
        assert len(decode_batch.calls[0][0][0]) >= min(n_speech, 2)
    # batch_size splits the batch: one call of each per chunk, same results
    encode.calls.clear()
    assert _same(pipe(inputs, batch_size=2, **kw), single)
    assert len(encode.calls) == 2


def test_batch_default_speaker_and_mixed_return_shapes(pipe):
    w1, w2, _ = _waves()
    inputs = ["The cat", w1, [("speech", w2), ("text", "then")]]
    kw = dict(output_modality="speech", max_new_tokens=30, do_sample=False)
    assert _same(pipe(inputs, **kw), [pipe(x, **kw) for x in inputs])


def test_one_audio_batch_keeps_the_per_item_call(pipe, monkeypatch):
    """With fewer than two audios in a batch nothing changes: the speech item is encoded as the prompt is built."""
    w1, _, _ = _waves()
    encode = _Spy(monkeypatch, pipe.speech_tokenizer, "encode_string")
    pipe([w1, "hello"], output_modality="text", max_new_tokens=4, do_sample=False)
    assert len(encode.calls) == 1 and not isinstance(encode.calls[0][0][0], list)  # one audio, not a list


def test_fast_switch_reaches_every_stage(pipe, monkeypatch):
    w1, w2, _ = _waves()
    inputs = [w1, [("speech", w2), ("text", "then")]]
    kw = dict(output_modality="speech", max_new_tokens=30, do_sample=False)
    exact = pipe(inputs, **kw)
    encode = _Spy(monkeypatch, pipe.speech_tokenizer, "encode_string")
    decode_batch = _Spy(monkeypatch, pipe.vocoder, "decode_batch")
    lms = []
    original = pipe._fast_lm
    monkeypatch.setattr(pipe, "_fast_lm", lambda fast: lms.append(original(fast)) or lms[-1])
    fast = pipe(inputs, fast=True, **kw)
    want = fast_dtype("cpu")
    assert encode.calls[0][1].get("fast") is True
    assert len(lms) == 1 and lms[0].dtype == (want or torch.float32)  # a float32 LM generates from its fast copy
    assert (lms[0] is pipe.model) == (want is None) and pipe.model.dtype == torch.float32  # the model is untouched
    assert pipe._fast_lm(True) is lms[0]  # cached
    assert decode_batch.calls[0][1].get("dtype") == want
    assert [[s["type"] for s in segs] for segs in fast] == [[s["type"] for s in segs] for segs in exact]
    # the default stays the exact path
    assert _same(pipe(inputs, **kw), exact) and _same(pipe(inputs, fast=False, **kw), exact)
    with pytest.raises(ValueError, match="fast"):
        pipe("hi", fast="yes", max_new_tokens=2)


def test_fast_dtype():
    assert fast_dtype("meta") is None
    assert fast_dtype("cpu") in (None, torch.bfloat16)


@pytest.mark.parametrize("modality", ["text", "speech", "arbitrary"])
def test_stream_batch_yields_index_event_pairs_equal_to_per_input_streams(pipe, modality, monkeypatch):
    w1, w2, _ = _waves()
    inputs = ["The cat sees", w1, [("text", "hi"), ("speech", w2)]]
    kw = dict(output_modality=modality, max_new_tokens=40, do_sample=False, chunk_units=5)
    single = [list(pipe(x, stream=True, **kw)) for x in inputs]
    encode = _Spy(monkeypatch, pipe.speech_tokenizer, "encode_string")
    generate = _Spy(monkeypatch, pipe.model, "generate")
    it = pipe.stream_batch(inputs, **kw)
    assert len(it.prompt) == 3 and len(encode.calls) == 1  # both audios in one speech-tokenizer call
    pairs = list(it)
    assert len(generate.calls) == 1
    assert all(isinstance(i, int) and 0 <= i < 3 for i, _ in pairs)
    per_input = [[ev for i, ev in pairs if i == k] for k in range(3)]
    assert _same(per_input, single)
    # the plain streaming call still takes one input (and points to stream_batch)
    with pytest.raises(ValueError, match="stream_batch"):
        pipe(inputs, stream=True, **kw)


def test_stream_fast_uses_the_fast_vocoder(pipe, monkeypatch):
    decoders = _Spy(monkeypatch, pipe.vocoder, "stream_decoder")
    lms = []
    original = pipe._fast_lm
    monkeypatch.setattr(pipe, "_fast_lm", lambda fast: lms.append(fast) or original(fast))
    # the original's speech rule: speech units until max_new_tokens, so a speech segment (and its decoder) opens
    kw = dict(output_modality="speech", max_new_tokens=20, do_sample=False, original_banned_tokens=True)
    events = list(pipe("The cat", stream=True, fast=True, **kw))
    assert all(e["type"] == "speech" for e in events)
    assert lms == [True] and decoders.calls[0][1].get("dtype") == fast_dtype("cpu")
    decoders.calls.clear()
    list(pipe("The cat", stream=True, **kw))
    assert "dtype" not in decoders.calls[0][1]
