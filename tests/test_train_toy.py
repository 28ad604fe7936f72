# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The one-command toy training (recipes/toy/), run end to end with the shortened ``ci`` preset: every
component's loss falls, the folder it writes is a working Spirit LM, reruns resume instead of redoing."""

import json
import os
import shutil

import numpy as np
import pytest

from processing.toy_tts import espeak_available, festival_available
from recipes.toy.arguments import DEFAULT_MIXTURE, STAGES, ToyTrainingArguments, apply_preset, mixture_weights
from recipes.toy.experiment import COMPARISON_FILE, UPSTREAM_STAGES, CompareArguments
from recipes.toy.stages import train_toy
from recipes.toy.train import main

pytestmark = pytest.mark.skipif(not (espeak_available() and festival_available()),
                                reason="espeak-ng and festival are installed by `make setup`")


def _ci_args(out, **kw):
    return ToyTrainingArguments(output_dir=str(out), preset="ci", evaluate=False, progress=False, **kw)


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("toy") / "model"
    report = train_toy(_ci_args(out))
    return out, report


def test_every_component_loss_falls(toy_run):
    _, report = toy_run
    s = report["stages"]
    assert s["speech_tokenizer"]["pretrain_last_loss"] < s["speech_tokenizer"]["pretrain_first_loss"]
    assert s["speech_tokenizer"]["unit_kind"] == "phones"  # the CTC phone quantizer (the default)
    assert s["speech_tokenizer"]["ctc_last_loss"] < s["speech_tokenizer"]["ctc_first_loss"] - 0.5
    assert s["vocoder"]["last_mel_loss"] < s["vocoder"]["first_mel_loss"]
    assert s["vocoder"]["last_dur_loss"] < s["vocoder"]["first_dur_loss"]
    assert s["lm"]["last_loss"] < s["lm"]["first_loss"] - 0.5, s["lm"]["losses"]
    assert set(report["timings_seconds"]) >= set(STAGES[:-1])


def test_output_is_a_working_hub_folder(toy_run):
    from transformers import pipeline

    import modeling_spirit  # noqa: F401

    out, report = toy_run
    files = {p.name for p in out.rglob("*") if p.is_file()}
    assert "model.safetensors" in files and not any(f.endswith((".bin", ".pt", ".pth", ".pkl")) for f in files)
    for sub in ("speech_tokenizer", "vocoder"):
        assert (out / sub / "model.safetensors").is_file()
    config = json.loads((out / "config.json").read_text())
    # the phonemes and the CTC blank (an all-blank chunk stays blank, as the original's [Hu500])
    phonemes = report["stages"]["speech_tokenizer"]["phonemes"]
    assert config["num_hubert_units"] == len(phonemes) + 1 and config["default_speaker"] == 0
    st_config = json.loads((out / "speech_tokenizer" / "config.json").read_text())
    assert st_config["unit_names"] == phonemes and phonemes[0] == "sil"
    assert "spirit-lm" in config["custom_pipelines"]
    pipe = pipeline("spirit-lm", model=str(out))
    text = pipe("[Text]the cat", output_modality="text", max_new_tokens=8)[0]
    assert isinstance(text["text"], str)
    speech = pipe("the cat sees", output_modality="speech", max_new_tokens=20, do_sample=True, seed=0)[0]
    assert speech["sampling_rate"] == 16000 and speech["audio"].ndim == 1 and speech["audio"].size > 0
    assert np.isfinite(speech["audio"]).all()
    heard = pipe(speech["audio"], output_modality="text", max_new_tokens=4)[0]
    assert isinstance(heard["text"], str)


def test_lm_data_is_the_mixture(toy_run):
    out, report = toy_run
    files = report["stages"]["lm_data"]["files"]
    rows = {k: [json.loads(l)["text"] for l in open(p, encoding="utf-8")] for k, p in files.items()}
    assert all(t.startswith("[Speech][Hu") and "[Text]" not in t for t in rows["speech"])
    assert all(t.startswith("[Text]") and "[Hu" not in t for t in rows["text"])
    # interleaved: word-aligned switches inside one sentence
    assert sum("[Text]" in t and "[Speech]" in t for t in rows["interleaved"]) >= len(rows["interleaved"]) // 2
    # ASR sequences hold several [Speech]...[Text]... pairs (the few-shot prompt shape)
    assert max(t.count("[Speech]") for t in rows["asr"]) == 4
    assert all(t.startswith("[Speech]") for t in rows["asr"]) and all(t.startswith("[Text]") for t in rows["tts"])
    assert report["stages"]["lm"]["weights"] == DEFAULT_MIXTURE


def test_rerun_resumes_and_a_changed_setting_redoes_only_later_stages(toy_run, tmp_path):
    out, report = toy_run
    work = str(out) + "-work"
    mtimes = {s: os.path.getmtime(os.path.join(work, s, "stage.json")) for s in STAGES[:-1]}
    again = train_toy(_ci_args(out))
    assert again["wall_seconds_this_run"] < 30
    assert {s: os.path.getmtime(os.path.join(work, s, "stage.json")) for s in STAGES[:-1]} == mtimes
    # a copy of the work folder with fewer LM steps: everything before the LM is reused
    out2 = tmp_path / "model"
    shutil.copytree(work, str(out2) + "-work")
    third = train_toy(_ci_args(out2, lm_steps=12))
    assert set(third["timings_seconds"]) >= {"lm"}
    reused = [s for s in ("corpus", "speech_tokenizer", "encode", "vocoder", "lm_init", "lm_data")
              if third["stages"][s]["seconds"] == report["stages"][s]["seconds"]]
    assert len(reused) == 6
    assert len(third["stages"]["lm"]["losses"]) < len(report["stages"]["lm"]["losses"])


def test_settings_are_checked():
    with pytest.raises(ValueError, match="preset"):
        ToyTrainingArguments(preset="huge")
    with pytest.raises(ValueError, match="st_quantizer_targets"):
        ToyTrainingArguments(st_quantizer_targets="words")
    with pytest.raises(ValueError, match="allowed kinds"):
        ToyTrainingArguments(mixture={"speech": 1.0, "audio": 1.0})
    with pytest.raises(ValueError, match="st_features"):
        ToyTrainingArguments(st_features="spectrogram")
    with pytest.raises(ValueError, match="stop_after"):
        ToyTrainingArguments(stop_after="everything")
    with pytest.raises(ValueError, match="Unknown toy task 'wer'"):
        ToyTrainingArguments(eval_tasks=["asr", "wer"])
    with pytest.raises(ValueError, match="Unknown toy task 'stories'"):
        CompareArguments(compare_dir="x", compare_eval_tasks=["stories"])
    assert ToyTrainingArguments(eval_tasks=["ASR", "asr"]).eval_tasks == ["asr"]
    no_inter = mixture_weights(ToyTrainingArguments(interleave=False))
    assert "interleaved" not in no_inter and no_inter["speech"] == DEFAULT_MIXTURE["speech"]
    ci = apply_preset(ToyTrainingArguments(preset="ci", lm_steps=7))
    assert ci.lm_steps == 7 and ci.num_sentences < ToyTrainingArguments().num_sentences


def test_bf16_choice_is_resolved_and_recorded():
    from recipes.toy.stages import stage_settings, use_bf16
    from processing.train_vocoder import cpu_has_bf16

    assert use_bf16(ToyTrainingArguments()) == cpu_has_bf16()  # unset: what the CPU computes natively
    for choice in (True, False):
        settings = stage_settings(ToyTrainingArguments(bf16=choice))
        assert [n for n, v in settings.items() if v.get("bf16") is choice] == ["speech_tokenizer", "vocoder", "lm"]
    # a work folder trained one way is redone the other way (the markers differ)
    assert stage_settings(ToyTrainingArguments(bf16=True)) != stage_settings(ToyTrainingArguments(bf16=False))


def test_interleaving_comparison_reuses_the_base_run(toy_run, tmp_path):
    from recipes.toy.experiment import compare_interleaving, format_comparison

    out, report = toy_run
    result = compare_interleaving(_ci_args(out), str(tmp_path / "cmp"), seeds=(0, 1), lm_steps=6,
                                  eval_tasks=("storycloze",), eval_limit=4)
    assert [(r["interleave"], r["lm_seed"]) for r in result["runs"]] == [(True, 0), (True, 1), (False, 0), (False, 1)]
    assert "interleaved" in result["mixture_with"] and "interleaved" not in result["mixture_without"]
    key = next(k for k in result["table"] if k.startswith("storycloze/"))
    cell = result["table"][key]["with"]
    assert len(cell["values"]) == 2 and cell["mean"] == pytest.approx(sum(cell["values"]) / 2)
    # the upstream stages are the base run's (linked, not retrained), and the result says how they were trained
    assert result["base_stage_settings"] == {s: report["stage_settings"][s] for s in UPSTREAM_STAGES}
    work = tmp_path / "cmp" / "without-interleaving-seed1-work"
    assert os.path.islink(work / "vocoder") and os.path.realpath(work / "vocoder") == os.path.realpath(str(out) + "-work/vocoder")
    lm_cfg = (work / "lm" / "config.yaml").read_text()
    assert "interleaved" not in lm_cfg and "seed: 1" in lm_cfg and "activation_checkpointing: false" in lm_cfg
    assert "| metric | with interleaving | without interleaving |" in format_comparison(result)
    assert (tmp_path / "cmp" / "compare_interleaving.md").is_file()


def test_command_line_comparison_lands_in_the_trained_folder(toy_run, tmp_path):
    # `spirit-lm train-toy ... --compare_dir`: the base run resumes, the comparison runs, and its json is copied into
    # the trained folder (whose card then shows it). A copy of the base run, so the shared fixture stays as it was.
    out, _ = toy_run
    base = tmp_path / "model"
    shutil.copytree(out, base)
    shutil.copytree(str(out) + "-work", str(base) + "-work", symlinks=True)
    cmp = tmp_path / "cmp"
    rc = main(["--output_dir", str(base), "--preset", "ci", "--no_evaluate", "--no_progress",
               "--compare_dir", str(cmp), "--compare_seeds", "0", "--compare_lm_steps", "4",
               "--compare_eval_tasks", "storycloze", "--compare_eval_limit", "4"])
    assert rc == 0
    copied = json.loads((base / COMPARISON_FILE).read_text())
    assert copied == json.loads((cmp / COMPARISON_FILE).read_text())
    assert [r["name"] for r in copied["runs"]] == ["with-interleaving-seed0", "without-interleaving-seed0"]
    assert copied["lm_steps"] == 4 and copied["table"] and all(k.startswith("storycloze/") for k in copied["table"])
