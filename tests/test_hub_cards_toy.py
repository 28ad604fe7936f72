# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The toy model's card (hub_cards.toy): built from a fake train-toy folder (hand-written config.json, report and
evaluation of the real shapes; nothing trained or loaded), parsed back as the Hub does."""

import json
import re

import pytest
from huggingface_hub import ModelCard

from hub_cards import LICENSE_LINK, CardError, render_model_card
from hub_cards.toy import TITLE, toy_eval_results
from recipes.toy.ship import render_toy_card, toy_card_inputs, write_toy_card

REPO = "spirit-test/spirit-lm-toy"

# The shapes of recipes/toy/stages.py's report (toy_training.json) and recipes/eval/toy.py's result.
CONFIG = {"model_type": "spirit_lm", "variant": "base", "text_vocab_size": 700, "num_hubert_units": 100,
          "num_pitch_units": 0, "num_style_units": 0, "text_marker_id": 700, "speech_marker_id": 701,
          "hubert_offset": 702, "pitch_offset": 802, "style_offset": 802, "vocab_size": 832, "hidden_size": 256,
          "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 4}
REPORT = {
    "format_version": 1,
    "settings": {"output_dir": "out/toy-spirit-lm", "work_dir": "out/toy-spirit-lm-work", "preset": "default",
                 "seed": 0, "threads": 2, "progress": True, "stop_after": None, "corpus_dir": None,
                 "num_sentences": 3000, "voices": ["festival:cmu_us_slt_arctic_hts", "festival:kal_diphone",
                                                   "espeak-ng:en-us+m3"],
                 "st_utterances": 1500, "st_steps": 3000, "st_learning_rate": 0.002, "st_mask_prob": 0.3,
                 "st_hidden_size": 128, "st_layers": 4, "st_conv_dim": 64, "st_clusters": 200,
                 "st_features": "logmel", "st_n_mels": 80, "st_win_length": 1024, "st_quantizer_targets": "phones",
                 "st_pred_nomask_weight": 1.0, "st_ctc_epochs": 16, "st_ctc_encoder_lr": 0.0005,
                 "phoneme_voice": "en-us", "vocoder_final_lr": 0.1,
                 "vocoder_steps": 2400, "vocoder_channels": 256, "vocoder_batch_size": 8, "vocoder_lr": 0.001,
                 "text_vocab_size": 700, "lm_hidden_size": 256, "lm_layers": 4, "lm_heads": 4,
                 "lm_intermediate_size": 768, "lm_context": 1024, "interleave": True, "mixture": None,
                 "text_span_words": [2, 6], "speech_span_words": [1, 4], "pairs_per_sequence": 4, "lm_seed": None,
                 "lm_steps": 1777, "lm_batch_size": 8, "lm_max_length": 512, "lm_learning_rate": 0.002,
                 "lm_warmup_steps": 100, "lm_save_steps": 250, "evaluate": True, "eval_limit": 90,
                 "eval_tasks": None},
    "stages": {
        "corpus": {"path": "w/corpus/data", "hours": 3.25, "seconds": 600.0,
                   "splits": {"train": {"sentences": 2700, "rows": 8100}, "validation": {"sentences": 150, "rows": 450},
                              "test": {"sentences": 150, "rows": 450}}},
        "speech_tokenizer": {"path": "w/st", "units": 58, "unit_kind": "phones", "pretrain_first_loss": 4.6052,
                             "pretrain_last_loss": 2.3456, "pretrain_seconds": 700.0, "kmeans1_word_pnmi": 0.3,
                             "units_word_pnmi": 0.4321, "utterances": 1500, "ctc_first_loss": 4.64,
                             "ctc_last_loss": 1.17, "ctc_seconds": 326.0, "ctc_epoch_losses": [4.64, 2.0, 1.17],
                             "phone_error_rate": [0.97, 0.4, 0.189], "phonemes": ["sil", "a"],
                             "eval_utterances": 150, "seconds": 900.0},
        "encode": {"path": "w/enc", "rows": {"train": 8100, "validation": 450, "test": 450},
                   "skipped": {"train": 0, "validation": 0, "test": 0}, "seconds": 120.0},
        "vocoder": {"path": "w/voc", "report": {"format_version": 1}, "first_mel_loss": 3.1415,
                    "last_mel_loss": 0.8771, "first_dur_loss": 1.5, "last_dur_loss": 0.25, "seconds": 1200.0},
        "lm_init": {"path": "w/init", "text_vocab_size": 700, "vocab_size": 832, "parameters": 4123456,
                    "distinct_train_texts": 2700, "seconds": 6.0},
        "lm_data": {"files": {"speech": "w/speech.jsonl"}, "seconds": 30.0,
                    "sequences": {"speech": 8100, "text": 2700, "interleaved": 16200, "asr": 2025, "tts": 2025}},
        "lm": {"final_dir": "w/lm/final", "config": "w/lm/config.yaml",
               "weights": {"speech": 0.25, "text": 0.15, "interleaved": 0.3, "asr": 0.15, "tts": 0.15},
               "losses": [[1, 6.789], [1777, 1.2345]], "first_loss": 6.789, "last_loss": 1.2345,
               "train_runtime": 1100.0, "seconds": 1144.0},
        "evaluate": {"metrics": [], "seconds": 420.0},
    },
    "timings_seconds": {"corpus": 600.0, "speech_tokenizer": 900.0, "encode": 120.0, "vocoder": 1200.0,
                        "lm_init": 6.0, "lm_data": 30.0, "lm": 1144.0, "evaluate": 420.0},
    "wall_seconds_this_run": 4420.0,
    "training_seconds": 4000.0,
}


def _metric(name, key, value, n, label, unit, **extra):
    return {"name": name, "key": key, "value": value, "n": n, "task": key.split("/")[0], "label": label,
            "unit": unit, **extra, "paper": None, "paper_ref": None}


EVALUATION = {
    "task": "toy", "model": "out/toy-spirit-lm", "model_revision": "local-0123456789abcdef", "package_version": "0.1.0",
    "data": "w/corpus/data", "n_items": 90, "n_failed": 0, "failed": [], "voices": REPORT["settings"]["voices"],
    "settings": {"split": "test", "limit": 90, "seed": 0, "judge": "faster-whisper tiny.en"},
    "notes": ["asr: 2 prompts were truncated to fit the context."],
    "metrics": [
        _metric("wer", "resynthesis/original/wer", 3.21, 90, "resynthesis WER (%), original audio", "%"),
        _metric("wer", "resynthesis/resynthesized/wer", 17.89, 90, "resynthesis WER (%), resynthesized audio", "%"),
        _metric("cer", "resynthesis/resynthesized/cer", 8.76, 90, "resynthesis CER (%), resynthesized audio", "%"),
        _metric("wer", "resynthesis/resynthesized/wer/festival:kal_diphone", 21.5, 30,
                "resynthesis WER (%), resynthesized audio, festival:kal_diphone", "%", voice="festival:kal_diphone"),
        _metric("wer", "asr/wer", 42.42, 90, "few-shot ASR WER (%), 4 shots", "%"),
        _metric("shots", "asr/mean_shots", 4.0, 90, "asr: mean shots per prompt", "count"),
        _metric("wer", "tts/wer", 55.55, 90, "few-shot TTS judge WER (%), 3 shots", "%"),
        _metric("cer", "tts/cer", 33.33, 90, "few-shot TTS judge CER (%), 3 shots", "%"),
        _metric("in_vocabulary", "continuation/speech/in_vocabulary", 0.7654, 90,
                "speech continuation: in-vocabulary word fraction (%)", "fraction", words=300),
        _metric("in_vocabulary", "continuation/speech_reference/in_vocabulary", 0.95, 90,
                "true rest of the sentence (judge): in-vocabulary word fraction (%)", "fraction", words=310),
        _metric("in_vocabulary", "continuation/text/in_vocabulary", float("nan"), 90,
                "text continuation: in-vocabulary word fraction (%)", "fraction", words=0),
        _metric("accuracy", "storycloze/S/mean", 0.6111, 90, "toy StoryCloze accuracy (%), S", "fraction", mode="S"),
        _metric("accuracy", "storycloze/T/mean", 0.8889, 90, "toy StoryCloze accuracy (%), T", "fraction", mode="T"),
    ],
}
COMPARISON = {
    "seeds": [0, 1], "lm_steps": 600, "eval_limit": 30,
    "mixture_with": {"speech": 0.25, "text": 0.15, "interleaved": 0.3, "asr": 0.15, "tts": 0.15},
    "mixture_without": {"speech": 0.25, "text": 0.15, "asr": 0.15, "tts": 0.15},
    "runs": [],
    "table": {"asr/wer": {"with": {"values": [40.1, 44.3], "mean": 42.2, "std": 2.97},
                          "without": {"values": [61.0, 65.0], "mean": 63.0, "std": 2.83}},
              "storycloze/S/mean": {"with": {"values": [0.6, 0.62], "mean": 0.61, "std": 0.0141},
                                    "without": {"values": [0.55, 0.57], "mean": 0.56, "std": 0.0141}}},
}


def _toy_folder(tmp_path, evaluation=True):
    folder = tmp_path / "toy-spirit-lm"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps(CONFIG))
    for name in ("model.safetensors", "tokenizer.model", "speech_tokenizer/model.safetensors",
                 "vocoder/model.safetensors", "modeling_spirit_lm.py", "examples/shots-0.flac"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"")
    (folder / "toy_training.json").write_text(json.dumps(REPORT))
    if evaluation:
        (folder / "evaluation.json").write_text(json.dumps(EVALUATION))  # NaN as the evaluation writes it
    return folder


def test_toy_card_licence_front_matter_and_numbers(tmp_path):
    folder = _toy_folder(tmp_path)
    text = str(render_toy_card(folder, repo_id=REPO))
    data = ModelCard(text).data  # parsed back as the Hub does
    # front-matter: Apache-2.0 without Meta's licence fields; tags; model-index from the evaluation
    assert data.license == "apache-2.0"
    assert data.license_name is None and data.license_link is None
    assert data.pipeline_tag == "any-to-any" and data.library_name == "transformers"
    assert {"spirit-lm", "toy", "trained-from-scratch"} <= set(data.tags)
    assert data.language == ["en"] and data.base_model is None
    got = {r.metric_config: (r.task_type, r.metric_type, r.metric_value, r.dataset_split) for r in data.eval_results}
    assert got == {
        "resynthesis/resynthesized/wer": ("audio-to-audio", "wer", 17.89, "test"),
        "resynthesis/resynthesized/cer": ("audio-to-audio", "cer", 8.76, "test"),
        "asr/wer": ("automatic-speech-recognition", "wer", 42.42, "test"),
        "tts/wer": ("text-to-speech", "wer", 55.55, "test"),
        "tts/cer": ("text-to-speech", "cer", 33.33, "test"),
        "continuation/speech/in_vocabulary": ("audio-to-audio", "in_vocabulary", 76.54, "test"),
        "storycloze/S/mean": ("zero-shot-classification", "accuracy", 61.11, "test"),
        "storycloze/T/mean": ("zero-shot-classification", "accuracy", 88.89, "test"),
    }  # judge floor/ceiling, per-voice rows, counts and NaN left out
    assert data.model_name == "spirit-lm-toy"

    # licence prose: trained from scratch, Apache-2.0, no Meta weights; Meta's licence named for converted weights
    licence = text.split("## Licence", 1)[1].split("\n## ", 1)[0]
    assert "contain **no Meta weights**" in licence
    assert "trained from scratch" in licence and "festival and espeak-ng voices" in licence
    assert "released under [Apache-2.0](https://www.apache.org/licenses/LICENSE-2.0)" in licence
    assert f"[FAIR Noncommercial Research License]({LICENSE_LINK})" in licence
    assert "ships none of them" in licence
    assert "are converted from (or derived from) Meta's" not in text

    # title and description
    assert f"# {TITLE}\n" in text
    assert "**~4.1M-parameter**" in text and "**2 CPU cores in 66.7 minutes**" in text
    assert "`spirit-lm train-toy`" in text and "It is **not** Meta's Spirit LM" in text
    assert "3.2 h of speech, 3000 sentences, each read by 3 festival / espeak-ng voices" in text
    assert "This repository is **not** that model" in text and "Random weights" not in text

    # training table: stage -> minutes, first -> last loss
    assert "| `corpus` |" in text and "| 10.0 |" in text
    assert ("| 15.0 | 4.61 → 2.35 (masked prediction) | phone error rate 18.9% (validation, greedy CTC); CTC loss "
            "4.64 → 1.17; unit/word PNMI 0.432; 58 units (phonemes) |" in text)
    assert "| 20.0 | 3.14 → 0.877 (mel) | duration loss 1.5 → 0.25 |" in text
    assert "4,123,456 parameters; 700 text pieces; 832-row vocabulary" in text
    assert "| 19.1 | 6.79 → 1.23 (cross-entropy) | 1777 steps of 8 × 512 tokens; mixture speech 0.25, text 0.15, " \
           "interleaved 0.3, asr 0.15, tts 0.15 |" in text
    assert "| **training, total** | every stage above but `evaluate` | **66.7** | | |" in text
    assert "plus 7.0 minutes of evaluation" in text
    assert "| LM: hidden size / layers / heads / FFN / context | 256 / 4 / 4 / 768 / 1024 |" in text
    assert ("| speech tokenizer: quantizer targets / k-means targets / steps / utterances | phones / 200 / 3000 / 1500 |"
            in text)
    assert "**Supervised phoneme units.**" in text

    # the measured evaluation table (format_toy_table), with the judge's floor and the notes
    assert "| metric | value | n |" in text
    assert "| resynthesis WER (%), original audio | 3.2 | 90 |" in text
    assert "| resynthesis WER (%), resynthesized audio | 17.9 | 90 |" in text
    assert "| few-shot ASR WER (%), 4 shots | 42.4 | 90 |" in text
    assert "| toy StoryCloze accuracy (%), S | 61.1 | 90 |" in text
    assert "| text continuation: in-vocabulary word fraction (%) | nan | 90 |" in text
    assert "asr: 2 prompts were truncated" in text and "faster-whisper tiny.en" in text
    assert "## Results" not in text  # the evaluation section shows the numbers once

    # reproduce (non-default settings only) and limitations; no comparison section without one
    assert "spirit-lm train-toy --output_dir out/toy-spirit-lm --lm_steps 1777\n" in text
    assert "## How to reproduce" in text and "## Limitations" in text and "Closed domain" in text
    assert "With and without interleaved data" not in text
    # usage pins the repository; the folder's files are listed
    assert f'pipeline("spirit-lm", model="{REPO}", revision="main", trust_remote_code=True)' in text
    assert 'pipe("The train leaves at", output_modality="text"' in text and "capital of France" not in text
    assert 'few_shot="asr"' in text and "Once upon a time" not in text
    assert "* `toy_training.json`: report of `spirit-lm train-toy`" in text
    assert "* `examples/shots-0.flac`: example recording" in text
    assert not re.search(r"\|\n\n\|", text)  # tables are contiguous


def test_toy_card_with_comparison(tmp_path):
    folder = _toy_folder(tmp_path)
    (folder / "examples" / "examples.json").write_text(json.dumps({"shots": [], "queries": []}))
    cmp_dir = tmp_path / "compare"
    cmp_dir.mkdir()
    (cmp_dir / "compare_interleaving.json").write_text(json.dumps(COMPARISON))
    path = write_toy_card(folder, repo_id=REPO, comparison=cmp_dir)  # the folder holding the json
    assert path == folder / "README.md"
    text = path.read_text()
    section = text.split("## With and without interleaved data", 1)[1].split("\n## ", 1)[0]
    assert "LM seeds [0, 1], 600 steps each" in section
    assert "| metric | with interleaving | without interleaving |" in section
    assert "| asr/wer | 42.2 ± 3 (40.1, 44.3) | 63 ± 2.8 (61, 65) |" in section
    assert "| storycloze/S/mean | 0.61 ± 0.014 (0.6, 0.62) | 0.56 ± 0.014 (0.55, 0.57) |" in section
    assert "without: speech 0.25, text 0.15, asr 0.15, tts 0.15" in section
    assert "--compare_dir out/toy-compare --compare_seeds 0 1 --compare_lm_steps 600" in text
    assert text.index("## Evaluation") < text.index("## With and without") < text.index("## How to reproduce")
    assert "`examples/examples.json` lists recordings" in text
    # a path to the file and the dict itself give the same card
    assert str(render_toy_card(folder, repo_id=REPO, comparison=cmp_dir / "compare_interleaving.json")) == text
    assert str(render_toy_card(folder, repo_id=REPO, comparison=COMPARISON)) == text
    # a folder that carries its comparison (train-toy copies it there; the embedded default ships one) shows it
    # without being told, and lists the file
    (folder / "compare_interleaving.json").write_text(json.dumps(COMPARISON))
    carried = str(render_toy_card(folder, repo_id=REPO))
    assert carried.split("## With and without interleaved data", 1)[1].split("\n## ", 1)[0] == section
    assert "* `compare_interleaving.json`: the with/without-interleaving comparison" in carried



def test_comparison_from_another_base_is_flagged(tmp_path):
    from recipes.toy.arguments import ToyTrainingArguments
    from recipes.toy.experiment import UPSTREAM_STAGES
    from recipes.toy.ship import comparison_base_differences
    from recipes.toy.stages import stage_settings

    folder = _toy_folder(tmp_path)
    ours = json.loads(json.dumps(stage_settings(ToyTrainingArguments(**REPORT["settings"]))))
    same = dict(COMPARISON, base_stage_settings={s: ours[s] for s in UPSTREAM_STAGES})
    assert comparison_base_differences(same, REPORT) == []
    assert "another base" not in str(render_toy_card(folder, repo_id=REPO, comparison=same))
    theirs = json.loads(json.dumps(same["base_stage_settings"]))
    theirs["speech_tokenizer"]["ctc"][0] = 4
    theirs["corpus"]["dir"] = "/elsewhere/corpus"  # a path, not a setting: not reported
    del theirs["vocoder"]["bf16"]  # a base made before the setting existed
    other = dict(COMPARISON, base_stage_settings=theirs)
    expected = ["speech_tokenizer `ctc`: [4, 0.0005, 'en-us'] there, [16, 0.0005, 'en-us'] here",
                f"vocoder `bf16`: not recorded there, {ours['vocoder']['bf16']} here"]
    assert comparison_base_differences(other, REPORT) == expected
    # the run's recorded stage settings win over recomputing them from its settings
    recorded = dict(REPORT, stage_settings=dict(ours, vocoder=dict(ours["vocoder"], steps=10)))
    assert comparison_base_differences(same, recorded) == ["vocoder `steps`: 2400 there, 10 here"]
    section = str(render_toy_card(folder, repo_id=REPO, comparison=other)).split(
        "## With and without interleaved data", 1)[1].split("\n## ", 1)[0]
    assert "**Measured on another base than this model**" in section and expected[0] in section
    # a comparison that does not record its base (older files) gets no claim either way
    assert comparison_base_differences(COMPARISON, REPORT) == []

def test_missing_files(tmp_path):
    folder = _toy_folder(tmp_path, evaluation=False)
    with pytest.raises(CardError, match=r"evaluation\.json does not exist.*spirit-lm evaluate toy"):
        render_toy_card(folder)
    (folder / "toy_training.json").unlink()
    with pytest.raises(CardError, match=r"toy_training\.json does not exist.*spirit-lm train-toy --output_dir"):
        render_toy_card(folder)
    folder = _toy_folder(tmp_path / "b")
    with pytest.raises(CardError, match=r"nowhere does not exist.*--compare_dir"):
        render_toy_card(folder, comparison=tmp_path / "nowhere")
    with pytest.raises(CardError, match=r"compare_interleaving\.json does not exist.*--compare_dir"):
        render_toy_card(folder, comparison=tmp_path)  # a folder without the json
    with pytest.raises(CardError, match="lacks table"):
        render_toy_card(folder, comparison={"seeds": [0], "lm_steps": 5})
    report = dict(REPORT, stages={k: v for k, v in REPORT["stages"].items() if k in ("corpus", "speech_tokenizer")})
    (folder / "toy_training.json").write_text(json.dumps(report))
    with pytest.raises(CardError, match="no finished 'lm' stage"):
        render_toy_card(folder)


def test_inputs_and_scratch_licence_rules(tmp_path):
    card_data, card_vars = toy_card_inputs(_toy_folder(tmp_path))
    assert card_data["license"] == "apache-2.0" and card_vars["trained_from_scratch"] is True
    assert len(toy_eval_results(EVALUATION)) == 8
    # trained_from_scratch alone defaults the licence to apache-2.0; Meta's licence with it is refused
    card = render_model_card(repo_id=REPO, variant="base", trained_from_scratch=True)
    assert card.data.license == "apache-2.0" and card.data.license_name is None
    assert "no Meta weights" in str(card)
    with pytest.raises(CardError, match="trained_from_scratch"):
        render_model_card({"license": "other"}, repo_id=REPO, variant="base", trained_from_scratch=True)
    with pytest.raises(CardError, match="sections"):
        render_model_card(repo_id=REPO, variant="base", sections=[("only a heading",)])
    # the converted default keeps Meta's licence fields
    data = render_model_card(repo_id=REPO, variant="base").data
    assert data.license == "other" and data.license_link == LICENSE_LINK
