# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Converter at 7B scale: the language model is written as safetensors shards of at most ``max_shard_size`` with an
index (as ``save_pretrained`` does), and the sharded folder loads, checks and pushes like a single-file one."""

import json
import os
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from modeling_spirit import SpiritLMForCausalLM
from modeling_spirit.convert import ConversionError, convert_all, main
from modeling_spirit.convert_common import parse_shard_size, write_safetensors_shards
from modeling_spirit.hub_folder import check_spirit_folder
from standin_lm import build_lm_standin

LIMIT = 200_000  # "200KB": every layer's matrices of the stand-in split over several shards


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    from standin_hifigan import build_hifigan_standin
    from standin_speech_tokenizer import build_speech_tokenizer_standins

    root = tmp_path_factory.mktemp("shards")
    ckpt = root / "checkpoints"
    lm_dir = build_lm_standin(ckpt, "base")
    build_speech_tokenizer_standins(ckpt, "base")
    build_hifigan_standin(ckpt, "base")
    single = convert_all(ckpt, "base", root / "single")
    sharded = convert_all(ckpt, "base", root / "sharded", max_shard_size="200KB")
    return ckpt, lm_dir, single, sharded


def _weights(folder: Path) -> dict:
    out = {}
    for f in sorted(folder.glob("model*.safetensors")):
        out.update(load_file(str(f)))
    return out


def test_sharded_conversion_has_several_bounded_shards_and_an_index(converted):
    _, _, single, sharded = converted
    assert (single / "model.safetensors").is_file() and not (single / "model.safetensors.index.json").exists()
    assert not (sharded / "model.safetensors").exists()
    index = json.loads((sharded / "model.safetensors.index.json").read_text())
    shards = sorted(set(index["weight_map"].values()))
    assert len(shards) >= 3 and shards == sorted(p.name for p in sharded.glob("model-*-of-*.safetensors"))
    assert all(s.endswith(f"-of-{len(shards):05d}.safetensors") for s in shards)
    total = 0
    for name in shards:
        tensors = load_file(str(sharded / name))
        assert sorted(tensors) == sorted(k for k, v in index["weight_map"].items() if v == name)
        nbytes = sum(t.numel() * t.element_size() for t in tensors.values())
        assert nbytes <= LIMIT or len(tensors) == 1, (name, nbytes, list(tensors))  # a bigger tensor goes alone
        total += nbytes
    assert index["metadata"]["total_size"] == total


def test_sharded_weights_equal_the_unsharded_conversion_and_the_original(converted):
    _, lm_dir, single, sharded = converted
    a, b = _weights(single), _weights(sharded)
    assert sorted(a) == sorted(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]), k
    original = torch.load(lm_dir / "pytorch_model.bin", weights_only=True)
    model = SpiritLMForCausalLM.from_pretrained(sharded)
    for k, v in model.state_dict().items():
        assert torch.equal(v, original[k]), k
    # Every other file of the two folders is the same (config, tokenizer, code, components).
    others = sorted(p.relative_to(single).as_posix() for p in single.rglob("*") if p.is_file()
                    and not p.name.startswith("model"))
    assert others == sorted(p.relative_to(sharded).as_posix() for p in sharded.rglob("*") if p.is_file()
                            and not p.name.startswith("model"))
    for rel in others:
        if rel != "README.md":
            assert (single / rel).read_bytes() == (sharded / rel).read_bytes(), rel


def test_sharded_folder_checks_loads_in_the_pipeline_and_lists_for_push(converted):
    from transformers import pipeline

    import modeling_spirit  # noqa: F401  (registers the task)
    from hub_cards.push import files_to_upload

    _, _, single, sharded = converted
    check_spirit_folder(sharded)
    names = files_to_upload(sharded)
    assert "model.safetensors.index.json" in names and sum(n.startswith("model-0") for n in names) >= 3
    outs = [pipeline("spirit-lm", model=str(f))("The cat sees", output_modality="text", max_new_tokens=4,
                                                  do_sample=False) for f in (single, sharded)]
    assert outs[0] == outs[1]


def test_a_missing_shard_is_reported(converted, tmp_path):
    import shutil

    from modeling_spirit.hub_folder import SpiritFolderError

    _, _, _, sharded = converted
    copy = tmp_path / "copy"
    shutil.copytree(sharded, copy)
    next(copy.glob("model-00002-of-*.safetensors")).unlink()
    with pytest.raises(SpiritFolderError, match="lacks"):
        check_spirit_folder(copy)


def test_write_shards_casts_one_shard_at_a_time(tmp_path, monkeypatch):
    """A dtype change is applied shard by shard (never a cast copy of the whole state) and consumes the dict."""
    import safetensors.torch as st

    state = {f"w{i}": torch.randn(100, 100) for i in range(6)}  # 40 kB each in fp32, 20 kB in bf16
    expected = {k: v.to(torch.bfloat16) for k, v in state.items()}
    live = []
    real = st.save_file

    def spy(tensors, filename, metadata=None):
        live.append(len(tensors))
        return real(tensors, filename, metadata=metadata)

    monkeypatch.setattr(st, "save_file", spy)
    files = write_safetensors_shards(state, tmp_path, max_shard_size=45_000, dtype=torch.bfloat16, progress=False)
    assert state == {}
    assert files[-1] == "model.safetensors.index.json" and len(files) == 4 and live == [2, 2, 2]
    got = _weights(tmp_path)
    assert sorted(got) == sorted(expected) and all(torch.equal(got[k], expected[k]) for k in got)


@pytest.mark.parametrize("bad", ["five gigs", "0", "-1KB", "1.5GiB", True])
def test_bad_shard_size_is_a_clear_error(bad, tmp_path, capsys):
    with pytest.raises(ConversionError, match="max_shard_size"):
        parse_shard_size(bad)
    if isinstance(bad, str):
        with pytest.raises(SystemExit):
            main(["--checkpoints-dir", str(tmp_path), "--variant", "base", "--output-dir", str(tmp_path / "o"),
                  f"--max-shard-size={bad}"])
        assert "max_shard_size" in capsys.readouterr().err


def test_cli_convert_max_shard_size(converted, tmp_path):
    from recipes.cli import main as cli_main

    ckpt = converted[0]
    assert cli_main(["convert", "--checkpoints-dir", str(ckpt), "--variant", "base", "--output-dir",
                     str(tmp_path / "out"), "--max-shard-size", "2MB"]) in (0, None)
    index = json.loads((tmp_path / "out" / "model.safetensors.index.json").read_text())
    assert len(set(index["weight_map"].values())) >= 2


@pytest.mark.skipif(not os.path.exists("/proc/self/maps"), reason="page release is Linux-only (a no-op elsewhere)")
def test_release_file_pages_keeps_values_and_leaves_ordinary_memory_alone(tmp_path):
    """Released pages of a memory-mapped checkpoint are read again from the file with the same values; a tensor in
    ordinary memory is never touched (releasing anonymous pages would zero it)."""
    from modeling_spirit.convert_common import release_file_pages

    big = torch.randn(512, 1024)  # 2 MB: many whole pages
    torch.save({"big": big, "small": torch.randn(3)}, tmp_path / "w.bin")
    mapped = torch.load(tmp_path / "w.bin", mmap=True, weights_only=True)
    assert torch.equal(mapped["big"], big)  # every page resident now
    released = release_file_pages(mapped.values())
    assert released >= big.numel() * 4 - 2 * 4096  # all whole pages of the big tensor
    assert torch.equal(mapped["big"], big) and torch.isfinite(mapped["small"]).all()  # read back from the file
    ordinary = big.clone()
    assert release_file_pages([ordinary, torch.empty(0)]) == 0
    assert torch.equal(ordinary, big)
