# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Spirit LM's generate costs what plain ``LlamaForCausalLM.generate`` costs (same ids): no signature inspection of
the forward or of the modality processor at every decoding step (transformers does it for remote-code classes)."""

import inspect

import torch
from transformers import LogitsProcessorList

from modeling_spirit.configuration_spirit_lm import SpiritLMConfig
from modeling_spirit.modeling_spirit_lm import SpiritLMForCausalLM, SpiritLMModalityLogitsProcessor
from recipes.tiny.models import plain_llama_twin

NEW = 12


def _pair():
    cfg = SpiritLMConfig(variant="base", text_vocab_size=256, hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2, tie_word_embeddings=False)
    torch.manual_seed(0)
    ours = SpiritLMForCausalLM(cfg).eval()
    return ours, plain_llama_twin(ours)


def test_same_ids_as_plain_llama_generate():
    ours, plain = _pair()
    ids = torch.randint(3, 256, (2, 7), generator=torch.Generator().manual_seed(1))
    kw = dict(max_new_tokens=NEW, do_sample=False, pad_token_id=2)
    for modality in ("text", "speech", "arbitrary"):
        got = ours.generate(ids, output_modality=modality, **kw)
        want = plain.generate(ids, logits_processor=LogitsProcessorList(
            [SpiritLMModalityLogitsProcessor(ours.config, modality)]), **kw)
        assert torch.equal(got, want), modality
    assert torch.equal(ours(ids).logits, plain(ids).logits)
    assert list(inspect.signature(ours.forward).parameters) == list(inspect.signature(plain.forward).parameters)


def test_no_signature_inspection_per_decoding_step(monkeypatch):
    ours, _ = _pair()
    SpiritLMForCausalLM.register_for_auto_class("AutoModelForCausalLM")  # as every loaded/converted folder does
    assert ours.is_remote_code()
    computed = []
    real = inspect.signature

    def counting(obj, *args, **kwargs):
        if getattr(getattr(obj, "__func__", obj), "__signature__", None) is None:
            computed.append(getattr(obj, "__qualname__", repr(obj)))
        return real(obj, *args, **kwargs)

    monkeypatch.setattr(inspect, "signature", counting)
    ids = torch.randint(3, 256, (1, 5), generator=torch.Generator().manual_seed(2))
    ours.generate(ids, output_modality="text", max_new_tokens=NEW, min_new_tokens=NEW, do_sample=False,
                  pad_token_id=2)
    per_step = [name for name in set(computed) if computed.count(name) >= NEW]
    assert not [n for n in per_step if "SpiritLM" in n or n.endswith("forward")], per_step
