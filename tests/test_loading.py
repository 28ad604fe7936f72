# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Loading never gives silent random weights (issue 20, defects 2 and 9): a folder of another model type, weights
missing from the checkpoint, a damaged weight file or config are errors naming the folder and the keys or file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from modeling_spirit import SpiritLMForCausalLM, SpiritLMHifiGan, SpiritLMSpeechTokenizer
from modeling_spirit.components import SpiritLMLoadingError
from recipes.toy import TOY_MODEL

COMPONENTS = [
    (SpiritLMForCausalLM, ""),
    (SpiritLMSpeechTokenizer, "speech_tokenizer"),
    (SpiritLMHifiGan, "vocoder"),
]


def _copy_component(sub: str, dest: Path) -> Path:
    """The toy model's component ``sub`` ("" = the LM's top-level files only) copied to ``dest``."""
    src = Path(TOY_MODEL) / sub
    dest.mkdir(parents=True)
    for f in src.iterdir():
        if f.is_file():
            shutil.copy(f, dest / f.name)
    return dest


def test_lm_folder_without_speech_tokenizer_is_an_error(tmp_path):
    """The reproducer: the toy model's top-level files only. Before, the speech tokenizer loaded with random weights
    and `encode_string` returned `[Hu0]`."""
    folder = _copy_component("", tmp_path / "lm_only")
    for cls in (SpiritLMSpeechTokenizer, SpiritLMHifiGan):
        with pytest.raises(SpiritLMLoadingError, match="spirit_lm") as err:
            cls.from_pretrained(folder)
        assert str(folder) in str(err.value)


def test_component_folder_of_another_type_is_an_error():
    with pytest.raises(SpiritLMLoadingError, match="spirit_lm_hifigan"):
        SpiritLMSpeechTokenizer.from_pretrained(Path(TOY_MODEL) / "vocoder")
    with pytest.raises(SpiritLMLoadingError, match="spirit_lm_speech_tokenizer"):
        SpiritLMForCausalLM.from_pretrained(Path(TOY_MODEL) / "speech_tokenizer")


@pytest.mark.parametrize("cls,sub", COMPONENTS, ids=lambda x: getattr(x, "__name__", x or "lm"))
def test_missing_weights_are_an_error_naming_the_keys(tmp_path, cls, sub):
    folder = _copy_component(sub, tmp_path / "c")
    weights = load_file(folder / "model.safetensors")
    dropped = sorted(weights)[len(weights) // 2]
    del weights[dropped]
    save_file(weights, folder / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(SpiritLMLoadingError) as err:
        cls.from_pretrained(folder)
    assert dropped in str(err.value) and str(folder) in str(err.value)


@pytest.mark.parametrize("cls,sub", COMPONENTS, ids=lambda x: getattr(x, "__name__", x or "lm"))
def test_complete_folders_load_and_loading_info_is_kept(cls, sub):
    model, info = cls.from_pretrained(Path(TOY_MODEL) / sub, output_loading_info=True)
    assert isinstance(model, cls) and not info["missing_keys"]


@pytest.mark.parametrize("cls,sub", COMPONENTS, ids=lambda x: getattr(x, "__name__", x or "lm"))
def test_truncated_weight_file_names_the_file(tmp_path, cls, sub):
    folder = _copy_component(sub, tmp_path / "c")
    data = (folder / "model.safetensors").read_bytes()
    (folder / "model.safetensors").write_bytes(data[: len(data) // 3])
    with pytest.raises(SpiritLMLoadingError, match="model.safetensors") as err:
        cls.from_pretrained(folder)
    assert str(folder) in str(err.value)


def test_truncated_pytorch_bin_names_the_file(tmp_path):
    import torch

    folder = _copy_component("vocoder", tmp_path / "c")
    weights = load_file(folder / "model.safetensors")
    (folder / "model.safetensors").unlink()
    torch.save(weights, folder / "pytorch_model.bin")
    data = (folder / "pytorch_model.bin").read_bytes()
    (folder / "pytorch_model.bin").write_bytes(data[: len(data) // 2])
    with pytest.raises(SpiritLMLoadingError, match="pytorch_model.bin"):
        SpiritLMHifiGan.from_pretrained(folder)


@pytest.mark.parametrize("cls,sub", COMPONENTS, ids=lambda x: getattr(x, "__name__", x or "lm"))
def test_bad_config_names_the_file(tmp_path, cls, sub):
    folder = _copy_component(sub, tmp_path / "c")
    (folder / "config.json").write_text('{"model_type": ')
    with pytest.raises((SpiritLMLoadingError, OSError), match="config.json"):
        cls.from_pretrained(folder)


def test_config_not_an_object_names_the_file(tmp_path):
    folder = _copy_component("vocoder", tmp_path / "c")
    (folder / "config.json").write_text(json.dumps([1, 2]))
    with pytest.raises(SpiritLMLoadingError, match="config.json"):
        SpiritLMHifiGan.from_pretrained(folder)
