# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""SpiritLMProcessor / SpiritLMFeatureExtractor: prompts as the original builds them, left-padded batches, decoding."""

import numpy as np
import pytest
import torch
from transformers import AutoProcessor

import modeling_spirit  # noqa: F401
from modeling_spirit import SpiritLMForCausalLM, SpiritLMProcessor, SpiritLMSpeechTokenizer
from modeling_spirit.feature_extraction_spirit_lm import SpiritLMFeatureExtractor
from recipes.tiny.models import build_tiny_spirit_lm


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return build_tiny_spirit_lm(str(tmp_path_factory.mktemp("p") / "tiny"), "base")


def test_feature_extractor_pads_and_resamples():
    fe = SpiritLMFeatureExtractor()
    out = fe([np.ones(100, dtype=np.float32), {"array": np.ones(80), "sampling_rate": 8000}], return_tensors="pt")
    assert out["input_values"].shape == (2, 160) and out["attention_mask"].sum(1).tolist() == [100, 160]
    assert torch.all(out["input_values"][0, 100:] == 0)
    with pytest.raises(ValueError, match="NaN/inf"):
        fe(np.full(10, np.nan))
    with pytest.raises(ValueError, match="No audio"):
        fe([])


def test_auto_processor_and_prompts(folder):
    proc = AutoProcessor.from_pretrained(folder)
    assert isinstance(proc, SpiritLMProcessor) and isinstance(proc.feature_extractor, SpiritLMFeatureExtractor)
    st = SpiritLMSpeechTokenizer.from_pretrained(folder)
    rng = np.random.RandomState(0)
    a, b = (0.1 * rng.randn(16000)).astype(np.float32), (0.1 * rng.randn(24000)).astype(np.float32)
    batch = proc([[("speech", a), ("text", "hi")], "The cat", b], output_modality="text", speech_tokenizer=st)
    ua, ub = st.encode_string(a), st.encode_string(b)
    assert batch["prompts"] == [f"[Speech]{ua}[Text]hi", "[Text]The cat", f"[Speech]{ub}[Text]"]
    ids, mask = batch["input_ids"], batch["attention_mask"]
    for row, p in enumerate(batch["prompts"]):
        expected = proc.tokenizer(p)["input_ids"]
        n = int(mask[row].sum())
        assert ids[row, -n:].tolist() == expected and mask[row, : ids.shape[1] - n].sum() == 0  # left padding
    with pytest.raises(ValueError, match="speech tokenizer"):
        proc([("speech", a)])
    assert proc(prompt="[Text]x")["prompts"] == ["[Text]x"]


def test_decode_generated(folder):
    proc = SpiritLMProcessor.from_pretrained(folder)
    model = SpiritLMForCausalLM.from_pretrained(folder).eval()
    c = model.config
    batch = proc(["The cat", "Please"], output_modality="arbitrary")
    hu = lambda u: c.unit_to_id("hubert", u)  # noqa: E731
    sat = proc.tokenizer(" sat", add_special_tokens=False)["input_ids"][1:]  # without the dummy-prefix piece
    new = [[c.speech_marker_id, hu(3), hu(4), c.text_marker_id] + sat, [hu(7), 2, 2, 2, 2]]
    out = proc.decode_generated(new, batch["input_ids"], "arbitrary", config=c)
    assert out[0][0] == {"type": "speech", "units": "[Hu3][Hu4]", "context_units": ""}
    assert out[0][1] == {"type": "text", "text": " sat"}  # not first in the continuation: leading space kept
    assert out[1] == [{"type": "speech", "units": "[Hu7]", "context_units": ""}]
    gen = model.generate(**{k: batch[k] for k in ("input_ids", "attention_mask")}, output_modality="text",
                         max_new_tokens=5, do_sample=False, pad_token_id=2)
    texts = proc.decode_generated(gen[:, batch["input_ids"].shape[1]:], batch["input_ids"], "text", config=c)
    assert all(len(t) == 1 and t[0]["type"] == "text" for t in texts)
