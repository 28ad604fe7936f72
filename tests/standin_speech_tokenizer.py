# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Seeded stand-in checkpoints of the original speech tokenizer, in the original formats (spec §9.2).

``build_speech_tokenizer_standins(checkpoints_dir, variant, tiny=True, seed=0)`` writes::

    checkpoints_dir/speech_tokenizer/hubert_25hz/{mhubert_base_25hz.pt, L11_quantizer_500.pt}
    checkpoints_dir/speech_tokenizer/vqvae_f0_quantizer/{config.yaml, model.pt}          (expressive)
    checkpoints_dir/speech_tokenizer/style_encoder_w2v2/{config.json, pytorch_model.bin} (expressive)

Weights are drawn from a seeded generator with fan-in scaling (no fairseq needed: the fairseq key names and shapes of
spec §3.3 are written directly). The quantizer's blank logit is biased upward so blank runs (at the start, middle
and end) exercise the blank-filling rule; the VQ-VAE codebook holds distinct random vectors.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch

TINY_HUBERT = dict(conv_dim=32, embed=64, ffn=128, heads=4, layers=12)
FULL_HUBERT = dict(conv_dim=512, embed=768, ffn=3072, heads=12, layers=12)
CONV_LAYERS = [(10, 5)] + [(3, 2)] * 4 + [(2, 2)] * 3


def _randn(g, *shape, scale=None):
    fan_in = 1
    for s in shape[1:]:
        fan_in *= s
    scale = scale if scale is not None else fan_in**-0.5
    return torch.randn(*shape, generator=g) * scale


def _norm(g, n):
    return 1.0 + 0.1 * torch.randn(n, generator=g), 0.1 * torch.randn(n, generator=g)


def hubert_state_dict(g, conv_dim, embed, ffn, heads, layers):
    sd = {}
    in_ch = 1
    for i, (k, _) in enumerate(CONV_LAYERS):
        sd[f"feature_extractor.conv_layers.{i}.0.weight"] = _randn(g, conv_dim, in_ch, k)
        in_ch = conv_dim
    sd["feature_extractor.conv_layers.0.2.weight"], sd["feature_extractor.conv_layers.0.2.bias"] = _norm(g, conv_dim)
    sd["layer_norm.weight"], sd["layer_norm.bias"] = _norm(g, conv_dim)
    sd["post_extract_proj.weight"] = _randn(g, embed, conv_dim)
    sd["post_extract_proj.bias"] = 0.1 * torch.randn(embed, generator=g)
    sd["mask_emb"] = torch.rand(embed, generator=g)
    sd["encoder.pos_conv.0.weight_g"] = 0.5 + torch.rand(1, 1, 128, generator=g)
    sd["encoder.pos_conv.0.weight_v"] = torch.randn(embed, embed // 16, 128, generator=g)
    sd["encoder.pos_conv.0.bias"] = 0.1 * torch.randn(embed, generator=g)
    sd["encoder.layer_norm.weight"], sd["encoder.layer_norm.bias"] = _norm(g, embed)
    for i in range(layers):
        p = f"encoder.layers.{i}."
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            sd[p + f"self_attn.{name}.weight"] = _randn(g, embed, embed)
            sd[p + f"self_attn.{name}.bias"] = 0.1 * torch.randn(embed, generator=g)
        sd[p + "self_attn_layer_norm.weight"], sd[p + "self_attn_layer_norm.bias"] = _norm(g, embed)
        sd[p + "fc1.weight"], sd[p + "fc1.bias"] = _randn(g, ffn, embed), 0.1 * torch.randn(ffn, generator=g)
        sd[p + "fc2.weight"], sd[p + "fc2.bias"] = _randn(g, embed, ffn), 0.1 * torch.randn(embed, generator=g)
        sd[p + "final_layer_norm.weight"], sd[p + "final_layer_norm.bias"] = _norm(g, embed)
    # Keys the original pops for inference (the converter must drop them by name).
    sd["label_embs_concat"] = torch.randn(504, 16, generator=g)
    sd["final_proj.weight"] = torch.randn(16, embed, generator=g)
    sd["final_proj.bias"] = torch.zeros(16)
    return sd


def hubert_checkpoint(g, conv_dim, embed, ffn, heads, layers):
    conv = "[(%d,10,5)] + [(%d,3,2)] * 4 + [(%d,2,2)] * 3" % (conv_dim, conv_dim, conv_dim)
    model_cfg = {
        "label_rate": 25.0,
        "extractor_mode": "default",
        "conv_feature_layers": conv,
        "conv_bias": False,
        "encoder_layers": layers,
        "encoder_embed_dim": embed,
        "encoder_ffn_embed_dim": ffn,
        "encoder_attention_heads": heads,
        "layer_norm_first": False,
        "conv_pos": 128,
        "conv_pos_groups": 16,
        "encoder_layerdrop": 0.0,
        "activation_fn": "gelu",
        "required_seq_len_multiple": 2,
        "dropout": 0.1,
        "mask_prob": 0.8,
    }
    return {
        "model_cfg": model_cfg,
        "task_cfg": {"sample_rate": 16000, "normalize": False, "labels": ["km"]},
        "model_weight": hubert_state_dict(g, conv_dim, embed, ffn, heads, layers),
        "dictionaries_symbols": [],
    }


def quantizer_checkpoint(g, dim, vocab=500, upstream=None, blank_bias=0.0):
    upstream = dim if upstream is None else upstream
    mid = upstream - (vocab + 1)
    h1, h2 = dim - mid // 4, dim - mid // 2
    sd = {
        "0.weight": _randn(g, h1, dim),
        "0.bias": 0.1 * torch.randn(h1, generator=g),
        "2.weight": _randn(g, h2, h1),
        "2.bias": 0.1 * torch.randn(h2, generator=g),
        "4.weight": _randn(g, vocab + 1, h2, scale=3 * h2**-0.5),
        "4.bias": 0.1 * torch.randn(vocab + 1, generator=g),
    }
    sd["4.bias"][vocab] += blank_bias
    return {"model_cfg": {"vocab_size": vocab, "dim": dim, "upstream_dim": upstream}, "model_weight": sd}


VQVAE_PARAMS = dict(
    input_emb_width=2, output_emb_width=128, levels=1, downs_t=[4], strides_t=[2], width=32, depth=4, m_conv=1.0,
    dilation_growth_rate=3,
)


def vqvae_yaml(features="f0_interp,vuv"):
    def block(d, extra=""):
        lines = []
        for k, v in d.items():
            lines.append(f"  {k}: {json.dumps(v)}")
        return "\n".join(lines) + extra

    return (
        "encoder_params:\n" + block(VQVAE_PARAMS) + "\n"
        "decoder_params:\n" + block(VQVAE_PARAMS) + "\n  reverse_decoder_dilation: true\n"
        "vq_params:\n  l_bins: 64\n  emb_width: 128\n  mu: 0.99\n  levels: 1\n"
        f"features: \"{features}\"\n"
    )


def vqvae_state_dict(g):
    p = VQVAE_PARAMS
    w, d, out = p["width"], p["depth"], p["output_emb_width"]
    sd = {}

    def conv(name, cout, cin, k, scale=None):
        sd[name + ".weight"] = _randn(g, cout, cin, k, scale=scale)
        sd[name + ".bias"] = 0.1 * torch.randn(cout, generator=g)

    for i in range(p["downs_t"][0]):
        # The first conv sees raw Hz (~100-300): scale it down so activations stay moderate.
        conv(f"encoder.level_blocks.0.model.{i}.0", w, p["input_emb_width"] if i == 0 else w, 4,
             scale=0.003 if i == 0 else None)
        for j in range(d):
            conv(f"encoder.level_blocks.0.model.{i}.1.model.{j}.model.1", w, w, 3)
            conv(f"encoder.level_blocks.0.model.{i}.1.model.{j}.model.3", w, w, 1)
    conv(f"encoder.level_blocks.0.model.{p['downs_t'][0]}", out, w, 3)
    sd["vq.level_blocks.0.k"] = torch.randn(64, out, generator=g)
    conv("decoder.level_blocks.0.model.0", w, out, 3)
    for i in range(1, p["downs_t"][0] + 1):
        for j in range(d):
            conv(f"decoder.level_blocks.0.model.{i}.0.model.{j}.model.1", w, w, 3)
            conv(f"decoder.level_blocks.0.model.{i}.0.model.{j}.model.3", w, w, 1)
        last = i == p["downs_t"][0]
        sd[f"decoder.level_blocks.0.model.{i}.1.weight"] = _randn(g, w, out if last else w, 4)
        sd[f"decoder.level_blocks.0.model.{i}.1.bias"] = torch.zeros(out if last else w)
    conv("decoder.out", p["input_emb_width"], out, 3)
    return sd


def style_config(tiny=True):
    from transformers import Wav2Vec2Config

    kw = dict(num_labels=100, classifier_proj_size=16 if tiny else 256, mask_time_prob=0.05, use_weighted_layer_sum=False)
    kw["id2label"] = {i: f"style_{i}" for i in range(100)}
    kw["label2id"] = {f"style_{i}": i for i in range(100)}
    if tiny:
        kw.update(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64, conv_dim=[32] * 7)
    return Wav2Vec2Config(**kw)


def write_style_encoder(out_dir: Path, tiny=True, seed=0):
    from transformers import Wav2Vec2ForSequenceClassification

    cfg = style_config(tiny)
    torch.manual_seed(seed)
    model = Wav2Vec2ForSequenceClassification(cfg).eval()
    sd = {}
    for k, v in model.state_dict().items():
        # Older transformers (the original's) name the weight-norm tensors weight_g / weight_v.
        k = k.replace("parametrizations.weight.original0", "weight_g").replace("parametrizations.weight.original1", "weight_v")
        sd[k] = v.clone()
    # Spread the classifier so different windows give different styles.
    sd["classifier.weight"] = sd["classifier.weight"] * 20
    out_dir.mkdir(parents=True, exist_ok=True)
    d = cfg.to_dict()
    d["architectures"] = ["Wav2Vec2ForSequenceClassification"]
    (out_dir / "config.json").write_text(json.dumps(d, indent=1), encoding="utf-8")
    torch.save(sd, out_dir / "pytorch_model.bin")


def build_speech_tokenizer_standins(checkpoints_dir, variant="base", tiny=True, seed=0, f0_features="f0_interp,vuv"):
    """Write seeded stand-in original checkpoints for ``variant`` ("base" or "expressive"); returns the
    ``speech_tokenizer`` folder."""
    root = Path(checkpoints_dir) / "speech_tokenizer"
    g = torch.Generator().manual_seed(seed)
    dims = TINY_HUBERT if tiny else FULL_HUBERT
    hub_dir = root / "hubert_25hz"
    hub_dir.mkdir(parents=True, exist_ok=True)
    torch.save(hubert_checkpoint(g, **dims), hub_dir / "mhubert_base_25hz.pt")
    torch.save(quantizer_checkpoint(g, dims["embed"]), hub_dir / "L11_quantizer_500.pt")
    if variant == "expressive":
        vq_dir = root / "vqvae_f0_quantizer"
        vq_dir.mkdir(parents=True, exist_ok=True)
        (vq_dir / "config.yaml").write_text(vqvae_yaml(f0_features), encoding="utf-8")
        torch.save({"model": vqvae_state_dict(g)}, vq_dir / "model.pt")
        write_style_encoder(root / "style_encoder_w2v2", tiny=tiny, seed=seed)
    return root
