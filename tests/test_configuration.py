# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
import pytest

from modeling_spirit import SpiritLMConfig


def test_base_7b_layout():
    c = SpiritLMConfig()
    assert (c.text_vocab_size, c.text_marker_id, c.speech_marker_id) == (32000, 32000, 32001)
    assert c.stream_ranges == {"hubert": (32002, 501), "pitch": (32503, 0), "style": (32503, 0)}
    assert c.vocab_size == 32512 and c.padding_ids == list(range(32503, 32512))
    assert (c.hidden_size, c.num_hidden_layers, c.max_position_embeddings) == (4096, 32, 4096)
    assert c.rope_parameters["rope_theta"] == 100000.0  # the paper raised RoPE theta to 1e5


def test_expressive_7b_layout():
    c = SpiritLMConfig(variant="expressive")
    assert c.stream_ranges == {"hubert": (32002, 501), "pitch": (32503, 64), "style": (32567, 100)}
    assert c.vocab_size == 32768 and c.padding_ids == list(range(32667, 32768))
    toks = dict(c.layout_tokens())
    assert toks[32000] == "[Text]" and toks[32001] == "[Speech]" and toks[32002] == "[Hu0]"
    assert toks[32502] == "[Hu500]" and toks[32503] == "[Pi0]" and toks[32566] == "[Pi63]"
    assert toks[32567] == "[St0]" and toks[32666] == "[St99]" and len(toks) == 667
    assert (c.hubert_rate, c.pitch_rate, c.style_rate, c.default_speaker) == (24.99, 12.5, 1.0, 2)


def test_unit_id_conversion():
    c = SpiritLMConfig(variant="expressive")
    assert c.units_to_ids("hubert", [0, 500]) == [32002, 32502]
    assert c.unit_to_id("pitch", 63) == 32566 and c.unit_to_id("style", 0) == 32567
    assert c.id_to_unit(32502) == ("hubert", 500) and c.id_to_unit(32567) == ("style", 0)
    assert c.id_to_unit(32000) is None and c.id_to_unit(5) is None and c.id_to_unit(32700) is None
    assert c.is_text_id(31999) and not c.is_text_id(32000) and c.is_marker_id(32001)
    with pytest.raises(ValueError, match=r"\[Hu0\]..\[Hu500\]"):
        c.units_to_ids("hubert", [731])
    with pytest.raises(ValueError, match="no pitch units"):
        SpiritLMConfig().units_to_ids("pitch", [1])
    with pytest.raises(ValueError, match="Unknown unit stream"):
        c.units_to_ids("energy", [1])


def test_small_layout_follows_same_rules():
    c = SpiritLMConfig(text_vocab_size=300, hidden_size=32, num_attention_heads=4)
    assert (c.text_marker_id, c.speech_marker_id, c.hubert_offset) == (300, 301, 302)
    assert c.vocab_size == 832  # 803 used ids rounded up to 64


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(vocab_size=32000), "at least 32503"),
        (dict(variant="expresive"), "allowed"),
        (dict(variant="base", num_pitch_units=64), "no pitch or style"),
        (dict(hubert_offset=31000), "inside the text vocabulary"),
        (dict(variant="expressive", style_offset=32560), "overlap"),
    ],
)
def test_validation_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SpiritLMConfig(**kwargs)


def test_save_load(tmp_path):
    c = SpiritLMConfig(variant="expressive", hidden_size=32, num_attention_heads=4, num_hidden_layers=1)
    c.save_pretrained(tmp_path)
    d = SpiritLMConfig.from_pretrained(tmp_path)
    assert d.to_dict() == c.to_dict() and d.stream_ranges == c.stream_ranges


def test_saved_custom_pipelines_do_not_depend_on_the_package_being_imported(tmp_path):
    """A config read from a Hub-ready config.json saves its `custom_pipelines` back, even though the imported package
    (which serves pipeline("spirit-lm") itself) makes the loaded config set the entry aside."""
    import json

    import modeling_spirit  # noqa: F401  (registers the pipeline: the entry is set aside on load)
    from modeling_spirit.hub_folder import CUSTOM_PIPELINE

    small = dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64, text_vocab_size=100)
    SpiritLMConfig(**small).save_pretrained(tmp_path / "fresh")
    assert "custom_pipelines" not in json.loads((tmp_path / "fresh" / "config.json").read_text())
    data = json.loads((tmp_path / "fresh" / "config.json").read_text())
    data["custom_pipelines"] = CUSTOM_PIPELINE
    (tmp_path / "fresh" / "config.json").write_text(json.dumps(data))
    loaded = SpiritLMConfig.from_pretrained(tmp_path / "fresh")
    assert not getattr(loaded, "custom_pipelines", None)  # pipeline() uses the installed package
    loaded.save_pretrained(tmp_path / "again")
    saved = json.loads((tmp_path / "again" / "config.json").read_text())
    assert saved["custom_pipelines"] == CUSTOM_PIPELINE and "_saved_custom_pipelines" not in saved
