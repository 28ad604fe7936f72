# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The `spirit-lm` command: every subcommand through `main([...])` on the tiny model, and clean errors."""

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from recipes.cli import COMMANDS, main

HU = r"(\[Hu\d+\])+"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from recipes.tiny.models import build_tiny_spirit_lm

    return build_tiny_spirit_lm(str(tmp_path_factory.mktemp("cli") / "tiny-base"), "base")


@pytest.fixture(scope="module")
def wav(tmp_path_factory):
    path = tmp_path_factory.mktemp("audio") / "noise.wav"
    rng = np.random.default_rng(0)
    sf.write(str(path), (0.1 * rng.standard_normal(16000)).astype(np.float32), 16000)
    return path


def _fails(capsys, argv, code, match):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == code, err
    assert re.search(match, err), err
    assert "Traceback" not in err
    return err


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in ("convert", "generate", "encode", "decode", "push", "encode-dataset", "align", "interleave", "init"):
        assert name in COMMANDS and name in out
    with pytest.raises(SystemExit) as exc:
        main(["generate", "--help"])
    assert exc.value.code == 0 and "--output-modality" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:  # a command registered by its main(argv): gets the argv, own --help
        main(["init", "--help"])
    assert exc.value.code == 0 and "--text-model" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        main([])
    assert exc.value.code == 2


def test_generate_text(tiny, capsys):
    assert main(["generate", tiny, "--text", "The cat sees", "--max-new-tokens", "4", "--seed", "0"]) == 0
    out = capsys.readouterr().out
    assert out.strip() != ""
    # the same as the pipeline (greedy)
    import modeling_spirit  # noqa: F401
    from transformers import pipeline

    expected = pipeline("spirit-lm", model=tiny)("The cat sees", output_modality="text", max_new_tokens=4,
                                                  do_sample=False)
    assert out.splitlines()[0] == expected[0]["text"]


def test_generate_speech_interleaved_one_write(tiny, wav, tmp_path, capsys, monkeypatch):
    calls = []
    real_write = sf.write

    def counting_write(*args, **kwargs):
        calls.append(args[0])
        return real_write(*args, **kwargs)

    monkeypatch.setattr(sf, "write", counting_write)
    out_wav = tmp_path / "sub" / "out.wav"
    assert main(["generate", tiny, "--text", "The cat sees", "--audio", str(wav), "--text", "and", "--output",
                 str(out_wav), "--max-new-tokens", "12", "--do-sample", "--temperature", "0.9", "--top-p", "0.95",
                 "--seed", "1", "--speaker-id", "tiny-speaker-1"]) == 0
    assert calls == [str(out_wav)]
    audio, rate = sf.read(str(out_wav))
    assert rate == 16000 and audio.ndim == 1 and len(audio) > 0
    assert "Wrote" in capsys.readouterr().err


def test_generate_arbitrary_prints_segments(tiny, capsys):
    assert main(["generate", tiny, "--text", "Please open the window", "--output-modality", "ARBITRARY",
                 "--max-new-tokens", "6", "--speaker-id", "0"]) == 0
    assert capsys.readouterr().out.strip() != ""


def test_encode_and_decode(tiny, wav, tmp_path, capsys):
    from modeling_spirit.modeling_spirit_hifigan import SpiritLMHifiGan
    from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer

    assert main(["encode", tiny, str(wav)]) == 0
    units = capsys.readouterr().out.strip()
    assert re.fullmatch(HU, units)
    assert units == SpiritLMSpeechTokenizer.from_pretrained(tiny).encode_string(str(wav))

    listing = tmp_path / "units.txt"
    assert main(["encode", tiny, str(wav), str(wav), "--output", str(listing)]) == 0
    lines = listing.read_text().splitlines()
    assert lines == [f"{wav}\t{units}"] * 2

    out_wav = tmp_path / "decoded.wav"
    assert main(["decode", tiny, units, "--output", str(out_wav), "--speaker-id", "2"]) == 0
    audio, rate = sf.read(str(out_wav), dtype="float32")
    expected = SpiritLMHifiGan.from_pretrained(tiny).decode(units, speaker_id=2)
    assert rate == 16000 and audio.shape == expected.shape
    assert np.abs(audio - np.clip(expected, -1, 1)).max() < 2 / 32768  # 16-bit wav
    unit_file = tmp_path / "one.units"
    unit_file.write_text(units + "\n")
    out2 = tmp_path / "decoded2.wav"
    assert main(["decode", tiny, str(unit_file), "--output", str(out2), "--speaker-id", "2"]) == 0
    assert np.array_equal(sf.read(str(out2))[0], sf.read(str(out_wav))[0])


def test_push_and_dry_run(tiny, capsys, monkeypatch):
    from huggingface_hub import CommitInfo, HfApi, ModelCard

    seen = {}

    def create_commit(self, repo_id, operations, **kwargs):
        seen["files"] = {op.path_in_repo: op.path_or_fileobj for op in operations}
        seen["kwargs"] = kwargs
        return CommitInfo(commit_url=f"https://huggingface.co/{repo_id}/commit/{'a' * 40}", commit_message="m",
                          commit_description="", oid="a" * 40)

    monkeypatch.setattr(HfApi, "create_repo", lambda self, repo_id, **kw: seen.setdefault("repo", (repo_id, kw)))
    monkeypatch.setattr(HfApi, "create_commit", create_commit)
    assert main(["push", tiny, "spirit-test/cli-tiny", "--base-model", "meta-llama/Llama-2-7b-hf", "--dataset",
                 "spirit-test/ds", "--tag", "tiny", "--private", "--commit-message", "first"]) == 0
    assert seen["repo"] == ("spirit-test/cli-tiny", {"repo_type": "model", "private": True, "exist_ok": True})
    assert seen["kwargs"]["commit_message"] == "first"
    card = ModelCard(seen["files"]["README.md"].decode())
    assert card.data.base_model == "meta-llama/Llama-2-7b-hf" and card.data.datasets == ["spirit-test/ds"]
    assert "tiny" in card.data.tags and {"config.json", "model.safetensors"} <= set(seen["files"])
    assert "a" * 40 in capsys.readouterr().out

    seen.clear()
    assert main(["push", tiny, "spirit-test/cli-tiny", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert seen == {} and "license_name: fair-noncommercial-research-license" in out and "  model.safetensors" in out


def test_convert(tmp_path, capsys):
    from standin_hifigan import build_hifigan_standin
    from standin_lm import build_lm_standin
    from standin_speech_tokenizer import build_speech_tokenizer_standins

    ckpt = tmp_path / "checkpoints"
    build_lm_standin(ckpt, "base")
    build_speech_tokenizer_standins(ckpt, "base")
    build_hifigan_standin(ckpt, "base")
    out = tmp_path / "out"
    assert main(["convert", "--checkpoints-dir", str(ckpt), "--variant", "base", "--output-dir", str(out)]) == 0
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in out.iterdir()}
    assert (out / "vocoder" / "config.json").is_file() and (out / "speech_tokenizer" / "config.json").is_file()
    assert "Converted the base Spirit LM" in capsys.readouterr().out
    _fails(capsys, ["convert", "--checkpoints-dir", str(tmp_path / "nope"), "--variant", "base", "--output-dir",
                    str(out)], 1, "does not exist")
    _fails(capsys, ["convert", "--checkpoints-dir", str(ckpt), "--variant", "expressive", "--output-dir",
                    str(tmp_path / "o2")], 1, "No language model")


def test_clean_errors(tiny, wav, tmp_path, capsys):
    missing = str(tmp_path / "no-such-model")
    _fails(capsys, ["generate", missing, "--text", "hi"], 1, r"spirit-lm generate: error: .*does not exist")
    _fails(capsys, ["generate", tiny, "--text", "hi", "--output-modality", "video"], 2, "invalid choice: 'video'")
    _fails(capsys, ["generate", tiny], 1, "give an input")
    _fails(capsys, ["generate", tiny, "--audio", str(tmp_path / "x.wav")], 1, "--audio .* does not exist")
    _fails(capsys, ["generate", tiny, "--text", "hi", "--output-modality", "speech"], 1, "needs --output")
    _fails(capsys, ["generate", tiny, "--text", "hi", "--max-new-tokens", "0"], 1, "at least 1")
    (tmp_path / "empty").mkdir()
    _fails(capsys, ["generate", str(tmp_path / "empty"), "--text", "hi"], 1, "could not load the Spirit LM")
    _fails(capsys, ["generate", "spirit-test/not-in-cache", "--text", "hi"], 1, "could not load the Spirit LM")
    _fails(capsys, ["encode", missing, str(wav)], 1, "does not exist")
    _fails(capsys, ["encode", tiny, str(tmp_path / "x.wav")], 1, "audio file .* does not exist")
    _fails(capsys, ["decode", tiny, "hello", "--output", str(tmp_path / "o.wav")], 1, "neither a unit string")
    _fails(capsys, ["decode", tiny, "[Hu99]"], 2, "required: --output")
    _fails(capsys, ["push", str(tmp_path / "empty"), "spirit-test/x"], 1, "no config.json")
    _fails(capsys, ["push", tiny, "not a repo id", "--dry-run"], 1, "repo_id")
    _fails(capsys, ["frobnicate"], 2, "invalid choice")
    from hub_cards.push import PushError

    with pytest.raises(PushError, match="is not a folder"):  # --traceback: the real exception, for debugging
        main(["--traceback", "push", str(tmp_path / "nowhere"), "spirit-test/x"])


def test_console_script_is_registered():
    setup = (Path(__file__).resolve().parent.parent / "setup.py").read_text()
    assert '"console_scripts": ["spirit-lm=recipes.cli:main"]' in setup


def test_bad_output_paths_are_refused_before_any_work(tiny, wav, tmp_path, capsys, monkeypatch):
    """Issue 20 (9): `generate --output <a directory>` used to fail only after generating."""
    import recipes.cli as cli

    def no_pipeline(*args, **kwargs):
        raise AssertionError("the model was loaded although the output path cannot be written")

    monkeypatch.setattr(cli, "pipeline", no_pipeline)
    monkeypatch.setattr(cli, "_load_component", no_pipeline)
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("x")
    for argv in (["generate", tiny, "--text", "hi", "--output", str(tmp_path / "adir")],
                 ["decode", tiny, "[Hu1][Hu2]", "--output", str(tmp_path / "adir")],
                 ["encode", tiny, str(wav), "--output", str(tmp_path / "adir")]):
        _fails(capsys, argv, 1, "is a directory")
    _fails(capsys, ["generate", tiny, "--text", "hi", "--output", str(tmp_path / "afile" / "o.wav")], 1,
           "is a file, not a folder")
    _fails(capsys, ["decode", tiny, "[Hu1]", "--output", str(tmp_path / "o.notaudio")], 1, "extension")


def test_encode_with_a_folder_without_speech_tokenizer_fails(wav, tmp_path, capsys):
    """Issue 20 (2): the toy model's top-level files only; `encode` exited 0 printing `[Hu0]` before."""
    import shutil

    from recipes.toy import TOY_MODEL

    folder = tmp_path / "lm_only"
    folder.mkdir()
    for f in Path(TOY_MODEL).iterdir():
        if f.is_file():
            shutil.copy(f, folder / f.name)
    _fails(capsys, ["encode", str(folder), str(wav)], 1, "speech_tokenizer")
    _fails(capsys, ["decode", str(folder), "[Hu1][Hu2]", "--output", str(tmp_path / "o.wav")], 1, "vocoder")


def test_push_of_the_toy_model_uploads_a_hub_ready_copy(tmp_path, capsys, monkeypatch):
    """Issue 20 (9): the shipped toy model (no remote code) could not be pushed. `push` now uploads a Hub-ready copy
    (code at the top and beside each component's config), leaves the toy folder unchanged, and the uploaded files
    load with trust_remote_code=True in a process without the package."""
    import shutil

    from huggingface_hub import CommitInfo, HfApi

    from recipes.toy import TOY_MODEL
    from remote_code import run_without_package

    before = sorted(p.relative_to(TOY_MODEL).as_posix() for p in Path(TOY_MODEL).rglob("*") if p.is_file())
    assert main(["push", str(TOY_MODEL), "spirit-test/toy", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "  modeling_spirit_lm.py" in out and "  vocoder/modeling_spirit_hifigan.py" in out
    uploaded = tmp_path / "uploaded"

    def create_commit(self, repo_id, operations, **kwargs):
        for op in operations:
            dest = uploaded / op.path_in_repo
            dest.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(op.path_or_fileobj, bytes):
                dest.write_bytes(op.path_or_fileobj)
            else:
                shutil.copyfile(op.path_or_fileobj, dest)
        return CommitInfo(commit_url=f"https://huggingface.co/{repo_id}/commit/{'b' * 40}", commit_message="m",
                          commit_description="", oid="b" * 40)

    monkeypatch.setattr(HfApi, "create_repo", lambda self, repo_id, **kw: None)
    monkeypatch.setattr(HfApi, "create_commit", create_commit)
    assert main(["push", str(TOY_MODEL), "spirit-test/toy"]) == 0
    after = sorted(p.relative_to(TOY_MODEL).as_posix() for p in Path(TOY_MODEL).rglob("*") if p.is_file())
    assert after == before  # the embedded toy model is not changed
    script = f"""
from transformers import AutoModel, pipeline
voc = AutoModel.from_pretrained({str(uploaded / "vocoder")!r}, trust_remote_code=True)
assert voc.decode("[Hu1][Hu2][Hu3]").size > 0
pipe = pipeline("spirit-lm", model={str(uploaded)!r}, trust_remote_code=True)
out = pipe("the little dog", output_modality="text", max_new_tokens=4, do_sample=False)
assert out[0]["text"], out
print("OK")
"""
    (tmp_path / "run").mkdir()
    res = run_without_package(script, tmp_path / "run", timeout=600)
    assert res.returncode == 0 and "OK" in res.stdout, res.stdout[-3000:] + res.stderr[-3000:]
