# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Every evaluation task end to end on the tiny model and the built-in tiny sets; scores against hand-computed
log-likelihoods; bad input (manifests, audio, classifiers, context overflow) gives clear, counted results."""

import json
import math
import shutil

import pytest
import torch

from recipes.tiny.models import build_tiny_spirit_lm
from recipes.eval import evaluate, format_table, results_to_eval_results
from recipes.eval.data import ManifestError, load_waveform, read_manifest
from recipes.eval.likelihood import pair_accuracy
from recipes.eval.tiny_data import build_tiny_classifiers, build_tiny_sets


@pytest.fixture(scope="module")
def pipe(tmp_path_factory):
    from recipes.eval.common import load_spirit

    path = build_tiny_spirit_lm(str(tmp_path_factory.mktemp("evalm") / "tiny"), "base")
    return load_spirit(path, device="cpu")[0]


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    return build_tiny_sets(tmp_path_factory.mktemp("evalsets"))


def hand(pipe, prompt_ids, cont_ids):
    ids = torch.tensor([prompt_ids + cont_ids])
    with torch.no_grad():
        lp = torch.log_softmax(pipe.model(input_ids=ids).logits[0].double(), -1)
    total = sum(float(lp[len(prompt_ids) - 1 + k, t]) for k, t in enumerate(cont_ids))
    return total, total / len(cont_ids)


def units_of(pipe, path):
    return pipe.speech_tokenizer.encode_string(load_waveform(path))


def ids(pipe, text, bos=True):
    return pipe.tokenizer(text, add_special_tokens=bos)["input_ids"]


# ------------------------------------------------------------------------------------------------ zero-shot tasks
def test_swuggy_end_to_end_and_hand_scores(pipe, sets):
    result = evaluate("swuggy", pipe, sets["swuggy"], progress=False, save_items=True, batch_size=4)
    assert {m["key"] for m in result["metrics"]} == {"T/sum", "T/mean", "S/sum", "S/mean"}
    assert result["n_items"] == 6 and result["n_failed"] == 0
    records = read_manifest(sets["swuggy"])
    base = sets["swuggy"].rsplit("/", 1)[0]
    for record, item in list(zip(records, result["items"]))[:2]:
        for side in ("good", "bad"):
            units = units_of(pipe, f"{base}/{record[side + '_audio']}")
            total, mean = hand(pipe, ids(pipe, "[Speech]"), [pipe.tokenizer.convert_tokens_to_ids(u) for u in
                                                           ["[" + x for x in units.split("[") if x]])
            assert item["S"][side]["sum"] == pytest.approx(total, abs=1e-4)
            assert item["S"][side]["mean"] == pytest.approx(mean, abs=1e-5)
            full = ids(pipe, "[Text]" + record[side + "_text"])
            prompt = ids(pipe, "[Text]")
            total, mean = hand(pipe, prompt, full[len(prompt):])
            assert item["T"][side]["sum"] == pytest.approx(total, abs=1e-4)
    # the metrics are the pair accuracies of the per-item scores
    for m in result["metrics"]:
        mode, scoring = m["key"].split("/")
        expected = pair_accuracy([i[mode]["good"][scoring] for i in result["items"]],
                                 [i[mode]["bad"][scoring] for i in result["items"]])
        assert m["value"] == pytest.approx(expected)
        assert m["n"] == 6
    assert "S/mean" in format_table(result) and "69.0" in format_table(result)  # the paper's number beside ours


def test_storycloze_four_modes_hand_scores(pipe, sets):
    result = evaluate("topic-storycloze", pipe, sets["topic-storycloze"], progress=False, save_items=True,
                      padding_side="left")
    assert [m["key"] for m in result["metrics"][::2]] == ["T/sum", "S/sum", "T>S/sum", "S>T/sum"]
    record = read_manifest(sets["topic-storycloze"])[0]
    base = sets["topic-storycloze"].rsplit("/", 1)[0]
    item = result["items"][0]
    good_units = units_of(pipe, f"{base}/{record['good_audio']}")
    ctx_units = units_of(pipe, f"{base}/{record['context_audio']}")
    # T>S: text context, speech ending
    prompt = ids(pipe, "[Text]" + record["context_text"] + "[Speech]")
    cont = ids(pipe, "[Text]" + record["context_text"] + "[Speech]" + good_units)[len(prompt):]
    assert item["T>S"]["good"]["sum"] == pytest.approx(hand(pipe, prompt, cont)[0], abs=1e-4)
    # S>T: speech context, text ending
    prompt = ids(pipe, "[Speech]" + ctx_units + "[Text]")
    cont = ids(pipe, "[Speech]" + ctx_units + "[Text]" + record["good_text"])[len(prompt):]
    assert item["S>T"]["good"]["mean"] == pytest.approx(hand(pipe, prompt, cont)[1], abs=1e-5)


def test_bad_audio_is_counted_and_excluded(pipe, sets, tmp_path):
    src = sets["sblimp"].rsplit("/", 1)[0]
    shutil.copytree(src, tmp_path / "sblimp")
    (tmp_path / "sblimp/wav/1_bad.wav").write_bytes(b"RIFF not really a wav")
    result = evaluate("sblimp", pipe, str(tmp_path / "sblimp/manifest.jsonl"), modes="S", progress=False)
    assert result["n_items"] == 4 and result["n_failed"] == 1
    assert result["failed"][0]["id"] == "b1" and result["failed"][0]["line"] == 2
    assert all(m["n"] == 3 for m in result["metrics"])
    assert "excluded from every denominator" in result["notes"][0]


def test_malformed_manifests_name_file_and_line(pipe, tmp_path):
    bad = tmp_path / "m.jsonl"
    bad.write_text('{"id": 1, "good_text": "a", "bad_text": "b"}\n{"id": 2, "good_text": \n')
    with pytest.raises(ManifestError, match=r"m.jsonl:2: not valid JSON"):
        evaluate("swuggy", pipe, str(bad), modes="T")
    bad.write_text('{"id": 1, "good_text": "a", "bad_text": "b"}\n\n{"id": 2, "good_text": "c"}\n')
    with pytest.raises(ManifestError, match=r"m.jsonl:3: missing field\(s\) \['bad_text'\]"):
        evaluate("swuggy", pipe, str(bad), modes="T")
    bad.write_text('[1, 2]\n')
    with pytest.raises(ManifestError, match=r"m.jsonl:1: each line must be a JSON object"):
        evaluate("swuggy", pipe, str(bad), modes="T")
    with pytest.raises(ManifestError, match="does not exist"):
        evaluate("swuggy", pipe, str(tmp_path / "none.jsonl"))
    with pytest.raises(ValueError, match="Mode 'T>S' is not available for swuggy"):
        evaluate("swuggy", pipe, str(bad), modes="T>S")


# ------------------------------------------------------------------------------------------------------------ STSP
SMALL = {"t2t": 8, "s2t": 8, "t2s": 12, "s2s": 12}


def test_stsp_zero_shot_four_directions(pipe, sets):
    result = evaluate("stsp", pipe, sets["stsp"], max_new_tokens=SMALL, progress=False, save_items=True)
    keys = [m["key"] for m in result["metrics"]]
    assert keys == ["t2t", "t2s", "s2t", "s2s", "average"]
    values = [m["value"] for m in result["metrics"]]
    assert values[-1] == pytest.approx(sum(values[:4]) / 4)
    for direction, preds in result["predictions"].items():
        assert len(preds) == 6
        hits = [p["pred"] == p["gold"] for p in preds]
        assert result["metrics"][keys.index(direction)]["value"] == pytest.approx(sum(hits) / 6)
        assert all(p["pred"] in ("negative", "neutral", "positive", None) for p in preds)
    assert result["metrics"][0]["paper"] == 0.65 and result["settings"]["temperature"] == 0.8


def test_stsp_few_shot_prompt_keeps_the_test_item(pipe, sets):
    result = evaluate("stsp", pipe, sets["stsp"], directions="t2t,s2s", shots=3, max_new_tokens=SMALL,
                      progress=False, save_items=True)
    t2t = result["predictions"]["t2t"]
    prompts = [p["prompt"] for p in t2t]
    assert len(set(prompts)) == 6  # the original's bug gave every item the same prompt
    records = read_manifest(sets["stsp"])
    for p, r in zip(t2t, records):
        examples, item = p["prompt"].rsplit("\n", 1)
        assert item == "[Text]" + r["asr"] and examples.count("[Text]") == 6 and p["shots"] == 3
    s2s = result["predictions"]["s2s"][0]["prompt"]
    assert s2s.count("\n") == 3 and s2s.endswith("[Hu" + s2s.rsplit("[Hu", 1)[1])


def test_stsp_context_overflow_drops_shots_and_says_so(pipe, sets):
    config = pipe.model.config
    old = config.max_position_embeddings
    try:
        config.max_position_embeddings = 40
        result = evaluate("stsp", pipe, sets["stsp"], directions="t2t", shots=3, max_new_tokens={"t2t": 8},
                          progress=False, save_items=True)
    finally:
        config.max_position_embeddings = old
    shots = [p["shots"] for p in result["predictions"]["t2t"]]
    assert all(s < 3 for s in shots)
    assert result["metrics"][0]["n_fewer_shots"] == 6
    assert any("fewer than 3 shots" in n for n in result["notes"])


def test_stsp_classifier_labels_must_map(pipe, sets, tmp_path):
    build_tiny_classifiers(tmp_path, speech_labels=("happy", "surprised", "sad"))
    with pytest.raises(ValueError, match=r"\['surprised'\] do not map to the three sentiments"):
        evaluate("stsp", pipe, sets["stsp"], directions="t2s", speech_classifier=str(tmp_path / "speech_classifier"))


# -------------------------------------------------------------------------------------------- few-shot ASR/TTS/IC
def test_asr_and_intent_few_shot(pipe, sets):
    asr = evaluate("asr", pipe, sets["asr"], shots=3, max_new_tokens=10, progress=False, save_items=True)
    assert asr["metrics"][0]["name"] == "wer" and asr["n_items"] == 5 and len(asr["settings"]["shot_ids"]) == 3
    import jiwer

    from recipes.eval.metrics.wer.wer import normalize_text

    refs = [normalize_text(i["reference"]) for i in asr["items"]]
    hyps = [normalize_text(i["hypothesis"]) for i in asr["items"]]
    assert asr["metrics"][0]["value"] == pytest.approx(100 * jiwer.wer(refs, hyps))
    intent = evaluate("intent", pipe, sets["intent"], shots=4, max_new_tokens=6, progress=False)
    assert intent["metrics"][0]["name"] == "accuracy" and intent["metrics"][0]["n"] == 4
    assert intent["metrics"][0]["paper"] == pytest.approx(0.719)


def test_asr_context_limit_gives_fewer_shots(pipe, sets):
    # the tiny items with 3 examples need about 110 tokens + 10 new; with 1 example about 60
    result = evaluate("asr", pipe, sets["asr"], shots=3, max_new_tokens=10, context=100, progress=False,
                      save_items=True)
    assert result["settings"]["context"] == 100
    fewer = [i for i in result["items"] if i["shots"] < 3]
    assert fewer and any("fewer than 3 shots" in n for n in result["notes"])
    assert result["metrics"][1]["n_fewer_shots"] == len(fewer)
    tight = evaluate("asr", pipe, sets["asr"], shots=3, max_new_tokens=10, context=60, progress=False)
    assert tight["n_too_long"] >= 1 and tight["n_failed"] == 0
    assert any("do not fit the 60-token context" in n for n in tight["notes"])
    assert tight["metrics"][0]["n"] == 5 - tight["n_too_long"]


def test_tts_with_a_pluggable_judge(pipe, sets):
    heard = []

    def judge(waves):
        heard.extend(waves)
        return ["the cat sees the red box"] * len(waves)

    result = evaluate("tts", pipe, sets["tts"], shots=2, max_new_tokens=20, judge=judge, progress=False,
                      save_items=True)
    assert len(heard) == result["metrics"][0]["n"] == 6
    import jiwer

    refs = [i["reference"] for i in result["items"]]
    assert result["metrics"][0]["value"] == pytest.approx(100 * jiwer.cer(refs, ["the cat sees the red box"] * 6))


# ----------------------------------------------------------------------------------------- CLI, metrics, cards
def test_cli_writes_json_and_cards_take_it(sets, tmp_path, pipe):
    from hub_cards import render_model_card
    from recipes.cli import main

    model = pipe.model.name_or_path
    out = tmp_path / "r.json"
    assert main(["evaluate", "swuggy", "--model", model, "--data", sets["swuggy"], "--output", str(out),
                 "--modes", "T", "--no-progress", "--device", "cpu"]) == 0
    result = json.loads(out.read_text())
    for key in ("task", "metrics", "n_items", "settings", "model_revision", "package_version"):
        assert key in result
    assert result["metrics"][1]["key"] == "T/mean" and result["metrics"][1]["paper"] == 0.803
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "swuggy", "--model", model, "--data", str(tmp_path / "missing.jsonl")])
    assert exit_info.value.code == 1
    eval_results = results_to_eval_results(str(out), dataset_split="dev")
    assert eval_results[1]["metric_value"] == round(100 * result["metrics"][1]["value"], 2)
    card = render_model_card({"eval_results": eval_results}, repo_id="me/spirit-ft", variant="base")
    assert "model-index" in str(card) and "sWUGGY" in str(card)


def test_local_metric_modules_load_offline():
    import evaluate as hf_evaluate

    from recipes.eval.metrics import metric_path

    assert hf_evaluate.load(metric_path("wer")).compute(predictions=["The cat, sat"], references=["the cat sat down"])[
        "wer"] == pytest.approx(0.25)
    assert hf_evaluate.load(metric_path("cer")).compute(predictions=["abc"], references=["abd"])["cer"] == \
        pytest.approx(1 / 3)
    acc = hf_evaluate.load(metric_path("accuracy")).compute(predictions=["Play music", None], references=["play music", "x"])
    assert acc["accuracy"] == 0.5
    assert math.isnan(hf_evaluate.load(metric_path("accuracy")).compute(predictions=[], references=[])["accuracy"])
