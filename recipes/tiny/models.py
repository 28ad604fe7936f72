# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Tiny Spirit LMs with **random** (seeded) weights, built in seconds: fixtures for the tests, the benchmarks and the
machinery, NOT the embedded default (that is the trained toy model in ``recipes/toy_model/``, see
:mod:`recipes.toy`).

A tiny model exercises every piece of machinery (tokenizer with the exact layout rules, model, constrained generation,
splitting, pipeline) but what it says means nothing. Its text tokenizer is a small SentencePiece BPE model trained on
:func:`tiny_corpus` (a handful of template sentences), with the speech tokens appended as in the real 7B layout
(``[Text]`` = text_vocab_size, ``[Speech]`` = text_vocab_size + 1, ``[Hu0]`` ... after them).

```python
from recipes.tiny.models import build_tiny_spirit_lm
path = build_tiny_spirit_lm("out/tiny-spirit-lm-base")      # cached: a second call reuses the folder
```
"""

import json
import math
import os
import random
import tempfile
from typing import List

import torch

from modeling_spirit.configuration_spirit_hifigan import SpiritLMHifiGanConfig
from modeling_spirit.configuration_spirit_lm import SpiritLMConfig
from modeling_spirit.configuration_spirit_speech_tokenizer import (
    SpiritLMSpeechTokenizerConfig,
    default_hubert_config,
    default_style_config,
)
from modeling_spirit.constants import SAMPLES_PER_HUBERT_FRAME, SPEECH_TOKENIZER_SUBFOLDER, VOCODER_SUBFOLDER
from modeling_spirit.hub_folder import make_hub_ready
from modeling_spirit.modeling_spirit_hifigan import SpiritLMHifiGan
from modeling_spirit.modeling_spirit_lm import SpiritLMForCausalLM
from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer
from modeling_spirit.tokenization_spirit_lm import train_text_sentencepiece, write_spirit_tokenizer

TINY_TEXT_VOCAB_SIZE = 512
_BUILD_VERSION = 4

_SUBJECTS = ["the cat", "a small robot", "my friend", "the old man", "robin", "the blue bird", "a child", "the teacher"]
_VERBS = ["sees", "likes", "finds", "paints", "counts", "opens", "follows", "carries", "hears", "builds"]
_OBJECTS = ["the red box", "three apples", "a green door", "the river", "two stones", "a yellow kite", "the map",
            "seven birds", "a wooden chair", "the bright moon"]
_PLACES = ["in the garden", "near the house", "at night", "by the lake", "on the hill", "under the tree",
           "in the morning", "behind the wall"]
_COMMANDS = ["turn on the light", "open the window", "play some music", "stop the timer", "show me the map",
             "call my friend", "close the door", "count to ten"]


def tiny_corpus(n: int = 600, seed: int = 0) -> List[str]:
    """The tiny random models' tokenizer corpus: ``n`` sentences from a handful of fixed templates (descriptions,
    commands, numbers), deterministic. Not the toy model's world (:mod:`processing.toy_text`) nor the evaluation
    suite's tiny task sets (:mod:`recipes.eval.tiny_data`)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            s = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} {rng.choice(_PLACES)}."
        elif kind == 1:
            s = f"Please {rng.choice(_COMMANDS)}, then {rng.choice(_COMMANDS)}."
        else:
            s = f"There are {rng.randint(0, 999)} {rng.choice(['apples', 'birds', 'stones', 'boxes'])} " \
                f"{rng.choice(_PLACES)}, said {rng.choice(_SUBJECTS)}."
        out.append(s[0].upper() + s[1:])
    return out


def tiny_config_kwargs(variant: str = "base") -> dict:
    """Model sizes of the tiny default (hidden 64, 2 layers, 4 heads)."""
    return dict(
        variant=variant,
        text_vocab_size=TINY_TEXT_VOCAB_SIZE,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=4,
        max_position_embeddings=2048,
        tie_word_embeddings=False,
    )


TINY_SPEAKERS = ("tiny-speaker-0", "tiny-speaker-1", "tiny-speaker-2", "tiny-speaker-3")
TINY_STYLES = ("read", "whisper", "happy", "sad", "angry", "laughing", "fast", "slow", "default")


def tiny_vocoder_config_kwargs(variant: str = "base") -> dict:
    """A small unit HiFi-GAN with the real upsampling (×640 → 16 kHz at 25 Hz units) and four speakers."""
    emb = 16
    kwargs = dict(
        upsample_rates=[5, 4, 4, 2, 2, 2],
        upsample_kernel_sizes=[11, 8, 8, 4, 4, 4],
        upsample_initial_channel=64,
        resblock_kernel_sizes=[3, 7, 11],
        resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        num_embeddings=501,
        embedding_dim=emb,
        multispkr=True,
        num_speakers=len(TINY_SPEAKERS),
        speakers=list(TINY_SPEAKERS),
        code_hop_size=SAMPLES_PER_HUBERT_FRAME,
        initializer_range=0.15,  # random weights that give audible noise (peak ~0.3), not silence or clipping
        dur_predictor_params={"encoder_embed_dim": emb, "var_pred_hidden_dim": emb, "var_pred_kernel_size": 3,
                              "var_pred_dropout": 0.5},
    )
    if variant == "base":
        kwargs.update(multistyle=True, num_styles=len(TINY_STYLES), styles=list(TINY_STYLES), model_in_dim=3 * emb)
    else:
        kwargs.update(num_f0_tokens=64, f0_hop_size=1280, num_style_tokens=100, style_hop_size=16000,
                      model_in_dim=4 * emb)
    return kwargs


def build_tiny_vocoder(output_dir: str, variant: str = "base", seed: int = 0):
    """A randomly initialised tiny vocoder (durations kept near 3 frames per unit) saved at ``output_dir``."""
    torch.manual_seed(seed)
    vocoder = SpiritLMHifiGan(SpiritLMHifiGanConfig(**tiny_vocoder_config_kwargs(variant))).eval()
    with torch.no_grad():
        proj = vocoder.duration_predictor.proj
        proj.weight.mul_(0.01)
        proj.bias.fill_(math.log(3.0))
    vocoder.save_pretrained(output_dir)
    return vocoder


def build_tiny_speech_tokenizer(output_dir: str, variant: str = "base", seed: int = 0):
    """A randomly initialised small speech tokenizer with the real 25 Hz HuBERT conv stack and quantizer layout."""
    hubert = default_hubert_config()
    hubert.update(hidden_size=64, num_hidden_layers=11, num_attention_heads=4, intermediate_size=128,
                  conv_dim=[32] * 8, num_conv_pos_embedding_groups=16)
    kwargs = dict(variant=variant, hubert_config=hubert, quantizer_hidden_sizes=[96, 96])
    if variant == "expressive":
        style = default_style_config()
        style.update(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
                     conv_dim=[32] * 7, classifier_proj_size=16)
        kwargs["style_config"] = style
    torch.manual_seed(seed)
    tokenizer = SpiritLMSpeechTokenizer(SpiritLMSpeechTokenizerConfig(**kwargs)).eval()
    tokenizer.save_pretrained(output_dir)
    return tokenizer


def build_tiny_tokenizer(config, output_dir: str, seed: int = 0):
    """Train the tiny SentencePiece text model and write a Spirit LM tokenizer for ``config`` into ``output_dir``."""
    with tempfile.TemporaryDirectory() as tmp:
        text_model = train_text_sentencepiece(
            tiny_corpus(seed=seed), config.text_vocab_size, os.path.join(tmp, "text")
        )
        return write_spirit_tokenizer(text_model, config, output_dir)


def build_tiny_spirit_lm(output_dir: str, variant: str = "base", seed: int = 0, force: bool = False) -> str:
    """Build (or reuse) the tiny random Spirit LM folder at ``output_dir`` and return its path.

    The folder is a complete Hub-style model folder (config, safetensors weights, tokenizer, remote code), loadable
    with ``pipeline("spirit-lm", model=output_dir)`` (after ``import modeling_spirit``) or with
    ``trust_remote_code=True``.
    """
    stamp_path = os.path.join(output_dir, "tiny_build.json")
    stamp = {"version": _BUILD_VERSION, "variant": variant, "seed": seed}
    if not force and os.path.isfile(stamp_path):
        with open(stamp_path) as f:
            if json.load(f) == stamp:
                return output_dir
    os.makedirs(output_dir, exist_ok=True)
    config = SpiritLMConfig(**tiny_config_kwargs(variant))
    build_tiny_tokenizer(config, output_dir, seed=seed)
    torch.manual_seed(seed)
    model = SpiritLMForCausalLM(config).eval()
    model.generation_config.max_new_tokens = 32
    model.save_pretrained(output_dir)
    build_tiny_vocoder(os.path.join(output_dir, VOCODER_SUBFOLDER), variant, seed=seed)
    build_tiny_speech_tokenizer(os.path.join(output_dir, SPEECH_TOKENIZER_SUBFOLDER), variant, seed=seed)
    make_hub_ready(output_dir)
    with open(stamp_path, "w") as f:
        json.dump(stamp, f)
    return output_dir


# ---------------------------------------------------------------------------------------------------------------
# Tiny *text* models (no speech tokens): what `spirit-lm init` starts from, built offline
# ---------------------------------------------------------------------------------------------------------------

TEXT_MODEL_ARCHITECTURES = ("llama", "qwen2")
TEXT_TOKENIZER_KINDS = ("sentencepiece", "gpt2", "qwen2")
TINY_TEXT_MODEL_LICENSE = "apache-2.0"


PLAIN_LLAMA_KEYS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                    "intermediate_size", "max_position_embeddings", "tie_word_embeddings", "bos_token_id",
                    "eos_token_id", "rms_norm_eps", "rope_parameters", "hidden_act")


def plain_llama_twin(model: SpiritLMForCausalLM):
    """A plain transformers ``LlamaForCausalLM`` with ``model``'s Llama settings and weights (eval mode): the baseline
    that Spirit LM's generate is compared with (same ids, same cost)."""
    from transformers import LlamaConfig, LlamaForCausalLM

    plain = LlamaForCausalLM(LlamaConfig(**{k: getattr(model.config, k) for k in PLAIN_LLAMA_KEYS})).eval()
    plain.load_state_dict(model.state_dict())
    return plain.to(model.dtype)


def build_tiny_bpe_tokenizer(kind: str = "gpt2", vocab_size: int = 400, seed: int = 0):
    """A byte-level BPE text tokenizer trained offline on :func:`tiny_corpus`, as the real class of ``kind`` builds it
    from a vocabulary and merges: ``"gpt2"`` (:class:`~transformers.GPT2Tokenizer`: ByteLevel pre-tokenizer, GPT-2 /
    SmolLM2 style, ``<|endoftext|>`` as BOS/EOS/UNK) or ``"qwen2"`` (:class:`~transformers.Qwen2Tokenizer`: NFC +
    Qwen's split regex, no BOS, and two chat tokens added after the vocabulary as Qwen2 has)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import GPT2Tokenizer, Qwen2Tokenizer

    if kind not in ("gpt2", "qwen2"):
        raise ValueError(f"`kind` is {kind!r}; allowed: 'gpt2', 'qwen2'.")
    trainer_tok = Tokenizer(models.BPE())
    trainer_tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<|endoftext|>"], show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    trainer_tok.train_from_iterator(tiny_corpus(seed=seed), trainer)
    model = json.loads(trainer_tok.to_str())["model"]
    vocab, merges = model["vocab"], [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    if kind == "gpt2":
        return GPT2Tokenizer(vocab=vocab, merges=merges)
    tok = Qwen2Tokenizer(vocab=vocab, merges=merges)
    tok.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    return tok


def build_tiny_text_model(output_dir: str, architecture: str = "llama", tokenizer: str = "sentencepiece",
                          tied: bool = False, extra_rows: int = 0, seed: int = 0) -> str:
    """A tiny random text-only causal LM folder (what ``spirit-lm init --text-model`` takes), built offline.

    Args:
        architecture: ``"llama"`` or ``"qwen2"`` (hidden 64, 2 layers, 4 heads, 2 key/value heads: GQA).
        tokenizer: ``"sentencepiece"`` (a Llama-style SentencePiece BPE ``tokenizer.model``, 400 pieces), ``"gpt2"``
            or ``"qwen2"`` (byte-level BPE ``tokenizer.json``, :func:`build_tiny_bpe_tokenizer`).
        tied: tie the input embeddings and the output head.
        extra_rows: embedding rows beyond the tokenizer's ids (as Qwen2 and some Llamas pad their vocabulary).

    The folder has a README.md whose front matter says ``license: apache-2.0`` (the licence ``init`` records).
    """
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    if architecture not in TEXT_MODEL_ARCHITECTURES:
        raise ValueError(f"`architecture` is {architecture!r}; allowed: {TEXT_MODEL_ARCHITECTURES}.")
    if tokenizer not in TEXT_TOKENIZER_KINDS:
        raise ValueError(f"`tokenizer` is {tokenizer!r}; allowed: {TEXT_TOKENIZER_KINDS}.")
    os.makedirs(output_dir, exist_ok=True)
    if tokenizer == "sentencepiece":
        with tempfile.TemporaryDirectory() as tmp:
            sp = train_text_sentencepiece(tiny_corpus(seed=seed), 400, os.path.join(tmp, "text"))
            with open(sp, "rb") as src, open(os.path.join(output_dir, "tokenizer.model"), "wb") as dst:
                dst.write(src.read())
        with open(os.path.join(output_dir, "tokenizer_config.json"), "w") as f:
            json.dump({"tokenizer_class": "LlamaTokenizer", "legacy": True}, f)
        n_ids, special = 400, {"bos_token_id": 1, "eos_token_id": 2}
    else:
        tok = build_tiny_bpe_tokenizer(tokenizer, seed=seed)
        tok.save_pretrained(output_dir)
        n_ids = len(tok)
        eos = tok.convert_tokens_to_ids("<|endoftext|>")
        special = {"bos_token_id": eos if tokenizer == "gpt2" else None, "eos_token_id": eos}
    sizes = dict(vocab_size=n_ids + extra_rows, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                 num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512, tie_word_embeddings=tied,
                 **special)
    config = LlamaConfig(**sizes) if architecture == "llama" else Qwen2Config(**sizes)
    torch.manual_seed(seed)
    model = (LlamaForCausalLM if architecture == "llama" else Qwen2ForCausalLM)(config)
    model.save_pretrained(output_dir)
    with open(os.path.join(output_dir, "README.md"), "w") as f:
        f.write(f"---\nlicense: {TINY_TEXT_MODEL_LICENSE}\n---\n\nA tiny random {architecture} text model "
                f"({tokenizer} tokenizer) for tests.\n")
    return output_dir


__all__ = ["plain_llama_twin", "build_tiny_text_model", "build_tiny_bpe_tokenizer", "build_tiny_spirit_lm", "build_tiny_tokenizer", "build_tiny_vocoder", "build_tiny_speech_tokenizer", "tiny_corpus", "tiny_config_kwargs"]
