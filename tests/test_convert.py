# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Converter, language-model part: stand-in original checkpoints → Hub folder (safetensors, config, tokenizer)."""

import json
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


# ---------------------------------------------------------------------------------------------------------------
# Issue 20 #3 and #9: atomic conversion, unreadable files named, NaN/inf weights refused
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def both_checkpoints(tmp_path_factory):
    """One original `checkpoints/` tree holding both variants (LMs, speech tokenizers, vocoders)."""
    from standin_hifigan import build_hifigan_standin
    from standin_speech_tokenizer import build_speech_tokenizer_standins

    ckpt = tmp_path_factory.mktemp("both") / "checkpoints"
    for variant in ("base", "expressive"):
        build_lm_standin(ckpt, variant)
        build_hifigan_standin(ckpt, variant)
    build_speech_tokenizer_standins(ckpt, "expressive")  # a superset of the base files
    return ckpt


@pytest.fixture
def ckpt(both_checkpoints, tmp_path):
    import shutil

    copy = tmp_path / "checkpoints"
    shutil.copytree(both_checkpoints, copy)
    return copy


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _leftovers(parent: Path) -> list:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _edit_torch(path: Path, edit) -> None:
    obj = torch.load(path, weights_only=True)
    edit(obj)
    torch.save(obj, path)


LM = "spiritlm_model/spirit-lm-{v}-7b"
ST = "speech_tokenizer"
VOC = {"base": "speech_tokenizer/hifigan_spiritlm_base", "expressive": "speech_tokenizer/hifigan_spiritlm_expressive_w2v2"}

# (name, damage(ckpt, variant), error type, message pattern)
DAMAGES = [
    ("truncated_speech_tokenizer", lambda c, v: _truncate(c / ST / "hubert_25hz" / "mhubert_base_25hz.pt"),
     ConversionError, r"mhubert_base_25hz\.pt.*damaged or truncated"),
    ("extra_key", lambda c, v: _edit_torch(c / ST / "hubert_25hz" / "mhubert_base_25hz.pt",
                                           lambda o: o["model_weight"].update({"encoder.extra.weight": torch.zeros(1)})),
     ConversionError, r"encoder\.extra\.weight"),
    ("missing_key", lambda c, v: _edit_torch(c / ST / "hubert_25hz" / "L11_quantizer_500.pt",
                                             lambda o: o["model_weight"].pop("2.bias")),
     ConversionError, r"L11_quantizer_500\.pt.*missing \['2\.bias'\]"),
    ("bad_yaml", lambda c, v: (c / ST / "vqvae_f0_quantizer" / "config.yaml").write_text("encoder_params: [oops\n"),
     ConversionError, r"config\.yaml.*not valid YAML"),
    ("yaml_missing_field", lambda c, v: (c / ST / "vqvae_f0_quantizer" / "config.yaml").write_text(
        "encoder_params: {input_emb_width: 2}\nvq_params: {l_bins: 64}\n"), ConversionError, r"config\.yaml.*F0 VQ-VAE"),
    ("missing_file", lambda c, v: (c / VOC[v] / "generator.pt").unlink(), FileNotFoundError, r"generator\.pt"),
    ("truncated_generator", lambda c, v: _truncate(c / VOC[v] / "generator.pt"),
     ConversionError, r"generator\.pt.*damaged or truncated"),
    ("truncated_lm_bin", lambda c, v: _truncate(c / LM.format(v=v) / "pytorch_model.bin"),
     ConversionError, r"pytorch_model\.bin.*damaged or truncated"),
    ("bad_lm_config", lambda c, v: (c / LM.format(v=v) / "config.json").write_text("{not json"),
     ConversionError, r"config\.json.*not valid JSON"),
    ("bad_vocoder_config", lambda c, v: (c / VOC[v] / "config.json").write_text("[1, 2]"),
     ConversionError, r"hifigan_spiritlm_\w+/config\.json.*holds a JSON list"),
    ("garbage_tokenizer_model", lambda c, v: (c / LM.format(v=v) / "tokenizer.model").write_bytes(b"\xff" * 300),
     ConversionError, r"tokenizer\.model.*not a SentencePiece model"),
    ("nan_lm_weight", lambda c, v: _edit_torch(c / LM.format(v=v) / "pytorch_model.bin",
                                               lambda o: o["model.layers.0.mlp.up_proj.weight"].__setitem__((0, 0), float("nan"))),
     ConversionError, r"NaN or infinite.*model\.layers\.0\.mlp\.up_proj\.weight.*allow_nonfinite"),
    ("inf_vocoder_weight", lambda c, v: _edit_torch(c / VOC[v] / "generator.pt",
                                                    lambda o: o["generator"]["conv_post.bias"].fill_(float("inf"))),
     ConversionError, r"generator\.pt.*NaN or infinite.*conv_post\.bias"),
]


@pytest.mark.parametrize("name,damage,error,pattern", DAMAGES, ids=[d[0] for d in DAMAGES])
def test_failed_conversion_leaves_no_folder(ckpt, tmp_path, name, damage, error, pattern):
    """Any bad input fails with an error naming the file, and nothing is left at the target (no half-written folder
    that would load as a model with speech_tokenizer=None)."""
    from modeling_spirit.convert import convert_all

    damage(ckpt, "expressive")
    out = tmp_path / "out"
    with pytest.raises(error, match=pattern):
        convert_all(ckpt, "expressive", out)
    assert not out.exists() and _leftovers(tmp_path) == []


def test_failed_conversion_keeps_the_previous_folder(ckpt, tmp_path):
    """A base conversion failing (in its last part) over an earlier expressive output leaves that folder intact;
    a successful one replaces it as a whole (no expressive vocoder beside a base LM)."""
    from modeling_spirit.convert import convert_all
    from modeling_spirit.hub_folder import check_spirit_folder

    out = tmp_path / "out"
    convert_all(ckpt, "expressive", out)
    before = _snapshot(out)
    _truncate(ckpt / VOC["base"] / "generator.pt")
    with pytest.raises(ConversionError, match="generator.pt"):
        convert_all(ckpt, "base", out)
    assert _snapshot(out) == before and _leftovers(tmp_path) == []
    check_spirit_folder(out)

    import modeling_spirit.convert as conv

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    orig = conv.convert_hifigan
    conv.convert_hifigan = interrupted
    try:
        with pytest.raises(KeyboardInterrupt):
            convert_all(ckpt, "base", out)
    finally:
        conv.convert_hifigan = orig
    assert _snapshot(out) == before and _leftovers(tmp_path) == []

    from standin_hifigan import build_hifigan_standin

    build_hifigan_standin(ckpt, "base")
    convert_all(ckpt, "base", out)
    check_spirit_folder(out)
    vocoder = json.loads((out / "vocoder" / "config.json").read_text())
    assert not vocoder.get("num_f0_tokens") and json.loads((out / "speech_tokenizer" / "config.json").read_text())["variant"] == "base"
    assert _leftovers(tmp_path) == [] and oct((out).stat().st_mode & 0o777) != oct(0o700)
    assert not any(".converting-" in p.read_text() for p in out.rglob("*.json"))


def test_refuses_to_replace_a_folder_that_is_not_spirit_lm(ckpt, tmp_path):
    from modeling_spirit.convert import convert_all

    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(ConversionError, match="exists and is not a Spirit LM folder"):
        convert_all(ckpt, "base", out)
    assert _snapshot(out) == {"notes.txt": b"keep me"} and _leftovers(tmp_path) == []


def test_nonfinite_weights_convert_with_a_warning_when_allowed(ckpt, tmp_path, caplog):
    from modeling_spirit.convert import convert_all

    _edit_torch(ckpt / LM.format(v="base") / "pytorch_model.bin",
                lambda o: o["model.norm.weight"].__setitem__(0, float("inf")))
    with caplog.at_level("WARNING"):
        out = convert_all(ckpt, "base", tmp_path / "out", allow_nonfinite=True)
    assert "NaN or infinite values (model.norm.weight)" in caplog.text and (out / "model.safetensors").is_file()


def test_cli_reports_the_file_without_a_traceback(ckpt, tmp_path, capsys):
    from modeling_spirit.convert import main

    _truncate(ckpt / LM.format(v="base") / "pytorch_model.bin")
    with pytest.raises(SystemExit) as exit_info:
        main(["--checkpoints-dir", str(ckpt), "--variant", "base", "--output-dir", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 1 and "pytorch_model.bin" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
