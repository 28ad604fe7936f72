# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Converter, language-model part: stand-in original checkpoints → Hub folder (safetensors, config, tokenizer)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from modeling_spirit import SpiritLMForCausalLM, SpiritLMTokenizer, SpiritLMTokenizerFast
from modeling_spirit.convert import ConversionError, convert_language_model
from standin_lm import build_lm_standin

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("variant", ["base", "expressive"])
def test_convert_all_parts(tmp_path, variant):
    """One command converts the LM, the speech tokenizer and the vocoder into one folder."""
    from standin_hifigan import build_hifigan_standin
    from standin_speech_tokenizer import build_speech_tokenizer_standins

    ckpt = tmp_path / "checkpoints"
    lm_dir = build_lm_standin(ckpt, variant)
    build_speech_tokenizer_standins(ckpt, variant)
    build_hifigan_standin(ckpt, variant)
    out = tmp_path / "out"
    res = subprocess.run(
        [sys.executable, "-m", "modeling_spirit.convert", "--checkpoints-dir", str(ckpt), "--variant", variant,
         "--output-dir", str(out)],
        cwd=str(ROOT), capture_output=True, text=True, timeout=600, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert res.returncode == 0, res.stderr[-3000:]
    files = {p.name for p in out.iterdir()}
    assert {"config.json", "model.safetensors", "generation_config.json", "tokenizer.model", "tokenizer.json",
            "tokenizer_config.json", "configuration_spirit_lm.py", "modeling_spirit_lm.py",
            "tokenization_spirit_lm.py"} <= files
    assert not any(f.endswith((".bin", ".pt", ".pkl")) for f in files)
    model = SpiritLMForCausalLM.from_pretrained(out)
    assert model.config.variant == variant and model.config.vocab_size == (32512 if variant == "base" else 32768)
    original = torch.load(lm_dir / "pytorch_model.bin", weights_only=True)
    for k, v in model.state_dict().items():
        assert torch.equal(v, original[k]), k
    slow, fast = SpiritLMTokenizer.from_pretrained(out), SpiritLMTokenizerFast.from_pretrained(out)
    p = "[Text]The cat[Speech][Hu99][Hu49]"
    assert slow(p)["input_ids"] == fast(p)["input_ids"] and 32002 + 99 in slow(p)["input_ids"]
    from modeling_spirit.modeling_spirit_hifigan import SpiritLMHifiGan
    from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer

    assert SpiritLMSpeechTokenizer.from_pretrained(out).config.variant == variant
    vocoder = SpiritLMHifiGan.from_pretrained(out)
    assert bool(vocoder.config.num_f0_tokens) == (variant == "expressive")
    every = [p for p in out.rglob("*") if p.is_file()]
    assert not any(p.suffix in (".bin", ".pt", ".pkl", ".pth") for p in every)


def test_convert_speech_tokens_declared_as_added_tokens(tmp_path):
    ckpt = tmp_path / "checkpoints"
    build_lm_standin(ckpt, "base", speech_tokens_as_added=True)
    out = convert_language_model(ckpt, "base", tmp_path / "out")
    tok = SpiritLMTokenizer.from_pretrained(out)
    assert tok.convert_ids_to_tokens(32001) == "[Speech]" and tok("[Speech][Hu3]")["input_ids"][-1] == 32005


def test_missing_key_is_an_error(tmp_path):
    ckpt = tmp_path / "checkpoints"
    build_lm_standin(ckpt, "base", drop_key="model.layers.1.mlp.up_proj.weight")
    with pytest.raises(ConversionError, match=r"Missing keys \(1\).*up_proj"):
        convert_language_model(ckpt, "base", tmp_path / "out")


def test_unexpected_key_is_an_error(tmp_path):
    ckpt = tmp_path / "checkpoints"
    build_lm_standin(ckpt, "base", extra_key="model.extra.weight")
    with pytest.raises(ConversionError, match=r"unexpected keys \(1\).*model.extra.weight"):
        convert_language_model(ckpt, "base", tmp_path / "out")


def test_wrong_variant_and_layout(tmp_path):
    ckpt = tmp_path / "checkpoints"
    build_lm_standin(ckpt, "base")
    with pytest.raises(ConversionError, match="No language model"):
        convert_language_model(ckpt, "expressive", tmp_path / "out")
    (ckpt / "spiritlm_model" / "spirit-lm-base-7b").rename(ckpt / "spiritlm_model" / "spirit-lm-expressive-7b")
    with pytest.raises(ConversionError, match="vocab_size=32512"):
        convert_language_model(ckpt, "expressive", tmp_path / "out")
