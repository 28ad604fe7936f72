# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Model cards: render, parse the YAML front-matter back, check every machine-readable fact; errors for bad inputs."""

import json
import re

import pytest
from huggingface_hub import EvalResult, ModelCard, ModelCardData

from hub_cards import (
    DEFAULT_TAGS,
    LICENSE_LINK,
    LICENSE_NAME,
    MODEL_CARD_TEMPLATE,
    CardError,
    describe_folder,
    render_model_card,
)

REPO = "spirit-test/spirit-lm-tiny"


def _config_folder(tmp_path, variant="expressive"):
    """A folder with only a config.json (describe_folder reads nothing else) and a few empty files."""
    from modeling_spirit import SpiritLMConfig
    from recipes.tiny.models import tiny_config_kwargs

    SpiritLMConfig(**tiny_config_kwargs(variant)).save_pretrained(tmp_path)
    for name in ("model.safetensors", "tokenizer.model", "vocoder/model.safetensors", "modeling_spirit_lm.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    return tmp_path


def test_template_is_package_data():
    assert MODEL_CARD_TEMPLATE.is_file()
    setup = (MODEL_CARD_TEMPLATE.parent.parent / "setup.py").read_text()
    assert '"hub_cards": ["*.md"]' in setup


def test_render_and_parse_back(tmp_path):
    folder = _config_folder(tmp_path)
    results = [
        {"task_type": "automatic-speech-recognition", "dataset_type": "openslr/librispeech_asr",
         "dataset_name": "LibriSpeech", "dataset_split": "test.clean", "metric_type": "wer", "metric_value": 21.9},
        EvalResult(task_type="text-to-speech", dataset_type="spirit-test/stories", dataset_name="Stories",
                   metric_type="accuracy", metric_value=0.61, metric_name="spoken StoryCloze"),
    ]
    card = render_model_card(
        {"base_model": "meta-llama/Llama-2-7b-hf", "datasets": ["spirit-test/speech-corpus"], "tags": ["my-tag"],
         "eval_results": results},
        repo_id=REPO, revision="v1.0", training_hyperparameters={"learning_rate": 2e-5, "num_train_epochs": 3},
        **describe_folder(folder),
    )
    text = str(card)
    data = ModelCard(text).data  # parse the README.md back as the Hub does
    assert data.license == "other"
    assert data.license_name == LICENSE_NAME == "fair-noncommercial-research-license"
    assert data.license_link == LICENSE_LINK == "https://github.com/facebookresearch/spiritlm/blob/main/LICENSE"
    assert data.base_model == "meta-llama/Llama-2-7b-hf"
    assert data.pipeline_tag == "any-to-any"
    assert data.library_name == "transformers"
    assert data.datasets == ["spirit-test/speech-corpus"]
    assert data.tags[: len(DEFAULT_TAGS)] == list(DEFAULT_TAGS) and data.tags[-1] == "my-tag"
    assert {"spirit-lm", "speech", "text-to-speech", "automatic-speech-recognition", "interleaved"} <= set(data.tags)
    assert data.model_name == "spirit-lm-tiny"
    got = [(r.task_type, r.dataset_name, r.metric_type, r.metric_value) for r in data.eval_results]
    assert got == [("automatic-speech-recognition", "LibriSpeech", "wer", 21.9),
                   ("text-to-speech", "Stories", "accuracy", 0.61)]
    # prose: licence twice (weights vs code), pinned usage snippet, variant, layout, files, hyper-parameters
    assert "FAIR Noncommercial Research License" in text and "Apache-2.0" in text
    assert f'pipeline("spirit-lm", model="{REPO}", revision="v1.0", trust_remote_code=True)' in text
    assert "**expressive**" in text
    assert "| `[Pi0]`…`[Pi63]` | 1015–1078 |" in text and "| `[St0]`…`[St99]` | 1079–1178 |" in text
    assert "* `vocoder/model.safetensors`: vocoder weights" in text
    assert "* `modeling_spirit_lm.py`: remote code (Apache-2.0)" in text
    assert "| learning_rate | 2e-05 |" in text
    assert "| automatic-speech-recognition | LibriSpeech (test.clean) | wer | 21.9 |" in text
    assert "Random weights" not in text
    # tables are contiguous (no blank line between a header and its rows)
    assert not re.search(r"\|\n\n\|", text)


def test_defaults_and_model_card_data_input():
    card = render_model_card(ModelCardData(tags=["extra"], language="en"), repo_id=REPO, variant="base")
    data = card.data
    assert data.license == "other" and data.license_name == LICENSE_NAME and data.pipeline_tag == "any-to-any"
    assert data.language == "en" and "extra" in data.tags and data.base_model is None
    assert data.eval_results is None and "model-index" not in str(card)
    assert 'revision="main"' in str(card) and "## Base model" not in str(card)
    # the caller may override a default fact (e.g. a narrower pipeline tag)
    assert render_model_card({"pipeline_tag": "text-to-speech"}, repo_id=REPO, variant="base").data.pipeline_tag == (
        "text-to-speech")


@pytest.mark.parametrize(
    "card_data, template_vars, match",
    [
        ({}, {"variant": "base"}, "missing repo_id"),
        ({}, {"repo_id": REPO}, "missing variant"),
        ({}, {}, "missing repo_id, variant"),
        ({}, {"repo_id": "not a repo", "variant": "base"}, "repo_id = 'not a repo'"),
        ({}, {"repo_id": REPO, "variant": "large"}, "variant is 'large'"),
        ({"base_model": "no/such/thing"}, {"repo_id": REPO, "variant": "base"}, "base_model"),
        ({"license_link": ""}, {"repo_id": REPO, "variant": "base"}, "license_link"),
        ({"eval_results": [{"metric_type": "wer"}]}, {"repo_id": REPO, "variant": "base"}, r"eval_results\[0\]"),
        ({}, {"repo_id": REPO, "variant": "base", "training_hyperparameters": [1, 2]}, "training_hyperparameters"),
        ("license: other", {"repo_id": REPO, "variant": "base"}, "card_data is a str"),
    ],
)
def test_bad_inputs(card_data, template_vars, match):
    with pytest.raises(CardError, match=match):
        render_model_card(card_data, **template_vars)


def test_describe_folder(tmp_path):
    folder = _config_folder(tmp_path, "base")
    (folder / "tiny_build.json").write_text(json.dumps({"version": 1}))
    (folder / ".cache").mkdir()
    (folder / ".cache" / "x.lock").write_text("")
    info = describe_folder(folder)
    assert info["variant"] == "base" and info["random_weights"] is True
    paths = [p for p, _ in info["files"]]
    assert paths[0] == "README.md" and "tiny_build.json" not in paths and not any(".cache" in p for p in paths)
    assert not any("Pi" in name for name, _ in info["layout"])
    text = str(render_model_card(repo_id=REPO, **info))
    assert "Random weights" in text and "**base**" in text
    with pytest.raises(CardError, match="no config.json"):
        describe_folder(tmp_path / "missing")
