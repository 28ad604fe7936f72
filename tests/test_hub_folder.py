# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""One Hub-ready folder: converted stand-ins work in every direction from remote code alone, and with the package."""

import json

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
