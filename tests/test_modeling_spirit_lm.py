# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Language model: modality constraints (default and original), batched generation, id splitting, remote code."""

import json

import pytest
import torch

from modeling_spirit import (
    SpiritLMConfig,
    SpiritLMForCausalLM,
    SpiritLMModalityLogitsProcessor,
    banned_token_ids,
    split_generated_ids,
)
from modeling_spirit.modeling_spirit_lm import (
    OutputModality,
    continued_speech_start,
    decode_text_ids,
    ids_to_unit_string,
    keep_later_speech_segment,
    strip_text_segments,
)
from recipes.tiny.models import build_tiny_spirit_lm, tiny_config_kwargs


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory):
    return build_tiny_spirit_lm(str(tmp_path_factory.mktemp("m") / "tiny-base"), variant="base")


@pytest.fixture(scope="module")
def tiny_expressive(tmp_path_factory):
    return build_tiny_spirit_lm(str(tmp_path_factory.mktemp("m") / "tiny-expr"), variant="expressive")


# --- banned sets ---------------------------------------------------------------------------------------------------
def test_original_banned_sets_exact():
    base, expr = SpiritLMConfig(), SpiritLMConfig(variant="expressive")
    assert banned_token_ids(base, "text", original=True) == [32000, 32001] + list(range(32002, 32503))
    assert banned_token_ids(expr, "TEXT", original=True) == [32000, 32001] + list(range(32002, 32667))
    assert banned_token_ids(base, "speech", original=True) == [32000, 32001] + list(range(32000))
    assert banned_token_ids(expr, "arbitrary", original=True) == []


def test_default_banned_sets():
    expr = SpiritLMConfig(variant="expressive")
    text = set(banned_token_ids(expr, "text"))
    assert text == set(range(32000, 32768))
    speech = set(banned_token_ids(expr, "speech"))
    assert 2 not in speech and set(range(32002, 32667)).isdisjoint(speech)  # units and EOS allowed
    assert {0, 1, 3, 31999, 32000, 32001, 32667, 32767} <= speech  # text, markers, padding banned
    assert banned_token_ids(expr, "arbitrary") == list(range(32667, 32768))  # padding rows only
    base = SpiritLMConfig()
    assert set(range(32503, 32512)) <= set(banned_token_ids(base, "speech"))  # base padding rows never generated


def test_unknown_modality():
    with pytest.raises(ValueError, match="'text', 'speech' or 'arbitrary'"):
        OutputModality.parse("audio")


def test_processor_sets_exact_minus_inf():
    config = SpiritLMConfig(**tiny_config_kwargs("base"))
    proc = SpiritLMModalityLogitsProcessor(config, "speech")
    scores = torch.randn(3, config.vocab_size)
    out = proc(torch.zeros(3, 1, dtype=torch.long), scores.clone())
    banned = banned_token_ids(config, "speech")
    assert torch.isneginf(out[:, banned]).all()
    allowed = sorted(set(range(config.vocab_size)) - set(banned))
    assert torch.equal(out[:, allowed], scores[:, allowed])


@pytest.mark.parametrize("variant", ["base", "expressive"])
def test_constrained_batched_generation(variant, tiny_base, tiny_expressive):
    path = tiny_base if variant == "base" else tiny_expressive
    model = SpiritLMForCausalLM.from_pretrained(path).eval()
    config = model.config
    # A batch with left padding.
    ids = torch.tensor([[2, 2, 1, 5, 6], [1, 7, 8, 9, 10]])
    mask = torch.tensor([[0, 0, 1, 1, 1], [1, 1, 1, 1, 1]])
    for modality, ok in [("text", config.is_text_id), ("speech", lambda i: config.is_speech_id(i) or i == 2)]:
        out = model.generate(input_ids=ids, attention_mask=mask, output_modality=modality, max_new_tokens=12,
                             do_sample=True, top_k=0, pad_token_id=2)
        new = out[:, ids.shape[1]:]
        assert all(ok(int(t)) for t in new.flatten()), (modality, new)
    # Original speech mode never stops at EOS: always max_new_tokens units.
    out = model.generate(input_ids=ids, attention_mask=mask, output_modality="speech", original_banned_tokens=True,
                         max_new_tokens=12, do_sample=True, pad_token_id=2)
    assert all(config.is_speech_id(int(t)) or int(t) in config.padding_ids for t in out[:, 5:].flatten())


def test_batched_greedy_equals_one_by_one(tiny_base):
    model = SpiritLMForCausalLM.from_pretrained(tiny_base).eval()
    prompts = [[1, 5, 6], [1, 7, 8, 9, 10, 11]]
    singles = [model.generate(input_ids=torch.tensor([p]), max_new_tokens=8, do_sample=False,
                              output_modality="text", pad_token_id=2)[0, len(p):].tolist() for p in prompts]
    from modeling_spirit.processing_spirit_lm import left_pad

    ids, mask = left_pad(prompts, 2)
    out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=8, do_sample=False,
                         output_modality="text", pad_token_id=2)
    assert [row[ids.shape[1]:].tolist() for row in out] == singles


# --- splitting by id range ----------------------------------------------------------------------------------------
def test_split_generated_ids_arbitrary():
    c = SpiritLMConfig(variant="expressive")
    hu = lambda u: c.unit_to_id("hubert", u)  # noqa: E731
    new = [10, 11, c.speech_marker_id, c.unit_to_id("style", 3), hu(4), hu(5), c.text_marker_id, 12,
           c.speech_marker_id, c.text_marker_id, 13, 2, 2]
    segs = split_generated_ids(new, c, "arbitrary")
    assert [(s.type, s.ids) for s in segs] == [
        ("text", [10, 11]), ("speech", [c.unit_to_id("style", 3), hu(4), hu(5)]), ("text", [12, 13])]
    assert ids_to_unit_string(c, segs[1].ids) == "[St3][Hu4][Hu5]"
    # text / speech modes give exactly one segment
    assert [s.type for s in split_generated_ids([hu(1), 2], c, "speech")] == ["speech"]
    assert split_generated_ids([], c, "text")[0].ids == []
    # padding rows are dropped
    assert split_generated_ids([32700, hu(1)], c, "arbitrary")[0].ids == [hu(1)]


def test_split_continuation_of_prompt_speech():
    c = SpiritLMConfig()
    hu = lambda u: c.unit_to_id("hubert", u)  # noqa: E731
    prompt = [1, c.text_marker_id, 50, c.speech_marker_id, hu(1), hu(2), hu(3)]
    segs = split_generated_ids([hu(4), hu(5), 60], c, "arbitrary", prompt_ids=prompt)
    assert segs[0].context_ids == [hu(1), hu(2), hu(3)] and segs[0].ids == [hu(4), hu(5)]
    # prompt ending in text: no context
    segs = split_generated_ids([hu(4)], c, "arbitrary", prompt_ids=prompt + [c.text_marker_id, 70])
    assert segs[0].context_ids == []


def test_id_layout_classifies_by_the_config():
    from modeling_spirit.output_spirit_lm import SpiritLMIdLayout

    c = SpiritLMConfig(variant="expressive")
    layout = SpiritLMIdLayout(c)
    hu, pi = c.unit_to_id("hubert", 4), c.unit_to_id("pitch", 1)
    assert [layout.kind(i) for i in (10, c.text_marker_id, 2, hu, pi, 32700)] == ["text", None, None, "speech",
                                                                                  "speech", None]
    assert layout.kind(hu, "text") is None and layout.kind(10, "speech") is None
    assert layout.count_hubert([hu, pi, hu, 10]) == 2 and layout.has_stream([hu, pi], "pitch")
    assert layout.prompt_speech_run([1, 10, c.speech_marker_id, pi, hu, 2]) == [pi, hu]
    assert layout.prompt_speech_run([1, hu, 10]) == []


def test_speech_rules_decide_what_is_vocoded():
    from modeling_spirit.modeling_spirit_lm import SpiritLMSegment
    from modeling_spirit.output_spirit_lm import SpiritLMIdLayout, SpiritLMSpeechRules

    c = SpiritLMConfig()
    layout = SpiritLMIdLayout(c)
    hus = lambda n, start=0: [c.unit_to_id("hubert", start + u) for u in range(n)]  # noqa: E731
    rules = SpiritLMSpeechRules()
    assert rules.plan(layout, SpiritLMSegment("speech", hus(3)), 0, "arbitrary").ids == hus(3)  # the first is kept
    assert rules.plan(layout, SpiritLMSegment("speech", hus(23)), 1, "arbitrary") is None  # a short later one
    assert rules.plan(layout, SpiritLMSegment("speech", hus(24)), 1, "arbitrary") is not None
    assert rules.plan(layout, SpiritLMSegment("speech", []), 0, "arbitrary") is None
    assert rules.plan(layout, SpiritLMSegment("speech", []), 0, "speech").ids == []  # an empty waveform
    # Continuing the prompt's speech: vocoded with the context and cut (the original), or alone (the departure).
    seg = SpiritLMSegment("speech", hus(24, 10), context_ids=hus(5))
    plan = rules.plan(layout, seg, 0, "arbitrary")
    assert plan.ids == hus(5) + hus(24, 10) and (plan.n_context_hubert, plan.n_total_hubert) == (5, 29)
    alone = SpiritLMSpeechRules(continue_prompt_speech=False).plan(layout, seg, 0, "arbitrary")
    assert alone.ids == hus(24, 10) and alone.n_context_hubert == 0
    short = SpiritLMSegment("speech", hus(23, 10), context_ids=hus(5))
    assert rules.plan(layout, short, 0, "arbitrary") is None
    assert SpiritLMSpeechRules(continue_prompt_speech=False).plan(layout, short, 0, "arbitrary") is None
    assert rules.min_new_hubert(0, True, "arbitrary") == 24 and rules.min_new_hubert(0, False, "arbitrary") == 1
    assert rules.min_new_hubert(1, False, "speech") == 1


def test_continued_speech_thresholds():
    # n_content = count + 1 (the original's off-by-one): 3 context + 21 new -> 25 - 3 = 22 < 25 -> dropped
    assert continued_speech_start(16000, 3, 24) is None
    assert continued_speech_start(16000, 3, 27) == -(-16000 * 3 // 28)
    assert keep_later_speech_segment(24) and not keep_later_speech_segment(23)


def test_decode_text_keeps_leading_space_and_strip(tiny_base):
    from modeling_spirit import SpiritLMTokenizer

    tok = SpiritLMTokenizer.from_pretrained(tiny_base)
    c = SpiritLMConfig.from_pretrained(tiny_base)
    ids = tok(" the fox", add_special_tokens=False)["input_ids"][1:]  # drop the dummy-prefix piece
    assert decode_text_ids(tok, c, ids) == " the fox"
    assert strip_text_segments(["  a ", None, " b  "]) == ["a ", None, " b"]


# --- remote code round trip, in a fresh process without the package ----------------------------------------------
def test_remote_code_round_trip(tiny_expressive, tmp_path):
    from remote_code import run_without_package

    script = f"""
import json, torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer
path = {str(tiny_expressive)!r}
cfg = AutoConfig.from_pretrained(path, trust_remote_code=True)
model = AutoModelForCausalLM.from_pretrained(path, trust_remote_code=True)
tok = AutoTokenizer.from_pretrained(path, trust_remote_code=True)
ids = tok('[Text]The cat', return_tensors='pt')
out = model.generate(**ids, max_new_tokens=6, do_sample=False, output_modality='speech', pad_token_id=2)
new = out[0, ids['input_ids'].shape[1]:].tolist()
print(json.dumps({{'cls': type(model).__name__, 'cfg': type(cfg).__name__, 'tok': type(tok).__name__,
                  'vocab': cfg.vocab_size, 'style_offset': cfg.style_offset, 'new': new}}))
"""
    res = run_without_package(script, tmp_path)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["cls"] == "SpiritLMForCausalLM" and out["cfg"] == "SpiritLMConfig"
    assert out["tok"].startswith("SpiritLMTokenizer")
    c = SpiritLMConfig.from_pretrained(tiny_expressive)
    assert out["vocab"] == c.vocab_size and out["style_offset"] == c.style_offset
    assert all(c.is_speech_id(i) or i == 2 for i in out["new"])
    # same ids as in this process
    model = SpiritLMForCausalLM.from_pretrained(tiny_expressive).eval()
    from modeling_spirit import SpiritLMTokenizerFast

    ids = SpiritLMTokenizerFast.from_pretrained(tiny_expressive)("[Text]The cat", return_tensors="pt")
    here = model.generate(**ids, max_new_tokens=6, do_sample=False, output_modality="speech", pad_token_id=2)
    assert here[0, ids["input_ids"].shape[1]:].tolist() == out["new"]
