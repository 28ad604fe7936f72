# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""One Hub-ready folder: converted stand-ins work in every direction from remote code alone, and with the package."""

import json
from pathlib import Path

import numpy as np
import pytest
from transformers import AutoProcessor, pipeline

import modeling_spirit  # noqa: F401
from modeling_spirit.convert import convert_all
from remote_code import run_without_package
from standin_hifigan import build_hifigan_standin
from standin_lm import build_lm_standin
from standin_speech_tokenizer import build_speech_tokenizer_standins


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    out = {}
    for variant in ("base", "expressive"):
        root = tmp_path_factory.mktemp(variant)
        ckpt = root / "checkpoints"
        build_lm_standin(ckpt, variant)
        build_speech_tokenizer_standins(ckpt, variant)
        build_hifigan_standin(ckpt, variant)
        out[variant] = convert_all(ckpt, variant, root / "out")
    return out


def test_folder_layout(converted):
    for variant, folder in converted.items():
        files = {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}
        assert {"config.json", "model.safetensors", "processor_config.json", "tokenizer.model", "tokenizer.json",
                "pipeline_spirit_lm.py", "processing_spirit_lm.py", "feature_extraction_spirit_lm.py",
                "speech_tokenizer/model.safetensors", "vocoder/model.safetensors"} <= files
        assert not any(f.endswith((".bin", ".pt", ".pkl", ".pth")) for f in files)
        config = json.loads((folder / "config.json").read_text())
        assert config["custom_pipelines"]["spirit-lm"]["impl"] == "pipeline_spirit_lm.SpiritLMPipeline"
        assert config["auto_map"]["AutoModelForCausalLM"] == "modeling_spirit_lm.SpiritLMForCausalLM"


REMOTE = """
import json, numpy as np
from transformers import AutoProcessor, pipeline
res = {}
for variant, path in PATHS.items():
    pipe = pipeline("spirit-lm", model=path, trust_remote_code=True)
    assert type(pipe).__module__.startswith("transformers_modules."), type(pipe).__module__
    wav = (0.1 * np.random.RandomState(0).randn(24000)).astype(np.float32)
    out = {
        "t2t": pipe("The cat", output_modality="text", max_new_tokens=5, do_sample=False),
        "s2t": pipe(wav, output_modality="text", max_new_tokens=5, do_sample=False, return_prompt=True)[1],
        "t2s": pipe("The cat", output_modality="speech", max_new_tokens=12, min_new_tokens=4, do_sample=False),
        "s2s": pipe(wav, output_modality="speech", max_new_tokens=12, min_new_tokens=4, do_sample=False),
    }
    proc = AutoProcessor.from_pretrained(path, trust_remote_code=True)
    res[variant] = {
        "t2t": out["t2t"][0]["type"], "s2t_prompt": out["s2t"],
        "t2s_units": out["t2s"][0]["units"], "t2s_samples": len(out["t2s"][0]["audio"]),
        "s2s_samples": len(out["s2s"][0]["audio"]), "s2s_units": out["s2s"][0]["units"], "processor": type(proc).__name__,
    }
print(json.dumps(res))
"""


def test_every_direction_from_remote_code_only(converted, tmp_path):
    script = f"PATHS = {json.dumps({k: str(v) for k, v in converted.items()})}\n" + REMOTE
    res = run_without_package(script, tmp_path, timeout=900)
    assert res.returncode == 0, res.stderr[-4000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    for variant, folder in converted.items():
        r = out[variant]
        assert r["t2t"] == "text" and r["processor"] == "SpiritLMProcessor"
        assert r["s2t_prompt"].startswith("[Speech]") and r["s2t_prompt"].endswith("[Text]")
        assert r["s2s_units"].count("[Hu") >= 1 and r["t2s_units"].count("[Hu") >= 1
        if variant == "base" or "[Pi" in r["s2s_units"]:  # an expressive vocoder needs pitch units to speak
            assert r["s2s_samples"] >= 640 * r["s2s_units"].count("[Hu")
        # the same in this process, with the installed package and without trust_remote_code
        pipe = pipeline("spirit-lm", model=str(folder))
        assert type(pipe).__module__ == "modeling_spirit.pipeline_spirit_lm"
        wav = (0.1 * np.random.RandomState(0).randn(24000)).astype(np.float32)
        assert pipe(wav, output_modality="text", max_new_tokens=5, do_sample=False, return_prompt=True)[1] == \
            r["s2t_prompt"]
        here = pipe("The cat", output_modality="speech", max_new_tokens=12, min_new_tokens=4, do_sample=False)[0]
        assert here["units"] == r["t2s_units"] and len(here["audio"]) == r["t2s_samples"]
        assert type(AutoProcessor.from_pretrained(str(folder))).__module__ == "modeling_spirit.processing_spirit_lm"
    assert "[St" in out["expressive"]["s2t_prompt"] and "[Pi" in out["expressive"]["s2t_prompt"]


# ---------------------------------------------------------------------------------------------------------------
# Issue 20 #3, #9: make_hub_ready refuses incomplete folders and pickles (by content), touching nothing
# ---------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    from recipes.tiny.models import build_tiny_spirit_lm

    return Path(build_tiny_spirit_lm(str(tmp_path_factory.mktemp("tiny") / "base"), "base"))


def _snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_make_hub_ready_refuses_incomplete_folders_untouched(tiny_base, tmp_path):
    import shutil

    from modeling_spirit.hub_folder import SpiritFolderError, check_spirit_folder, make_hub_ready

    folder = tmp_path / "f"
    shutil.copytree(tiny_base, folder)
    make_hub_ready(folder)  # complete: fine, and idempotent
    shutil.rmtree(folder / "vocoder")
    (folder / "modeling_spirit_lm.py").unlink()  # make_hub_ready would copy it back if it went ahead
    before = _snapshot(folder)
    with pytest.raises(SpiritFolderError, match="has no vocoder/"):
        make_hub_ready(folder)
    assert _snapshot(folder) == before
    shutil.rmtree(folder / "speech_tokenizer")
    with pytest.raises(SpiritFolderError, match="require_speech_components=False"):
        check_spirit_folder(folder)
    make_hub_ready(folder, require_speech_components=False)
    assert (folder / "modeling_spirit_lm.py").is_file()


def test_make_hub_ready_refuses_pickles_by_content_untouched(tiny_base, tmp_path):
    import pickle
    import shutil

    from modeling_spirit.hub_folder import SpiritFolderError, make_hub_ready

    folder = tmp_path / "f"
    shutil.copytree(tiny_base, folder)
    (folder / "modeling_spirit_lm.py").unlink()
    (folder / "optimizer.PTH.TAR").write_bytes(pickle.dumps({"step": 3}, protocol=2))
    before = _snapshot(folder)
    with pytest.raises(SpiritFolderError, match=r"pickle files.*optimizer\.PTH\.TAR \(a pickle \(protocol 2\)\)"):
        make_hub_ready(folder)
    assert _snapshot(folder) == before


def test_pickle_kind_by_content(tmp_path):
    import gzip
    import io
    import pickle

    import torch
    from safetensors.torch import save_file

    from modeling_spirit.hub_folder import find_pickled_files, pickle_kind

    buf = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, buf)
    flagged = {"a.bin": buf.getvalue(), "b.pkl.gz": gzip.compress(pickle.dumps(1)), "c.txt": pickle.dumps("x", protocol=0),
               "d": pickle.dumps(list(range(20000)) + ["y" * 100000], protocol=4)}  # longer than the parsed sample
    for p in range(6):
        flagged[f"proto{p}.json"] = pickle.dumps({"k": [1, 2.5, "v"]}, protocol=p)
    clean = {"config.json": b'{"a": 1}', "notes.md": b"# title\n. a dotted line\n", ".hidden": b".venv/\n",
             "tokenizer.model": b"\n\x0b\n\x05<unk>\x15\x00\x00\x00\x00\x18\x02", "empty": b""}
    for name, data in {**flagged, **clean}.items():
        (tmp_path / name).write_bytes(data)
    # safetensors whose 8-byte header length starts like a pickle header (0x80, 0x02): still not a pickle
    for n in range(1, 700):
        save_file({"t" * n: torch.zeros(1)}, str(tmp_path / "w.safetensors"))
        if (tmp_path / "w.safetensors").read_bytes()[:2] == b"\x80\x02":
            break
    assert (tmp_path / "w.safetensors").read_bytes()[:2] == b"\x80\x02"
    assert {name for name in flagged if pickle_kind(tmp_path / name)} == set(flagged)
    assert [name for name in clean if pickle_kind(tmp_path / name)] == []
    assert pickle_kind(tmp_path / "w.safetensors") is None
    found = find_pickled_files(tmp_path)
    assert sorted(f.split(" ")[0] for f in found) == sorted(flagged) and ".hidden" not in " ".join(found)
