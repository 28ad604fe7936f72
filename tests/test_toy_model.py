# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The embedded default (recipes/toy_model, trained by `spirit-lm train-toy`): it ships, stays small, loads
as float32, continues text in its domain, transcribes held-out speech and speaks intelligibly (judged by an offline
ASR model), as measured in evaluation.json."""

import json
import re

import numpy as np
import pytest

from recipes.demo import _examples
from recipes.toy import TOY_MODEL


def _wer(hyp: str, ref: str) -> float:
    import jiwer

    norm = lambda t: re.sub(r"[^a-z' ]", " ", t.lower()).split()  # noqa: E731
    return jiwer.wer(" ".join(norm(ref)), " ".join(norm(hyp)))


@pytest.fixture(scope="module")
def pipe():
    from transformers import pipeline

    import modeling_spirit  # noqa: F401

    return pipeline("spirit-lm", model=str(TOY_MODEL))


def test_shipped_files():
    assert (TOY_MODEL / "config.json").is_file(), "recipes/toy_model is missing: run `make toy-model`"
    files = [p for p in TOY_MODEL.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) < 25e6
    assert not [p for p in files if p.suffix in (".bin", ".pt", ".pth", ".pkl", ".ckpt")]
    for name in ("model.safetensors", "speech_tokenizer/model.safetensors", "vocoder/model.safetensors",
                 "tokenizer.model", "README.md", "evaluation.json", "toy_training.json", "examples/examples.json"):
        assert (TOY_MODEL / name).is_file(), name
    card = (TOY_MODEL / "README.md").read_text()
    assert "license: apache-2.0" in card and "FAIR Noncommercial" in card
    report = json.loads((TOY_MODEL / "toy_training.json").read_text())
    assert report["training_seconds"] < 3600


def test_config_dtype_is_the_stored_dtype(pipe, tmp_path):
    """Issue 20 (9): the LM's weights are float16 but its config said float32, so a load -> save doubled the file.
    Every component's config now names the dtype its file holds; the model loads in it and a re-save keeps the
    size. (Was `test_loads_as_float32`: the LM loaded as float32 from float16 weights; the pipeline outputs are the
    same either way, checked against the recorded baseline.)"""
    import torch
    from safetensors import safe_open

    from modeling_spirit import SpiritLMForCausalLM, SpiritLMHifiGan, SpiritLMSpeechTokenizer

    names = {"F16": torch.float16, "F32": torch.float32, "BF16": torch.bfloat16}
    for cls, sub in ((SpiritLMForCausalLM, ""), (SpiritLMSpeechTokenizer, "speech_tokenizer"),
                     (SpiritLMHifiGan, "vocoder")):
        folder = TOY_MODEL / sub
        with safe_open(str(folder / "model.safetensors"), "pt") as f:
            stored = {names[f.get_slice(k).get_dtype()] for k in f.keys()} - {torch.int64}
        config = json.loads((folder / "config.json").read_text())
        assert stored == {getattr(torch, config["dtype"])}, (sub, stored, config["dtype"])
        model = cls.from_pretrained(folder)
        assert {p.dtype for p in model.parameters()} == stored
        model.save_pretrained(tmp_path / (sub or "lm"))
        size, resaved = (folder / "model.safetensors").stat().st_size, (tmp_path / (sub or "lm") / "model.safetensors").stat().st_size
        assert abs(resaved - size) <= 0.01 * size, (sub, size, resaved)
    assert {p.dtype for p in pipe.model.parameters()} == {torch.float16}
    assert pipe.model.config.default_speaker == 0


@pytest.fixture(scope="module")
def judge():
    from recipes.eval.judges import load_asr_judge

    return load_asr_judge(None)  # Whisper tiny.en through faster-whisper, offline (requirements.txt)


def _judged_wer(judge, audio, truth: str) -> float:
    from recipes.eval.toy import spell_digits

    return _wer(spell_digits(judge([audio])[0]), truth)


def test_few_shot_asr_transcribes_held_out_speech(pipe):
    # The two shipped held-out recordings (test split, slt voice), 4 shots: measured WER 0.25 and 0.17 (README's
    # table: 28.1% over 90 test recordings). A model that does not listen answers an unrelated domain sentence (the
    # first trained default: WER ~1.0 on both).
    shots, queries = _examples(TOY_MODEL)
    assert len(shots) >= 4 and len(queries) >= 2
    errors = []
    for audio, truth in queries:
        heard = pipe(audio, few_shot="asr", examples=shots, max_new_tokens=40, do_sample=False)[0]["text"]
        assert re.fullmatch(r"\s*[A-Z][A-Za-z ,']+[.?!]\s*", heard), heard
        errors.append(_wer(heard, truth))
    assert np.mean(errors) <= 0.6, errors
    recorded = {m["key"]: m["value"] for m in json.loads((TOY_MODEL / "evaluation.json").read_text())["metrics"]}
    assert recorded["asr/wer"] <= 40.0  # the target, met by the shipped model


def test_resynthesis_and_tts_are_intelligible(pipe, judge):
    # units -> vocoder (resynthesis) and few-shot TTS of the two held-out sentences, read back by the judge:
    # measured WER 0.00 / 0.33 (resynthesis) and 0.25 / 0.33 (TTS).
    shots, queries = _examples(TOY_MODEL)
    resyn, tts = [], []
    for audio, truth in queries:
        units = pipe.speech_tokenizer.encode_string(str(audio))
        resyn.append(_judged_wer(judge, pipe.vocoder.decode(units, speaker_id=0), truth))
        said = pipe(truth, few_shot="tts", examples=[(t, a) for a, t in shots], max_new_tokens=150,
                    do_sample=False)[0]
        tts.append(_judged_wer(judge, said["audio"], truth))
    assert np.mean(resyn) <= 0.8 and np.mean(tts) <= 0.8, (resyn, tts)
    recorded = {m["key"]: m["value"] for m in json.loads((TOY_MODEL / "evaluation.json").read_text())["metrics"]}
    # the targets on 90 held-out recordings, met by the shipped model (30.2% and 45.7%)
    assert recorded["resynthesis/resynthesized/wer"] <= 35.0 and recorded["tts/wer"] <= 60.0


def test_text_continuation_and_tts_stay_in_domain(pipe):
    out = pipe("the little dog finds", output_modality="text", max_new_tokens=12, do_sample=False)[0]["text"]
    assert re.fullmatch(r"[A-Za-z ,.?!']+", out.strip()), out
    shots, queries = _examples(TOY_MODEL)
    said = pipe(queries[1][1], few_shot="tts", examples=[(t, a) for a, t in shots], max_new_tokens=150,
                do_sample=False)[0]
    seconds = said["audio"].size / said["sampling_rate"]
    assert 0.5 < seconds < 10 and np.isfinite(said["audio"]).all() and np.abs(said["audio"]).max() > 0.01
