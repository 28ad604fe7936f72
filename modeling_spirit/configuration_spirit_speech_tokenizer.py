# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Configuration of the Spirit LM speech tokenizer (phonetic HuBERT units, and pitch/style units when expressive)."""

from __future__ import annotations

from typing import Any, Optional

import json
import os

from transformers import PreTrainedConfig

from .constants import HUBERT_SORT_RATE, PITCH_SORT_RATE, SAMPLING_RATE, STYLE_SORT_RATE, VARIANTS

SPEECH_TOKENIZER_VARIANTS = VARIANTS  # backwards-compatible name


def fix_auto_map(auto_map: Optional[dict]) -> Optional[dict]:
    """transformers' ``custom_object_save`` treats any class whose name contains "Tokenizer" as a text tokenizer and
    writes ``[slow, fast]`` pairs into ``auto_map``; a speech-tokenizer *model/config* needs a plain string."""
    if not auto_map:
        return auto_map
    for key, value in list(auto_map.items()):
        if key in ("AutoConfig", "AutoModel") and isinstance(value, (list, tuple)):
            auto_map[key] = next(v for v in value if v)
    return auto_map


def fix_saved_auto_map(folder) -> None:
    """Rewrite ``folder/config.json``'s ``auto_map`` with :func:`fix_auto_map`."""
    path = os.path.join(os.fspath(folder), "config.json")
    if not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if data.get("auto_map"):
        data["auto_map"] = fix_auto_map(data["auto_map"])
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write("\n")
F0_FEATURES = ("f0_interp,vuv", "f0,vuv", "norm_f0_interp,vuv", "norm_f0,vuv")


def default_hubert_config() -> dict:
    """transformers ``HubertConfig`` fields of the 25 Hz HuBERT-base the original uses (spec §3.2, §10b)."""
    return {
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
        "hidden_act": "gelu",
        "layer_norm_eps": 1e-5,
        "feat_extract_norm": "group",
        "feat_extract_activation": "gelu",
        "feat_proj_layer_norm": True,
        "conv_dim": [512] * 8,
        "conv_kernel": [10, 3, 3, 3, 3, 2, 2, 2],
        "conv_stride": [5, 2, 2, 2, 2, 2, 2, 2],
        "conv_bias": False,
        "num_conv_pos_embeddings": 128,
        "num_conv_pos_embedding_groups": 16,
        "do_stable_layer_norm": False,
        "mask_time_prob": 0.05,
        "hidden_dropout": 0.0,
        "activation_dropout": 0.0,
        "attention_dropout": 0.0,
        "feat_proj_dropout": 0.0,
        "layerdrop": 0.0,
    }


def default_f0_vqvae_config() -> dict:
    """Encoder / codebook fields of the F0 VQ-VAE (speech-resynthesis defaults, spec §4.3)."""
    return {
        "input_emb_width": 2,
        "output_emb_width": 128,
        "levels": 1,
        "downs_t": [4],
        "strides_t": [2],
        "width": 32,
        "depth": 4,
        "m_conv": 1.0,
        "dilation_growth_rate": 3,
        "dilation_cycle": None,
        "res_scale": False,
        "l_bins": 64,
    }


def default_style_config() -> dict:
    """transformers ``Wav2Vec2Config`` fields of the wav2vec2-base style classifier (spec §4.4)."""
    return {
        "hidden_size": 768,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
        "intermediate_size": 3072,
        "feat_extract_norm": "group",
        "do_stable_layer_norm": False,
        "conv_dim": [512] * 7,
        "conv_kernel": [10, 3, 3, 3, 3, 2, 2],
        "conv_stride": [5, 2, 2, 2, 2, 2, 2],
        "conv_bias": False,
        "num_labels": 100,
        "classifier_proj_size": 256,
        "use_weighted_layer_sum": False,
    }


class SpiritLMSpeechTokenizerConfig(PreTrainedConfig):
    r"""
    Configuration of [`SpiritLMSpeechTokenizer`]: the phonetic (HuBERT + linear CTC quantizer) tokenizer of Spirit LM
    base, plus the pitch (FCPE F0 + VQ-VAE) and style (wav2vec2 classifier) tokenizers of Spirit LM expressive.

    Args:
        variant (`str`, *optional*, defaults to `"base"`):
            `"base"` (HuBERT units only) or `"expressive"` (HuBERT, pitch and style units).
        hubert_config (`dict`, *optional*):
            Fields of a transformers `HubertConfig` for the 25 Hz HuBERT-base (defaults: `default_hubert_config()`).
        hubert_output_layer (`int`, *optional*, defaults to 11):
            Number of transformer layers run; the output of layer `hubert_output_layer` (1-based, =
            `hidden_states[11]` in transformers terms) feeds the quantizer.
        hubert_seq_len_multiple (`int`, *optional*, defaults to 2):
            fairseq's `required_seq_len_multiple`: each chunk's frame sequence is padded with zero frames (masked in
            attention) to a multiple of this, which changes the last bits of the features exactly like the original.
        quantizer_vocab_size (`int`, *optional*, defaults to 500):
            Number of HuBERT units `V`; the quantizer predicts `V + 1` classes, index `V` being the CTC blank.
        quantizer_hidden_sizes (`list[int]`, *optional*, defaults to `[702, 635]`):
            Widths of the two hidden layers of the linear quantizer (`D - mid//4`, `D - mid//2` in spec §3.4).
        quantizer_upstream_dim (`int`, *optional*):
            The original checkpoint's `upstream_dim` field, kept for provenance.
        unit_names (`list[str]`, *optional*):
            A name per HuBERT unit when the units have one (the phonemes of a quantizer trained with CTC on phoneme
            transcripts, as the toy model's; `unit_names[u]` names `[Hu<u>]`). Documentation only: nothing reads it.
        f0_vqvae_config (`dict`, *optional*):
            Encoder and codebook fields of the F0 VQ-VAE (`input_emb_width`, `output_emb_width`, `levels`,
            `downs_t`, `strides_t`, `width`, `depth`, `m_conv`, `dilation_growth_rate`, `dilation_cycle`,
            `res_scale`, `l_bins`). Expressive only.
        f0_features (`str`, *optional*, defaults to `"f0_interp,vuv"`):
            VQ-VAE input features: `"f0_interp,vuv"` / `"f0,vuv"` (raw Hz) or `"norm_f0_interp,vuv"` /
            `"norm_f0,vuv"` (per-utterance mean of voiced F0 subtracted from non-zero values).
        f0_hop_length (`int`, *optional*, defaults to 80):
            Hop (samples) of the F0 grid fed to the VQ-VAE (200 Hz at 16 kHz).
        fcpe_decoder_mode / fcpe_threshold / fcpe_f0_min / fcpe_f0_max (*optional*):
            Arguments of `torchfcpe`'s `infer` (`"local_argmax"`, 0.05, 50, 1100 as in the original).
        style_config (`dict`, *optional*):
            Fields of a transformers `Wav2Vec2Config` for the style classifier (defaults: `default_style_config()`).
        style_pool_size (`int`, *optional*, defaults to 50):
            Frames (at 50 Hz) averaged per style unit: one style unit per second.
        style_normalize (`bool`, *optional*, defaults to `True`):
            Zero-mean/unit-variance normalisation of each chunk before the style model (the
            `facebook/wav2vec2-base` feature-extractor setting, shipped locally; variance epsilon 1e-7).
        sampling_rate (`int`, *optional*, defaults to 16000):
            Input sampling rate.
        max_wav_chunk (`int`, *optional*, defaults to 1600000):
            Audio is tokenised in independent chunks of this many samples (100 s).
        min_wav_chunk (`int`, *optional*, defaults to 1280):
            Chunks shorter than this (80 ms) are dropped for all streams.
        hubert_rate / pitch_rate / style_rate (`float`, *optional*, defaults to 24.99 / 12.5 / 1.0):
            Stream rates used to time-sort the unit string (24.99 for HuBERT, as the original).
        batch_max_samples (`int`, *optional*, defaults to 3200000):
            Upper bound on the padded samples run through the models at once (memory bound for batching).
    """

    model_type = "spirit_lm_speech_tokenizer"

    variant: str = "base"
    hubert_config: Optional[dict] = None
    hubert_output_layer: int = 11
    hubert_seq_len_multiple: int = 2
    quantizer_vocab_size: int = 500
    quantizer_hidden_sizes: Optional[list] = None
    quantizer_upstream_dim: Optional[int] = None
    unit_names: Optional[list] = None
    f0_vqvae_config: Optional[dict] = None
    f0_features: str = "f0_interp,vuv"
    f0_hop_length: int = 80
    fcpe_decoder_mode: str = "local_argmax"
    fcpe_threshold: float = 0.05
    fcpe_f0_min: float = 50.0
    fcpe_f0_max: float = 1100.0
    style_config: Optional[dict] = None
    style_pool_size: int = 50
    style_normalize: bool = True
    sampling_rate: int = SAMPLING_RATE
    max_wav_chunk: int = 1_600_000
    min_wav_chunk: int = 1280
    hubert_rate: float = HUBERT_SORT_RATE
    pitch_rate: float = PITCH_SORT_RATE
    style_rate: float = STYLE_SORT_RATE
    batch_max_samples: int = 3_200_000

    def __post_init__(self, **kwargs: Any):
        if self.variant not in SPEECH_TOKENIZER_VARIANTS:
            raise ValueError(
                f"`variant` is {self.variant!r}; allowed: {SPEECH_TOKENIZER_VARIANTS}. Use 'base' for HuBERT units "
                "only or 'expressive' for HuBERT + pitch + style units."
            )
        if self.f0_features not in F0_FEATURES:
            raise ValueError(f"`f0_features` is {self.f0_features!r}; allowed: {F0_FEATURES}.")
        hubert = default_hubert_config()
        hubert.update(self.hubert_config or {})
        self.hubert_config = hubert
        if self.quantizer_hidden_sizes is None:
            dim = hubert["hidden_size"]
            mid = dim - (self.quantizer_vocab_size + 1)  # upstream_dim == dim by default
            self.quantizer_hidden_sizes = [dim - mid // 4, dim - mid // 2]
        self.quantizer_hidden_sizes = [int(x) for x in self.quantizer_hidden_sizes]
        if self.unit_names is not None:
            self.unit_names = [str(x) for x in self.unit_names]
            if len(self.unit_names) != self.quantizer_vocab_size:
                raise ValueError(f"`unit_names` has {len(self.unit_names)} names but `quantizer_vocab_size` is "
                                 f"{self.quantizer_vocab_size}; give one name per unit (or none).")
        if self.variant == "expressive":
            f0 = default_f0_vqvae_config()
            f0.update(self.f0_vqvae_config or {})
            self.f0_vqvae_config = f0
            style = default_style_config()
            style.update(self.style_config or {})
            self.style_config = style
        if not 0 < self.min_wav_chunk <= self.max_wav_chunk:
            raise ValueError(
                f"Need 0 < min_wav_chunk <= max_wav_chunk; got {self.min_wav_chunk} and {self.max_wav_chunk}."
            )
        if not 1 <= self.hubert_output_layer <= hubert["num_hidden_layers"]:
            raise ValueError(
                f"`hubert_output_layer` is {self.hubert_output_layer} but the HuBERT has "
                f"{hubert['num_hidden_layers']} layers."
            )
        super().__post_init__(**kwargs)

    @property
    def is_expressive(self) -> bool:
        return self.variant == "expressive"

    def save_pretrained(self, save_directory, *args, **kwargs):
        out = super().save_pretrained(save_directory, *args, **kwargs)
        fix_auto_map(getattr(self, "auto_map", None))
        fix_saved_auto_map(save_directory)
        return out

    @property
    def hubert_hop_length(self) -> int:
        """Samples per HuBERT frame (640 -> 25 Hz)."""
        hop = 1
        for s in self.hubert_config["conv_stride"]:
            hop *= s
        return hop


__all__ = ["SpiritLMSpeechTokenizerConfig", "default_hubert_config", "default_f0_vqvae_config", "default_style_config"]
