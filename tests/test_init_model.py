# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""processing.init_model: a Spirit LM from a tiny random Llama + a tiny trained SentencePiece tokenizer (offline)."""

import json
import shutil
from pathlib import Path

import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from modeling_spirit.configuration_spirit_lm import SpiritLMConfig
from modeling_spirit.modeling_spirit_lm import SpiritLMForCausalLM
from recipes.tiny.models import build_tiny_speech_tokenizer, build_tiny_vocoder, tiny_corpus
from modeling_spirit.tokenization_spirit_lm import SpiritLMTokenizer, add_layout_pieces, train_text_sentencepiece
from processing import init_model as im

N_PIECES = 400


def _text_model(folder: Path, vocab_rows=N_PIECES, tied=False, sp_bytes=None, seed=0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if sp_bytes is None:
        sp_bytes = Path(train_text_sentencepiece(tiny_corpus(), N_PIECES, str(folder / "sp"))).read_bytes()
        for f in folder.glob("sp.*"):
            f.unlink()
    (folder / "tokenizer.model").write_bytes(sp_bytes)
    config = LlamaConfig(vocab_size=vocab_rows, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256,
                         tie_word_embeddings=tied, bos_token_id=1, eos_token_id=2)
    torch.manual_seed(seed)
    LlamaForCausalLM(config).save_pretrained(folder)
    (folder / "tokenizer_config.json").write_text(json.dumps({"tokenizer_class": "LlamaTokenizer", "legacy": True}))
    return folder


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    return _text_model(tmp_path_factory.mktemp("llama") / "tiny-llama")


@pytest.fixture(scope="module")
def components(tmp_path_factory):
    out = {}
    for variant in ("base", "expressive"):
        d = tmp_path_factory.mktemp(f"components-{variant}")
        build_tiny_speech_tokenizer(str(d / "speech_tokenizer"), variant)
        build_tiny_vocoder(str(d / "vocoder"), variant)
        out[variant] = d
    return out


def test_base_layout_rows_and_tokenizer(text_model, tmp_path):
    out = im.init_spirit_lm(str(text_model), "base", str(tmp_path / "spirit"), seed=1)
    model = SpiritLMForCausalLM.from_pretrained(out).eval()
    cfg = model.config
    assert isinstance(cfg, SpiritLMConfig) and cfg.variant == "base"
    assert (cfg.text_vocab_size, cfg.text_marker_id, cfg.speech_marker_id, cfg.hubert_offset) == (400, 400, 401, 402)
    assert cfg.vocab_size == 960 and cfg.rope_parameters["rope_theta"] == 100000.0
    text = LlamaForCausalLM.from_pretrained(text_model)
    old = text.get_input_embeddings().weight
    new = model.get_input_embeddings().weight
    assert torch.equal(new[:400], old)
    mean, std = old.mean(0), old.std(0)
    units = new[cfg.hubert_offset:cfg.hubert_offset + 501]
    assert ((units - mean) / std).abs().max() < 1.0  # mean + 0.1 * std noise
    assert units.std(0).mean() > 0.05 * std.mean()  # but not all equal
    assert torch.equal(new[cfg.padding_ids[0]], mean)
    assert torch.equal(model.lm_head.weight[:400], text.lm_head.weight)
    tok = SpiritLMTokenizer.from_pretrained(out)
    ids = tok("[Text]the cat[Speech][Hu5][Hu500]")["input_ids"]
    assert cfg.text_marker_id in ids and ids[-2:] == cfg.units_to_ids("hubert", [5, 500])
    record = json.loads((Path(out) / im.INIT_FILE).read_text())
    assert record["text_vocab_size"] == 400 and record["speech_tokenizer"] is None
    gen = model.generate(**tok("[Speech][Hu5]", return_tensors="pt"), output_modality="speech", max_new_tokens=5,
                         do_sample=False)
    assert all(cfg.is_speech_id(i) or i == tok.eos_token_id for i in gen[0, -5:].tolist())


def test_text_logits_unchanged_without_rope_change(text_model, tmp_path):
    out = im.init_spirit_lm(str(text_model), "expressive", str(tmp_path / "s"), rope_theta=None, init="normal")
    model = SpiritLMForCausalLM.from_pretrained(out).eval()
    assert model.config.vocab_size == 1280 and model.config.style_offset == 400 + 2 + 501 + 64
    text = LlamaForCausalLM.from_pretrained(text_model).eval()
    ids = torch.tensor([[1, 50, 60, 70, 80]])
    with torch.no_grad():
        torch.testing.assert_close(model(ids).logits[..., :400], text(ids).logits)


def test_speech_components_are_copied_and_checked(text_model, components, tmp_path):
    from processing.encode_units import load_speech_tokenizer, speech_tokenizer_fingerprint

    out = im.init_spirit_lm(str(text_model), "expressive", str(tmp_path / "e"), speech_components=str(components["expressive"]))
    assert (Path(out) / "speech_tokenizer" / "config.json").is_file() and (Path(out) / "vocoder" / "config.json").is_file()
    fp = json.loads((Path(out) / im.INIT_FILE).read_text())["speech_tokenizer"]["fingerprint"]
    assert fp == speech_tokenizer_fingerprint(load_speech_tokenizer(out))["fingerprint"]
    with pytest.raises(im.InitError, match="speech tokenizer .* is 'base' but the Spirit LM is 'expressive'"):
        im.init_spirit_lm(str(text_model), "expressive", str(tmp_path / "x"), speech_components=str(components["base"]))
    with pytest.raises(im.InitError, match="must hold speech_tokenizer/ and vocoder/"):
        im.init_spirit_lm(str(text_model), "base", str(tmp_path / "y"), speech_components=str(tmp_path))


def test_more_rows_than_pieces_and_tied(text_model, tmp_path):
    sp = (text_model / "tokenizer.model").read_bytes()
    src = _text_model(tmp_path / "padded", vocab_rows=416, tied=True, sp_bytes=sp)
    out = im.init_spirit_lm(str(src), "base", str(tmp_path / "s"))
    model = SpiritLMForCausalLM.from_pretrained(out)
    assert model.config.text_vocab_size == 416 and model.config.text_marker_id == 416
    assert model.lm_head.weight.data_ptr() == model.get_input_embeddings().weight.data_ptr()
    tok = SpiritLMTokenizer.from_pretrained(out)
    assert tok.convert_tokens_to_ids("[Hu0]") == model.config.hubert_offset and tok.vocab_size == 416 + 2 + 501


def test_refusals(text_model, tmp_path):
    sp = (text_model / "tokenizer.model").read_bytes()
    with_hu = _text_model(tmp_path / "has-hu", vocab_rows=401, sp_bytes=add_layout_pieces(sp, [(400, "[Hu0]")]))
    with pytest.raises(im.InitError, match=r"already has the Spirit LM token '\[Hu0\]' \(id 400 of tokenizer.model\)"):
        im.init_spirit_lm(str(with_hu), "base", str(tmp_path / "a"))
    added = tmp_path / "added"
    shutil.copytree(text_model, added)
    (added / "tokenizer_config.json").write_text(json.dumps(
        {"added_tokens_decoder": {"400": {"content": "[Text]", "special": True}}}))
    with pytest.raises(im.InitError, match=r"'\[Text\]' \(its added tokens\)"):
        im.init_spirit_lm(str(added), "base", str(tmp_path / "b"))
    no_sp = tmp_path / "no-sp"
    shutil.copytree(text_model, no_sp)
    (no_sp / "tokenizer.model").unlink()
    (no_sp / "tokenizer.json").write_text("{}")
    # no tokenizer.model: the fast tokenizer is used (tests/test_init_any_model.py); an unreadable one is refused
    with pytest.raises(im.InitError, match="Cannot load the tokenizer of .*no-sp with AutoTokenizer"):
        im.init_spirit_lm(str(no_sp), "base", str(tmp_path / "c"))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(im.InitError, match="exists and is not empty"):
        im.init_spirit_lm(str(text_model), "base", str(tmp_path / "full"))


def test_cli(text_model, tmp_path, capsys):
    assert im.main(["--text-model", str(text_model), "--variant", "base", "--output-dir", str(tmp_path / "o")]) == 0
    assert "initialised" in capsys.readouterr().out
    assert im.main(["--text-model", str(text_model), "--variant", "base", "--output-dir", str(tmp_path / "o")]) == 2
    assert "not empty" in capsys.readouterr().err
