# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Stand-in original language-model checkpoints (spec §9.2 item 7), built offline with seeded random weights.

Layout written under ``CKPT/spiritlm_model/spirit-lm-<variant>-7b/``: a tiny ``LlamaConfig`` with the real vocabulary
size (32512 / 32768), ``pytorch_model.bin`` (a pickled state dict, as the original), ``generation_config.json``, and a
SentencePiece ``tokenizer.model`` with the real 32000-id text layout (a small trained BPE model padded with unused
pieces) followed by the speech tokens as USER_DEFINED pieces — or, with ``speech_tokens_as_added=True``, the 32000 text
pieces only and the speech tokens declared as HF added tokens in ``tokenizer_config.json``.
"""

import json
import os
import tempfile
from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM

from modeling_spirit.configuration_spirit_lm import SpiritLMConfig
from recipes.tiny.models import tiny_corpus
from modeling_spirit.tokenization_spirit_lm import add_layout_pieces, train_text_sentencepiece

TINY_LLAMA = dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=4, max_position_embeddings=4096, rms_norm_eps=1e-5,
                  tie_word_embeddings=False, bos_token_id=1, eos_token_id=2)


def real_layout_sp_model(variant: str, out_path: str, with_speech_pieces: bool = True) -> str:
    """A SentencePiece model with 32000 text ids (+ the speech pieces at their real ids)."""
    layout = SpiritLMConfig(variant=variant, **{k: TINY_LLAMA[k] for k in ("hidden_size", "num_attention_heads")})
    with tempfile.TemporaryDirectory() as tmp:
        text = train_text_sentencepiece(tiny_corpus(), 400, os.path.join(tmp, "text"))
        data = Path(text).read_bytes()
    data = add_layout_pieces(data, layout.layout_tokens() if with_speech_pieces else [], pad_text_to=32000)
    Path(out_path).write_bytes(data)
    return out_path


def build_lm_standin(checkpoints_dir, variant: str = "base", seed: int = 0, speech_tokens_as_added: bool = False,
                     drop_key: str = None, extra_key: str = None) -> Path:
    layout = SpiritLMConfig(variant=variant)
    lm_dir = Path(checkpoints_dir) / "spiritlm_model" / f"spirit-lm-{variant}-7b"
    lm_dir.mkdir(parents=True, exist_ok=True)
    config = LlamaConfig(vocab_size=layout.vocab_size, **TINY_LLAMA)
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    model.config.save_pretrained(str(lm_dir))
    model.generation_config.save_pretrained(str(lm_dir))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    if drop_key:
        state.pop(drop_key)
    if extra_key:
        state[extra_key] = torch.zeros(3)
    torch.save(state, lm_dir / "pytorch_model.bin")
    real_layout_sp_model(variant, str(lm_dir / "tokenizer.model"), with_speech_pieces=not speech_tokens_as_added)
    tok_cfg = {"add_bos_token": True, "add_eos_token": False, "bos_token": "<s>", "eos_token": "</s>",
               "unk_token": "<unk>", "legacy": True, "tokenizer_class": "LlamaTokenizer"}
    if speech_tokens_as_added:
        tok_cfg["added_tokens_decoder"] = {
            str(i): {"content": t, "special": False, "normalized": True, "lstrip": False, "rstrip": False,
                     "single_word": False}
            for i, t in layout.layout_tokens()
        }
    (lm_dir / "tokenizer_config.json").write_text(json.dumps(tok_cfg))
    (lm_dir / "special_tokens_map.json").write_text(
        json.dumps({"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"}))
    return lm_dir
