# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Batched likelihood scoring equals a hand loop (one unpadded forward per item), for right and left padding."""

import math

import pytest
import torch

from recipes.tiny.models import build_tiny_spirit_lm
from recipes.eval.likelihood import pair_accuracy, sequence_logprobs, split_ids


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from transformers import AutoTokenizer

    import modeling_spirit  # noqa: F401
    from modeling_spirit.modeling_spirit_lm import SpiritLMForCausalLM

    path = build_tiny_spirit_lm(str(tmp_path_factory.mktemp("lik") / "tiny"), "base")
    return SpiritLMForCausalLM.from_pretrained(path).eval(), AutoTokenizer.from_pretrained(path)


def hand_score(model, tokenizer, prompt, continuation):
    p, c = split_ids(tokenizer, prompt, continuation)
    ids = torch.tensor([p + c])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0]
    total = 0.0
    for k, token in enumerate(c):
        position = len(p) - 1 + k
        total += float(torch.log_softmax(logits[position].double(), -1)[token])
    return total, len(c)


PROMPTS = ["[Text]", "[Text]The cat", "[Speech][Hu3][Hu7]", "[Text]There are seven", "[Speech]"]
CONTS = [" sees the red box", " likes", "[Hu9][Hu1][Hu400][Hu2]", " birds in the garden, said robin.", "[Hu5]"]


@pytest.mark.parametrize("side", ["right", "left"])
@pytest.mark.parametrize("batch_size", [1, 3, 8])
def test_batched_equals_hand_loop(tiny, side, batch_size):
    model, tokenizer = tiny
    scores = sequence_logprobs(model, tokenizer, PROMPTS, CONTS, batch_size=batch_size, padding_side=side)
    for prompt, cont, got in zip(PROMPTS, CONTS, scores):
        total, n = hand_score(model, tokenizer, prompt, cont)
        assert got["n_tokens"] == n
        assert got["sum"] == pytest.approx(total, abs=1e-4)
        assert got["mean"] == pytest.approx(total / n, abs=1e-5)


def test_continuation_ids_in_context(tiny):
    _, tokenizer = tiny
    p, c = split_ids(tokenizer, "[Speech][Hu3]", "[Hu9][Hu1]")
    assert tokenizer.convert_ids_to_tokens(c) == ["[Hu9]", "[Hu1]"]
    # id lists are used verbatim
    assert split_ids(tokenizer, [1, 5], [7]) == ([1, 5], [7])


def test_errors(tiny):
    model, tokenizer = tiny
    with pytest.raises(ValueError, match="2 prompts but 1"):
        sequence_logprobs(model, tokenizer, ["a", "b"], ["c"])
    with pytest.raises(ValueError, match="context is 8"):
        sequence_logprobs(model, tokenizer, ["[Text]"], [" the cat sees the red box in the garden"], max_length=8)
    with pytest.raises(ValueError, match="padding side"):
        sequence_logprobs(model, tokenizer, ["[Text]"], [" a"], padding_side="middle")


def test_pair_accuracy():
    assert pair_accuracy([1.0, 2.0, 3.0, 0.0], [0.0, 2.0, 4.0, -1.0]) == pytest.approx(2.5 / 4)
    assert math.isnan(pair_accuracy([], []))
