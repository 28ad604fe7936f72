# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Seeded stand-ins for the original Spirit LM vocoder checkpoints (spec §9.2 items 5-6), in the original format.

``build_hifigan_standin(checkpoints_dir, "base" | "expressive", tiny=True, seed=0)`` writes
``speech_tokenizer/hifigan_spiritlm_base/{config.json, generator.pt, speakers.txt, styles.txt}`` or
``speech_tokenizer/hifigan_spiritlm_expressive_w2v2/{config.json, generator.pt, speakers.txt}``, where
``generator.pt = {"generator": state_dict}`` with the original key names and legacy weight norm
(``weight_g`` / ``weight_v``). Built from shapes alone (no model code), so it is an independent fixture.

The weights are scaled so that the waveform stays mostly out of tanh saturation and predicted durations stay in 1-4
(``dur_predictor.proj.bias`` ~ ln 3, small projection weights).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Dict, Union

import torch

VARIANT_DIRS = {"base": "hifigan_spiritlm_base", "expressive": "hifigan_spiritlm_expressive_w2v2"}
SPEAKERS = ["ex01", "ex02", "ex03", "ex04"]
STYLES = ["angry", "confused", "default", "enunciated", "happy", "laughing", "sad", "whisper", "conv-default", "narration"]


def hifigan_standin_config(variant: str, tiny: bool = True) -> Dict:
    """The original-format ``config.json`` dict of a stand-in vocoder (extra training fields included, as in the
    original files, to check that they are ignored)."""
    if variant not in VARIANT_DIRS:
        raise ValueError(f"variant must be one of {sorted(VARIANT_DIRS)}; got {variant!r}")
    E = 16 if tiny else 128
    cfg = {
        "resblock": "1",
        "num_gpus": 0,
        "batch_size": 16,
        "learning_rate": 0.0002,
        "adam_b1": 0.8,
        "adam_b2": 0.99,
        "lr_decay": 0.999,
        "seed": 1234,
        "upsample_rates": [5, 4, 4, 2, 2, 2],
        "upsample_kernel_sizes": [11, 8, 8, 4, 4, 4],
        "upsample_initial_channel": 64 if tiny else 512,
        "resblock_kernel_sizes": [3, 7, 11],
        "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5], [1, 3, 5]],
        "num_embeddings": 501,
        "embedding_dim": E,
        "multispkr": "from_input_file",  # truthy string, as the original configs use
        "num_speakers": 4,
        "code_hop_size": 640,
        "dur_predictor_params": {
            "encoder_embed_dim": E,
            "var_pred_hidden_dim": E,
            "var_pred_kernel_size": 3,
            "var_pred_dropout": 0.5,
        },
        "segment_size": 8960,
        "sampling_rate": 16000,
    }
    if variant == "base":
        cfg.update({"multistyle": True, "num_styles": len(STYLES), "model_in_dim": 3 * E})
    else:
        cfg.update(
            {
                "num_f0_tokens": 64,
                "f0_hop_size": 1280,
                "num_style_tokens": 100,
                "style_hop_size": 16000,
                "model_in_dim": 4 * E,
            }
        )
    return cfg


def hifigan_standin_state_dict(cfg: Dict, seed: int = 0) -> Dict[str, torch.Tensor]:
    """Random original-format generator state dict for ``cfg`` (weight-normed convolutions)."""
    gen = torch.Generator().manual_seed(seed)

    def randn(*shape, std=1.0):
        return torch.randn(*shape, generator=gen) * std

    def uniform(*shape, lo=0.0, hi=1.0):
        return torch.rand(*shape, generator=gen) * (hi - lo) + lo

    sd: Dict[str, torch.Tensor] = {}

    def wn_conv(prefix, c_out, c_in, k, gain, transposed=False):
        # Legacy weight_norm(dim=0): g has the size of dim 0, v the full weight shape.
        shape = (c_in, c_out, k) if transposed else (c_out, c_in, k)
        sd[f"{prefix}.weight_g"] = uniform(shape[0], 1, 1, lo=0.6 * gain, hi=1.2 * gain)
        sd[f"{prefix}.weight_v"] = randn(*shape)
        sd[f"{prefix}.bias"] = randn(shape[1] if transposed else c_out, std=0.05)

    E = cfg["embedding_dim"]
    C0 = cfg["upsample_initial_channel"]
    sd["dict.weight"] = randn(cfg["num_embeddings"], E)
    if cfg.get("num_f0_tokens"):
        sd["f0_dict.weight"] = randn(cfg["num_f0_tokens"], E)
    if cfg.get("num_style_tokens"):
        sd["style_dict.weight"] = randn(cfg["num_style_tokens"], E)
    if cfg.get("multispkr"):
        sd["spkr.weight"] = randn(cfg["num_speakers"], E)
    if cfg.get("multistyle"):
        sd["style.weight"] = randn(cfg["num_styles"], E)
    dp = cfg.get("dur_predictor_params")
    if dp:
        H, k = dp["var_pred_hidden_dim"], dp["var_pred_kernel_size"]
        sd["dur_predictor.conv1.0.weight"] = randn(H, E, k, std=1.0 / math.sqrt(E * k))
        sd["dur_predictor.conv1.0.bias"] = randn(H, std=0.1)
        sd["dur_predictor.ln1.weight"] = uniform(H, lo=0.8, hi=1.2)
        sd["dur_predictor.ln1.bias"] = randn(H, std=0.1)
        sd["dur_predictor.conv2.0.weight"] = randn(H, H, k, std=1.0 / math.sqrt(H * k))
        sd["dur_predictor.conv2.0.bias"] = randn(H, std=0.1)
        sd["dur_predictor.ln2.weight"] = uniform(H, lo=0.8, hi=1.2)
        sd["dur_predictor.ln2.bias"] = randn(H, std=0.1)
        sd["dur_predictor.proj.weight"] = randn(1, H, std=0.2 / math.sqrt(H))
        sd["dur_predictor.proj.bias"] = torch.tensor([math.log(3.0)])
    wn_conv("conv_pre", C0, cfg["model_in_dim"], 7, gain=1.0)
    n = 0
    for i, (u, k) in enumerate(zip(cfg["upsample_rates"], cfg["upsample_kernel_sizes"])):
        c_in, c_out = C0 // 2**i, C0 // 2 ** (i + 1)
        wn_conv(f"ups.{i}", c_out, c_in, k, gain=1.0, transposed=True)
        for rk, rd in zip(cfg["resblock_kernel_sizes"], cfg["resblock_dilation_sizes"]):
            for j in range(len(rd)):
                wn_conv(f"resblocks.{n}.convs1.{j}", c_out, c_out, rk, gain=0.5)
                wn_conv(f"resblocks.{n}.convs2.{j}", c_out, c_out, rk, gain=0.5)
            n += 1
    c_last = C0 // 2 ** len(cfg["upsample_rates"])
    wn_conv("conv_post", 1, c_last, 7, gain=4.0)
    return sd


def build_hifigan_standin(
    checkpoints_dir: Union[str, Path], variant: str, tiny: bool = True, seed: int = 0
) -> Path:
    """Write a stand-in original vocoder folder under ``checkpoints_dir/speech_tokenizer/`` and return its path."""
    cfg = hifigan_standin_config(variant, tiny)
    out = Path(checkpoints_dir) / "speech_tokenizer" / VARIANT_DIRS[variant]
    out.mkdir(parents=True, exist_ok=True)
    (out / "config.json").write_text(json.dumps(cfg, indent=2), encoding="utf-8")
    torch.save({"generator": hifigan_standin_state_dict(cfg, seed)}, out / "generator.pt")
    (out / "speakers.txt").write_text("\n".join(SPEAKERS) + "\n", encoding="utf-8")
    if variant == "base":
        (out / "styles.txt").write_text("\n".join(STYLES) + "\n", encoding="utf-8")
    return out


__all__ = ["build_hifigan_standin", "hifigan_standin_config", "hifigan_standin_state_dict", "VARIANT_DIRS"]
