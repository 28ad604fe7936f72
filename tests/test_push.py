# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""push_spirit_lm, offline: the Hub calls are replaced by recorders; the captured commit is laid out as a Hub cache
snapshot and loaded by repo id in a fresh process that has only the remote code."""

import json
import shutil
from pathlib import Path

import pytest
from huggingface_hub import CommitInfo, HfApi, ModelCard

from hub_cards.push import PushError, files_to_upload, push_spirit_lm
from remote_code import run_without_package

REPO_ID = "spirit-test/tiny-spirit-lm-base"
FAKE_SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory):
    from recipes.tiny.models import build_tiny_spirit_lm

    return Path(build_tiny_spirit_lm(str(tmp_path_factory.mktemp("push") / "tiny-base"), "base"))


@pytest.fixture
def hub(monkeypatch):
    """Record create_repo / create_branch / create_commit on HfApi; nothing reaches the network."""
    calls = {"create_repo": [], "create_branch": [], "create_commit": []}

    def create_repo(self, repo_id, **kwargs):
        calls["create_repo"].append((repo_id, kwargs))
        return f"https://huggingface.co/{repo_id}"

    def create_branch(self, repo_id, **kwargs):
        calls["create_branch"].append((repo_id, kwargs))

    def create_commit(self, repo_id, operations, **kwargs):
        ops = list(operations)
        files = {}
        for op in ops:
            src = op.path_or_fileobj
            files[op.path_in_repo] = src if isinstance(src, bytes) else Path(src).read_bytes()
        calls["create_commit"].append((repo_id, files, kwargs))
        return CommitInfo(commit_url=f"https://huggingface.co/{repo_id}/commit/{FAKE_SHA}",
                          commit_message=kwargs["commit_message"], commit_description="", oid=FAKE_SHA)

    monkeypatch.setattr(HfApi, "create_repo", create_repo)
    monkeypatch.setattr(HfApi, "create_branch", create_branch)
    monkeypatch.setattr(HfApi, "create_commit", create_commit)
    return calls


def _lay_out_snapshot(hf_home: Path, repo_id: str, sha: str, files: dict) -> Path:
    """huggingface_hub's cache layout: hub/models--{org}--{name}/{refs/main, snapshots/{sha}/...}."""
    repo_cache = hf_home / "hub" / ("models--" + repo_id.replace("/", "--"))
    (repo_cache / "refs").mkdir(parents=True)
    (repo_cache / "refs" / "main").write_text(sha)
    snapshot = repo_cache / "snapshots" / sha
    for path, data in files.items():
        (snapshot / path).parent.mkdir(parents=True, exist_ok=True)
        (snapshot / path).write_bytes(data)
    return snapshot


def test_push_uploads_card_and_folder_and_loads_by_repo_id(tiny_folder, hub, tmp_path):
    info = push_spirit_lm(tiny_folder, REPO_ID, private=True, card_data={"tags": ["tiny"]})
    assert info.oid == FAKE_SHA
    assert hub["create_repo"] == [(REPO_ID, {"repo_type": "model", "private": True, "exist_ok": True})]
    assert hub["create_branch"] == []
    [(repo_id, files, kwargs)] = hub["create_commit"]
    assert repo_id == REPO_ID and kwargs["revision"] is None and kwargs["commit_message"].startswith("Upload Spirit LM")

    on_disk = {p.relative_to(tiny_folder).as_posix() for p in tiny_folder.rglob("*") if p.is_file()}
    assert set(files) == (on_disk - {"tiny_build.json"}) | {"README.md"}
    assert {"README.md", "config.json", "generation_config.json", "model.safetensors", "tokenizer.model",
            "tokenizer.json", "tokenizer_config.json", "configuration_spirit_lm.py", "modeling_spirit_lm.py",
            "tokenization_spirit_lm.py", "speech_tokenizer/config.json", "speech_tokenizer/model.safetensors",
            "vocoder/config.json", "vocoder/model.safetensors", "vocoder/modeling_spirit_hifigan.py"} <= set(files)
    for name in files:
        if name != "README.md":
            assert files[name] == (tiny_folder / name).read_bytes(), name
    card = ModelCard(files["README.md"].decode())
    assert card.data.license_name == "fair-noncommercial-research-license" and "tiny" in card.data.tags
    assert f'model="{REPO_ID}", revision="main"' in card.text and "Random weights" in card.text

    # The captured commit as a Hub cache; a fresh offline process loads it by repo id with remote code only.
    hf_home = tmp_path / "hf-home-remote"  # the HF_HOME run_without_package gives the child
    _lay_out_snapshot(hf_home, REPO_ID, FAKE_SHA, files)
    assert "spirit-lm" in json.loads(files["config.json"])["custom_pipelines"]  # made Hub-ready by make_hub_ready
    script = f"""
    import json, torch
    from transformers import pipeline
    pipe = pipeline("spirit-lm", model={REPO_ID!r}, trust_remote_code=True)
    out = pipe("The cat sees", output_modality="text", max_new_tokens=5, do_sample=False)
    assert out[0]["type"] == "text" and isinstance(out[0]["text"], str), out
    speech = pipe("The cat sees", output_modality="speech", max_new_tokens=8, do_sample=False)
    assert speech[0]["type"] == "speech" and speech[0]["sampling_rate"] == 16000, speech
    assert type(pipe.vocoder).__module__.startswith("transformers_modules."), type(pipe.vocoder)
    wave = torch.randn(8000, generator=torch.Generator().manual_seed(0)).numpy() * 0.1
    heard = pipe(wave, output_modality="text", max_new_tokens=4, do_sample=False)
    assert heard[0]["type"] == "text", heard
    print(json.dumps({{"module": type(pipe.model).__module__, "pipeline": type(pipe).__module__}}))
    """
    res = run_without_package(script, tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    report = json.loads(res.stdout.strip().splitlines()[-1])
    assert report["module"].startswith("transformers_modules."), report
    assert report["pipeline"].startswith("transformers_modules."), report


def test_push_to_a_branch(tiny_folder, hub):
    push_spirit_lm(tiny_folder, REPO_ID, revision="v2", commit_message="tiny v2", token="hf_fake")
    assert hub["create_branch"] == [(REPO_ID, {"branch": "v2", "repo_type": "model", "exist_ok": True})]
    [(_, files, kwargs)] = hub["create_commit"]
    assert kwargs["revision"] == "v2" and kwargs["commit_message"] == "tiny v2"
    assert 'revision="v2"' in files["README.md"].decode()


@pytest.mark.parametrize("pickle_name", ["pytorch_model.bin", "vocoder/generator.pt", "extra/state.pkl",
                                         "speech_tokenizer/hubert.pth", "model.ckpt"])
def test_refuses_pickles(tiny_folder, tmp_path, hub, pickle_name):
    folder = tmp_path / "f"
    shutil.copytree(tiny_folder, folder)
    (folder / pickle_name).parent.mkdir(parents=True, exist_ok=True)
    (folder / pickle_name).write_bytes(b"\x80\x04")
    with pytest.raises(PushError, match=f"pickle files.*{pickle_name}"):
        push_spirit_lm(folder, REPO_ID)
    assert hub["create_repo"] == [] and hub["create_commit"] == []


def test_refuses_non_spirit_folders(tiny_folder, tmp_path, hub):
    with pytest.raises(PushError, match="is not a folder"):
        push_spirit_lm(tmp_path / "missing", REPO_ID)
    (tmp_path / "empty").mkdir()
    with pytest.raises(PushError, match="no config.json"):
        push_spirit_lm(tmp_path / "empty", REPO_ID)
    folder = tmp_path / "llama"
    shutil.copytree(tiny_folder, folder)
    cfg = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**cfg, "model_type": "llama"}))
    with pytest.raises(PushError, match="model_type 'llama', not 'spirit_lm'"):
        push_spirit_lm(folder, REPO_ID)
    (folder / "config.json").write_text(json.dumps(cfg))
    (folder / "model.safetensors").unlink()
    with pytest.raises(PushError, match="no model.*safetensors"):
        push_spirit_lm(folder, REPO_ID)
    assert hub["create_repo"] == [] and hub["create_commit"] == []


def test_files_to_upload_skips_hidden_and_build_files(tiny_folder, tmp_path):
    folder = tmp_path / "f"
    shutil.copytree(tiny_folder, folder)
    (folder / ".cache" / "huggingface").mkdir(parents=True)
    (folder / ".cache" / "huggingface" / "model.bin").write_bytes(b"")  # `hf download --local-dir` metadata
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"")
    (folder / "README.md").write_text("old card")
    names = files_to_upload(folder)
    assert not any(n.startswith((".", "__pycache__")) or n in ("README.md", "tiny_build.json") for n in names)


def test_refuses_missing_remote_code(tiny_folder, tmp_path, hub):
    folder = tmp_path / "f"
    shutil.copytree(tiny_folder, folder)
    (folder / "vocoder" / "modeling_spirit_hifigan.py").unlink()
    with pytest.raises(PushError, match="vocoder/modeling_spirit_hifigan.py, which the folder lacks"):
        push_spirit_lm(folder, REPO_ID)
    shutil.copyfile(tiny_folder / "vocoder" / "modeling_spirit_hifigan.py", folder / "vocoder" / "modeling_spirit_hifigan.py")
    (folder / "modeling_spirit_lm.py").unlink()
    with pytest.raises(PushError, match="config.json points the remote-code loader to modeling_spirit_lm.py"):
        push_spirit_lm(folder, REPO_ID)
    assert hub["create_commit"] == []


def test_warns_when_the_pipeline_is_not_registered(tiny_folder, tmp_path, hub, caplog):
    folder = tmp_path / "f"
    shutil.copytree(tiny_folder, folder)
    cfg = json.loads((folder / "config.json").read_text())
    cfg.pop("custom_pipelines", None)
    (folder / "config.json").write_text(json.dumps(cfg))
    with caplog.at_level("WARNING", logger="hub_cards.push"):
        push_spirit_lm(folder, REPO_ID)
    assert "no custom_pipelines entry" in caplog.text and len(hub["create_commit"]) == 1


def _pickle_payloads():
    """Pickles and archives of pickles under names the old suffix list let through (issue 20 #9)."""
    import gzip
    import io
    import pickle

    import torch

    zipped, legacy = io.BytesIO(), io.BytesIO()
    torch.save({"w": torch.zeros(2)}, zipped)
    torch.save({"w": torch.zeros(2)}, legacy, _use_new_zipfile_serialization=False)
    return {
        "model.pth.tar": zipped.getvalue(),
        "extra/state.pkl.gz": gzip.compress(pickle.dumps({"a": 1})),
        "vocoder/GENERATOR.PT": legacy.getvalue(),
        "speech_tokenizer/x.pickle": pickle.dumps([1, 2]),
        "weights.data": b"cos\nsystem\n(S'echo pwned'\ntR.",  # protocol 0: no header, found by parsing
    }


@pytest.mark.parametrize("pickle_name", sorted(_pickle_payloads()))
def test_refuses_pickles_by_content(tiny_folder, tmp_path, hub, pickle_name):
    folder = tmp_path / "f"
    shutil.copytree(tiny_folder, folder)
    (folder / pickle_name).parent.mkdir(parents=True, exist_ok=True)
    (folder / pickle_name).write_bytes(_pickle_payloads()[pickle_name])
    with pytest.raises(PushError, match=f"pickle files.*{pickle_name}"):
        push_spirit_lm(folder, REPO_ID)
    assert hub["create_repo"] == [] and hub["create_commit"] == []


def _expressive_vocoder(path):
    from recipes.tiny.models import build_tiny_vocoder

    shutil.rmtree(path)
    build_tiny_vocoder(str(path), "expressive")


def _truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 100])


INCOMPLETE = [
    ("no_speech_tokenizer", lambda f: shutil.rmtree(f / "speech_tokenizer"), r"has no speech_tokenizer/"),
    ("no_vocoder", lambda f: shutil.rmtree(f / "vocoder"), r"has no vocoder/"),
    ("no_vocoder_weights", lambda f: (f / "vocoder" / "model.safetensors").unlink(), r"vocoder weights are missing"),
    ("truncated_lm", lambda f: _truncate(f / "model.safetensors"), r"model\.safetensors is truncated"),
    ("truncated_speech_tokenizer", lambda f: _truncate(f / "speech_tokenizer" / "model.safetensors"),
     r"speech_tokenizer/model\.safetensors is truncated"),
    ("bad_speech_tokenizer_config", lambda f: (f / "speech_tokenizer" / "config.json").write_text("{"),
     r"speech_tokenizer/config\.json is not valid JSON"),
    ("expressive_vocoder_beside_base_lm", lambda f: _expressive_vocoder(f / "vocoder"),
     r"is an expressive vocoder.*language model .* is base"),
    ("no_tokenizer", lambda f: [(f / n).unlink() for n in ("tokenizer.model", "tokenizer.json")],
     r"neither tokenizer\.model nor tokenizer\.json"),
]


@pytest.mark.parametrize("name,damage,pattern", INCOMPLETE, ids=[c[0] for c in INCOMPLETE])
def test_refuses_incomplete_folders(tiny_folder, tmp_path, hub, name, damage, pattern):
    """Issue 20 #3: a folder that would load with speech_tokenizer=None / vocoder=None, or with parts of different
    models, is not pushed."""
    folder = tmp_path / "f"
    shutil.copytree(tiny_folder, folder)
    damage(folder)
    with pytest.raises(PushError, match=pattern):
        push_spirit_lm(folder, REPO_ID)
    assert hub["create_repo"] == [] and hub["create_commit"] == []


def test_text_only_folder_is_pushed_only_when_asked(tiny_folder, tmp_path, hub):
    folder = tmp_path / "f"
    shutil.copytree(tiny_folder, folder)
    shutil.rmtree(folder / "speech_tokenizer")
    shutil.rmtree(folder / "vocoder")
    with pytest.raises(PushError, match="require_speech_components=False"):
        files_to_upload(folder)
    names = files_to_upload(folder, require_speech_components=False)
    assert "model.safetensors" in names and not any(n.startswith(("vocoder/", "speech_tokenizer/")) for n in names)
    push_spirit_lm(folder, REPO_ID, require_speech_components=False)
    assert len(hub["create_commit"]) == 1
