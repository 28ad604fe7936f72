# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""pipeline("spirit-lm"): shapes of inputs and outputs, batching, options, errors."""

import numpy as np
import pytest
from transformers import pipeline

import modeling_spirit  # noqa: F401  (registers the task)
from modeling_spirit.processing_spirit_lm import build_prompt, is_batch, normalize_input
from modeling_spirit.tiny import build_tiny_spirit_lm


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    path = build_tiny_spirit_lm(str(tmp_path_factory.mktemp("p") / "tiny"), variant="base")
    return pipeline("spirit-lm", model=path)


def test_text_to_text(pipe):
    out = pipe("The cat sees", output_modality="text", max_new_tokens=8, do_sample=False)
    assert isinstance(out, list) and len(out) == 1 and out[0]["type"] == "text" and isinstance(out[0]["text"], str)
    assert out == pipe([("text", "The cat sees")], output_modality="TEXT", max_new_tokens=8, do_sample=False)


def test_return_prompt_and_raw_prompt(pipe):
    segs, prompt = pipe("hello", output_modality="text", max_new_tokens=4, return_prompt=True)
    assert prompt == "[Text]hello"
    segs2, prompt2 = pipe(None, prompt="[Text]hello", max_new_tokens=4, return_prompt=True, output_modality="text")
    assert prompt2 == "[Text]hello" and segs2 == segs


def test_batch_equals_one_by_one(pipe):
    inputs = ["The cat sees", "Please open the window, then", [("text", "There are"), ("text", " 7 birds")]]
    batch = pipe(inputs, output_modality="text", max_new_tokens=10, do_sample=False)
    single = [pipe(x, output_modality="text", max_new_tokens=10, do_sample=False) for x in inputs]
    assert batch == single
    assert pipe(inputs, output_modality="text", max_new_tokens=10, do_sample=False, batch_size=2) == single


def test_seed_reproducible(pipe):
    a = pipe("The", output_modality="text", max_new_tokens=10, do_sample=True, seed=3)
    b = pipe("The", output_modality="text", max_new_tokens=10, do_sample=True, seed=3)
    assert a == b


def test_prompt_building_rules():
    enc = lambda audio: "[Hu1][Hu2]"  # noqa: E731
    a = np.zeros(16000, dtype=np.float32)
    assert build_prompt(normalize_input("hi"), "text") == "[Text]hi"
    assert build_prompt(normalize_input("hi"), "speech") == "[Text]hi[Speech]"
    assert build_prompt(normalize_input("hi"), "arbitrary") == "[Text]hi"
    assert build_prompt(normalize_input(a), "text", enc) == "[Speech][Hu1][Hu2][Text]"
    assert build_prompt(normalize_input(a), "speech", enc) == "[Speech][Hu1][Hu2]"
    items = [("text", "a "), ("TEXT", "b"), ("speech", a), ("speech", a), ("text", " c")]
    assert build_prompt(normalize_input(items), "speech", enc) == "[Text]a b[Speech][Hu1][Hu2][Hu1][Hu2][Text] c[Speech]"
    assert is_batch(["a", "b"]) and not is_batch([("text", "a")]) and is_batch([[("text", "a")]])


def test_bad_inputs(pipe):
    with pytest.raises(ValueError, match="'text', 'speech' or 'arbitrary'"):
        pipe("hi", output_modality="video")
    with pytest.raises(ValueError, match="empty"):
        pipe([])
    with pytest.raises(ValueError, match="allowed types"):
        pipe([("image", "x.png")])
    with pytest.raises(ValueError, match="needs the speech tokenizer"):
        pipe(np.zeros(16000, dtype=np.float32), output_modality="text")
    with pytest.raises(ValueError, match="needs the vocoder"):
        pipe("hi", output_modality="speech", max_new_tokens=4)
    with pytest.raises(ValueError, match="context is 2048 tokens"):
        pipe("word " * 3000, output_modality="text")
    with pytest.raises(TypeError, match="Unsupported input"):
        pipe(12345)
