# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The text-initialisation comparison command (recipes/text_init_experiment.py) on a tiny GPT-2-BPE Llama text model,
a small toy corpus and the embedded toy model's speech tokenizer and vocoder: both arms are initialised, trained with
the TRL recipe and evaluated with every metric; the shared pieces (perplexity, speech-token loss, GenPPL) on their
own."""

import json
import math
import os

import pytest

from recipes.text_init_experiment import (
    TextInitArguments, format_experiment, generative_perplexity, read_heldout_text, run_text_init_experiment,
    text_perplexity,
)
from recipes.tiny.models import build_tiny_text_model


def _fake_judge(waves):
    return ["the red ball is on the table" for _ in waves]


@pytest.fixture(scope="module")
def text_model(tmp_path_factory):
    return build_tiny_text_model(str(tmp_path_factory.mktemp("text") / "llama-gpt2"), "llama", "gpt2", tied=True)


def test_heldout_text_is_shipped_and_plain():
    lines = read_heldout_text()
    assert len(lines) >= 200
    assert len(set(lines)) == len(lines)
    assert all(line.isascii() for line in lines)


def test_text_perplexity_and_genppl_are_the_model_likelihood(text_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(text_model).eval()
    tok = AutoTokenizer.from_pretrained(text_model)
    lines = ["the cat sat on the mat", "a dog ran home"]
    res = text_perplexity(model, tok, lines)
    n = sum(len(tok(line, add_special_tokens=False)["input_ids"]) - 1 for line in lines)
    assert res["tokens"] == n and res["lines"] == 2
    # the tiny random model is close to uniform over its vocabulary: the perplexity is near the vocabulary size
    assert len(tok) / 3 < res["ppl"] < len(tok) * 3
    assert math.isclose(math.log(res["ppl"]), res["nll"])
    outs = [{"prompt_text": "the cat", "hyp": "sat on the mat"}, {"prompt_text": "a dog", "hyp": ""}]
    g = generative_perplexity(model, tok, outs, "hyp")
    assert g["n"] == 1 and g["empty"] == 1 and g["tokens"] > 0 and g["ppl"] > 1


@pytest.mark.slow
def test_both_arms_train_and_evaluate(text_model, tmp_path):
    args = TextInitArguments(
        text_model=text_model, output_dir=str(tmp_path / "run"), arms=["pretrained", "random"], evaluate_init=True,
        num_sentences=40, voices=["espeak-ng:en-us+m3"], steps=2, batch_size=2, max_length=64, warmup_steps=0,
        eval_limit=2, shots=1, speech_eval_sequences=3, heldout_lines=5, progress=False, bf16=False,
    )
    result = run_text_init_experiment(args, judge=_fake_judge)
    assert set(result["arms"]) == {"pretrained", "random"}
    for arm, res in result["arms"].items():
        assert res["training"]["first_loss"] is not None
        for phase in ("init", "trained"):
            m = res[phase]["metrics"]
            for key in ("speech_token_loss", "text_ppl", "text_ppl_marker", "asr/wer", "storycloze/T/mean",
                        "storycloze/S>T/mean", "genppl", "genppl_true_rest"):
                assert key in m, (arm, phase, key, sorted(m))
            assert m["speech_token_loss"] > 0 and m["text_ppl"] > 1
    # the pretrained arm starts from the text model: its text rows are the text model's, bit for bit (its perplexity
    # is not the text model's: init re-bases RoPE to the paper's 1e5 and the new rows take a share of the softmax);
    # the random arm's weights differ
    from safetensors.torch import load_file

    def embeddings(folder):
        state = load_file(os.path.join(folder, "model.safetensors"))
        return state["model.embed_tokens.weight"]

    text_rows = embeddings(text_model)
    pre = embeddings(result["arms"]["pretrained"]["init"]["model"])
    rnd = embeddings(result["arms"]["random"]["init"]["model"])
    assert pre.shape[0] > text_rows.shape[0] and (pre[: text_rows.shape[0]] == text_rows).all()
    assert not (rnd[: text_rows.shape[0]] == text_rows).all()
    assert result["arms"]["random"]["init"]["metrics"]["text_ppl"] != result["arms"]["pretrained"]["init"]["metrics"]["text_ppl"]
    table = format_experiment(result)
    assert "pretrained, before" in table and "random, after" in table and "GenPPL" in table
    with open(tmp_path / "run" / "text_init_experiment.json") as f:
        assert json.load(f)["tokens"] == 2 * 2 * 64
    # a rerun skips every finished stage
    again = run_text_init_experiment(args, judge=_fake_judge)
    assert again["seconds_this_run"] == {}
    assert again["arms"]["random"]["trained"]["metrics"] == result["arms"]["random"]["trained"]["metrics"]


def test_init_takes_the_hubert_codebook_of_the_speech_components(text_model, tmp_path):
    """The toy speech tokenizer makes 58 phoneme units + the CTC blank: the layout gets 59 [Hu] tokens, not 501."""
    from transformers import AutoConfig, AutoTokenizer

    import modeling_spirit  # noqa: F401  (registers the Spirit LM configs)
    from processing.init_model import init_spirit_lm
    from recipes.toy import TOY_MODEL

    out = init_spirit_lm(text_model, "base", str(tmp_path / "spirit"), speech_components=str(TOY_MODEL))
    config = AutoConfig.from_pretrained(out)
    with open(os.path.join(TOY_MODEL, "config.json")) as f:
        assert config.num_hubert_units == json.load(f)["num_hubert_units"] == 59
    tok = AutoTokenizer.from_pretrained(out)
    assert tok.convert_tokens_to_ids("[Hu58]") == config.hubert_offset + 58


def test_table_shows_toy_fractions_as_the_percentages_their_labels_name():
    toy = {"metrics": [{"key": "storycloze/T/mean", "label": "toy StoryCloze accuracy (%), T", "value": 0.8333,
                        "unit": "fraction"},
                       {"key": "asr/wer", "label": "few-shot ASR WER (%)", "value": 105.6, "unit": "%"}]}
    arm = {"metrics": {"speech_token_loss": 9.978, "storycloze/T/mean": 0.8333, "asr/wer": 105.6}, "toy": toy}
    result = {"settings": {"steps": 4, "batch_size": 2, "max_length": 64, "text_model": "m"}, "tokens": 512,
              "reference": {"text_ppl": {"ppl": 70.6, "tokens": 10}},
              "arms": {"pretrained": {"init": arm, "trained": arm, "training": {"first_loss": 1.0, "last_loss": 0.5,
                                                                               "seconds": 3}}}}
    rows = {line.split(" | ")[0].strip("| "): line for line in format_experiment(result).splitlines()}
    assert rows["toy StoryCloze accuracy (%), T"].endswith("| 83.3 | 83.3 |")
    assert rows["few-shot ASR WER (%)"].endswith("| 105.6 | 105.6 |")
    assert rows["speech-token loss, held-out units (nats/token)"].endswith("| 9.978 | 9.978 |")
