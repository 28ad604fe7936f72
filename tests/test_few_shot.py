# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Few-shot ASR / TTS / intent prompts (paper appendix B) and the pipeline option."""

import numpy as np
import pytest
from transformers import pipeline

import modeling_spirit  # noqa: F401
from modeling_spirit.few_shot import few_shot_prompt
from recipes.tiny.models import build_tiny_spirit_lm

ENC = {"a": "[Hu1][Hu2]", "b": "[Hu3]", "q": "[Hu9][Hu8]"}


def test_exact_formats():
    enc = ENC.__getitem__
    assert few_shot_prompt("asr", [("a", "one"), ("b", "two")], "q", enc) == \
        "[Speech][Hu1][Hu2][Text]one[Speech][Hu3][Text]two[Speech][Hu9][Hu8][Text]"
    assert few_shot_prompt("TTS", [("one", "a")], "three", enc) == "[Text]one[Speech][Hu1][Hu2][Text]three[Speech]"
    assert few_shot_prompt("intent", [("a", "lights_on")], "q", enc) == \
        "[Speech][Hu1][Hu2][Text]A:lights_on[Speech][Hu9][Hu8][Text]A:"
    # unit strings may be given directly
    assert few_shot_prompt("asr", [("[Hu5]", "x")], "[Hu6]") == "[Speech][Hu5][Text]x[Speech][Hu6][Text]"


@pytest.mark.parametrize("bad,match", [(("dub", [("a", "b")]), "Unknown few-shot task"), (("asr", []), "at least one"),
                                       (("asr", [("a",)]), "must be a pair")])
def test_bad(bad, match):
    with pytest.raises(ValueError, match=match):
        few_shot_prompt(bad[0], bad[1], "q", ENC.__getitem__)


def test_pipeline_few_shot(tmp_path):
    pipe = pipeline("spirit-lm", model=build_tiny_spirit_lm(str(tmp_path / "t"), "base"))
    rng = np.random.RandomState(0)
    wavs = [(0.1 * rng.randn(8000)).astype(np.float32) for _ in range(3)]
    asr, prompt = pipe(wavs[2], few_shot="asr", examples=[(wavs[0], "one"), (wavs[1], "two")], max_new_tokens=8,
                       do_sample=False, return_prompt=True)
    assert prompt == few_shot_prompt("asr", [(wavs[0], "one"), (wavs[1], "two")], wavs[2],
                                     pipe.speech_tokenizer.encode_string)
    assert len(asr) == 1 and asr[0]["type"] == "text" and "[" not in asr[0]["text"]
    # generation stops at the next example's marker
    gen = pipe.model.generate(**pipe.tokenizer(prompt, return_tensors="pt"), max_new_tokens=8, do_sample=False,
                              eos_token_id=[2, pipe.model.config.speech_marker_id], pad_token_id=2)
    new = gen[0, len(pipe.tokenizer(prompt)["input_ids"]):].tolist()
    assert pipe.model.config.speech_marker_id not in new[:-1]
    tts = pipe("three", few_shot="tts", examples=[("one", "[Hu5][Hu7]")], max_new_tokens=10, min_new_tokens=3,
               suppress_tokens=list(range(pipe.model.config.text_vocab_size)), do_sample=False)
    assert tts[0]["type"] == "speech" and tts[0]["units"].count("[Hu") >= 1 and tts[0]["audio"].size > 0
    intent = pipe(wavs[2], few_shot="intent", examples=[(wavs[0], "lights_on")], max_new_tokens=4)
    assert intent[0]["type"] == "text"
    with pytest.raises(ValueError, match="only used with"):
        pipe("x", examples=[("a", "b")])


def test_stop_ids_come_from_the_config_marker_ids():
    from modeling_spirit import SpiritLMConfig
    from modeling_spirit.few_shot import few_shot_stop_ids

    # A layout whose markers are not at the default ids: the stop ids follow the config, not marker strings.
    c = SpiritLMConfig(text_vocab_size=100, text_marker_id=150, speech_marker_id=120, hubert_offset=200,
                       eos_token_id=[2, 7], hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                       intermediate_size=64)
    assert few_shot_stop_ids("asr", c) == [2, 7, 120] and few_shot_stop_ids("intent", c) == [2, 7, 120]
    assert few_shot_stop_ids("TTS", c) == [2, 7, 150]
    with pytest.raises(ValueError, match="allowed"):
        few_shot_stop_ids("translate", c)
