# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Independent re-computation of the original speech tokenizer, written from the spec (§2-§4), for tests.

It reads the *original-format* files directly (fairseq key names, YAML, HF style-encoder folder), runs one chunk at
a time with plain functional torch ops in the original's order (time-major fairseq encoder, odd-length padding
frame, ``F.multi_head_attention_forward``), fills blanks with the literal ``torch.roll`` loop, and chunks audio
exactly as §2. Nothing here imports ``modeling_spirit`` except ``units_to_string``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import yaml

CONV_LAYERS = [(10, 5)] + [(3, 2)] * 4 + [(2, 2)] * 3
STYLE_CONV = [(10, 5)] + [(3, 2)] * 4 + [(2, 2)] * 2


class ReferenceSpeechTokenizer:
    def __init__(self, speech_tokenizer_dir, variant):
        root = Path(speech_tokenizer_dir)
        hub = torch.load(root / "hubert_25hz" / "mhubert_base_25hz.pt", weights_only=True)
        self.h = hub["model_weight"]
        self.hcfg = hub["model_cfg"]
        q = torch.load(root / "hubert_25hz" / "L11_quantizer_500.pt", weights_only=True)
        self.q = q["model_weight"]
        self.vocab = q["model_cfg"]["vocab_size"]
        self.variant = variant
        if variant == "expressive":
            self.vq_cfg = yaml.safe_load((root / "vqvae_f0_quantizer" / "config.yaml").read_text())
            self.vq = torch.load(root / "vqvae_f0_quantizer" / "model.pt", weights_only=True)["model"]
            self.s_cfg = json.loads((root / "style_encoder_w2v2" / "config.json").read_text())
            self.s = torch.load(root / "style_encoder_w2v2" / "pytorch_model.bin", weights_only=True)
            import torchfcpe

            self.fcpe = torchfcpe.spawn_bundled_infer_model(device="cpu")

    # ---------------------------------------------------------------- HuBERT (fairseq order)
    def hubert_features(self, wav):
        h = self.h
        x = wav.reshape(1, 1, -1)
        for i, (k, s) in enumerate(CONV_LAYERS):
            x = F.conv1d(x, h[f"feature_extractor.conv_layers.{i}.0.weight"], stride=s)
            if i == 0:
                c = x.shape[1]
                x = F.group_norm(x, c, h["feature_extractor.conv_layers.0.2.weight"], h["feature_extractor.conv_layers.0.2.bias"], 1e-5)
            x = F.gelu(x)
        x = x.transpose(1, 2)  # (1, T, C)
        x = F.layer_norm(x, (x.shape[-1],), h["layer_norm.weight"], h["layer_norm.bias"], 1e-5)
        x = F.linear(x, h["post_extract_proj.weight"], h["post_extract_proj.bias"])
        d = x.shape[-1]
        w = torch._weight_norm(h["encoder.pos_conv.0.weight_v"], h["encoder.pos_conv.0.weight_g"], 2)
        pc = F.conv1d(x.transpose(1, 2), w, h["encoder.pos_conv.0.bias"], padding=64, groups=16)
        pc = F.gelu(pc[:, :, :-1]).transpose(1, 2)
        x = x + pc
        x = F.layer_norm(x, (d,), h["encoder.layer_norm.weight"], h["encoder.layer_norm.bias"], 1e-5)
        t = x.shape[1]
        mask = None
        if t % 2 == 1:
            x = torch.cat([x, x.new_zeros(1, 1, d)], dim=1)
            mask = torch.zeros(1, t + 1, dtype=torch.bool)
            mask[:, -1] = True
        x = x.transpose(0, 1)  # (T, 1, D)
        heads = self.hcfg["encoder_attention_heads"]
        for i in range(11):
            p = f"encoder.layers.{i}."
            residual = x
            a, _ = F.multi_head_attention_forward(
                x, x, x, d, heads, torch.empty([0]),
                torch.cat((h[p + "self_attn.q_proj.bias"], h[p + "self_attn.k_proj.bias"], h[p + "self_attn.v_proj.bias"])),
                None, None, False, 0.0, h[p + "self_attn.out_proj.weight"], h[p + "self_attn.out_proj.bias"],
                training=False, key_padding_mask=mask, need_weights=False, attn_mask=None,
                use_separate_proj_weight=True, q_proj_weight=h[p + "self_attn.q_proj.weight"],
                k_proj_weight=h[p + "self_attn.k_proj.weight"], v_proj_weight=h[p + "self_attn.v_proj.weight"],
            )
            x = residual + a
            x = F.layer_norm(x, (d,), h[p + "self_attn_layer_norm.weight"], h[p + "self_attn_layer_norm.bias"], 1e-5)
            residual = x
            x = F.gelu(F.linear(x, h[p + "fc1.weight"], h[p + "fc1.bias"]))
            x = F.linear(x, h[p + "fc2.weight"], h[p + "fc2.bias"])
            x = residual + x
            x = F.layer_norm(x, (d,), h[p + "final_layer_norm.weight"], h[p + "final_layer_norm.bias"], 1e-5)
        x = x.transpose(0, 1)
        if mask is not None:
            x = x[:, :-1]
        return x  # (1, T, D)

    def hubert_codes(self, wav, return_raw=False):
        q = self.q
        f = self.hubert_features(wav)
        z = F.leaky_relu(F.linear(f, q["0.weight"], q["0.bias"]), 0.01)
        z = F.leaky_relu(F.linear(z, q["2.weight"], q["2.bias"]), 0.01)
        z = F.linear(z, q["4.weight"], q["4.bias"])
        code = torch.argmax(torch.log_softmax(z, dim=-1), dim=-1)  # (1, T)
        raw = code.clone()
        it = 0
        while (code == self.vocab).any() and it < 10000:
            code = torch.where(code == self.vocab, torch.roll(code, 1), code)  # flattened roll, like the original
            it += 1
        code = code.squeeze(0)
        return (code, raw.squeeze(0)) if return_raw else code

    # ---------------------------------------------------------------- pitch
    def f0(self, wav):
        L = wav.shape[0]
        target = L // 80 + 1
        try:
            f0, uv = self.fcpe.infer(wav.float().reshape(1, L, 1), sr=16000, decoder_mode="local_argmax", threshold=0.05,
                                     f0_min=50, f0_max=1100, interp_uv=True, output_interp_target_length=target, retur_uv=True)
        except IndexError:
            return np.zeros(target, np.float32), np.zeros(target, np.float32)
        return f0.squeeze().numpy().reshape(-1), (1 - uv.squeeze().numpy()).reshape(-1)

    def vq_codes(self, f0, vuv):
        f0 = np.array(f0, dtype=np.float32)
        if "norm_" in self.vq_cfg["features"]:
            f0[f0 != 0] -= f0[vuv != 0].mean()
        x = torch.from_numpy(np.stack([f0, vuv]).astype(np.float32))[None]
        sd, enc = self.vq, self.vq_cfg["encoder_params"]
        s = enc["strides_t"][0]
        for i in range(enc["downs_t"][0]):
            p = f"encoder.level_blocks.0.model.{i}."
            x = F.conv1d(x, sd[p + "0.weight"], sd[p + "0.bias"], stride=s, padding=s // 2)
            for j in range(enc["depth"]):
                dil = enc["dilation_growth_rate"] ** j
                q = p + f"1.model.{j}.model."
                y = F.conv1d(F.relu(x), sd[q + "1.weight"], sd[q + "1.bias"], padding=dil, dilation=dil)
                y = F.conv1d(F.relu(y), sd[q + "3.weight"], sd[q + "3.bias"])
                x = x + 1.0 * y
        p = f"encoder.level_blocks.0.model.{enc['downs_t'][0]}."
        x = F.conv1d(x, sd[p + "weight"], sd[p + "bias"], padding=1)
        flat = x.permute(0, 2, 1).contiguous().view(-1, x.shape[1])
        kw = sd["vq.level_blocks.0.k"].t()
        dist = torch.sum(flat**2, dim=-1, keepdim=True) - 2 * torch.matmul(flat, kw) + torch.sum(kw**2, dim=0, keepdim=True)
        return torch.min(dist, dim=-1)[1]

    # ---------------------------------------------------------------- style (transformers 4.4x wav2vec2 + SDPA)
    def style_codes(self, wav):
        s, cfg = self.s, self.s_cfg
        x = wav.numpy().astype(np.float32)
        x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
        x = torch.from_numpy(x)[None, None]
        for i, (k, st) in enumerate(STYLE_CONV):
            x = F.conv1d(x, s[f"wav2vec2.feature_extractor.conv_layers.{i}.conv.weight"], stride=st)
            if i == 0:
                x = F.group_norm(x, x.shape[1], s["wav2vec2.feature_extractor.conv_layers.0.layer_norm.weight"],
                                 s["wav2vec2.feature_extractor.conv_layers.0.layer_norm.bias"], 1e-5)
            x = F.gelu(x)
        x = x.transpose(1, 2)
        x = F.layer_norm(x, (x.shape[-1],), s["wav2vec2.feature_projection.layer_norm.weight"], s["wav2vec2.feature_projection.layer_norm.bias"], 1e-5)
        x = F.linear(x, s["wav2vec2.feature_projection.projection.weight"], s["wav2vec2.feature_projection.projection.bias"])
        d = x.shape[-1]
        pre = "wav2vec2.encoder.pos_conv_embed.conv."
        w = torch._weight_norm(s[pre + "weight_v"], s[pre + "weight_g"], 2)
        pc = F.conv1d(x.transpose(1, 2), w, s[pre + "bias"], padding=cfg["num_conv_pos_embeddings"] // 2, groups=cfg["num_conv_pos_embedding_groups"])
        x = x + F.gelu(pc[:, :, :-1]).transpose(1, 2)
        eps = cfg["layer_norm_eps"]
        x = F.layer_norm(x, (d,), s["wav2vec2.encoder.layer_norm.weight"], s["wav2vec2.encoder.layer_norm.bias"], eps)
        H = cfg["num_attention_heads"]
        t = x.shape[1]
        for i in range(cfg["num_hidden_layers"]):
            p = f"wav2vec2.encoder.layers.{i}."
            lin = lambda y, n: F.linear(y, s[p + n + ".weight"], s[p + n + ".bias"])  # noqa: E731
            q = lin(x, "attention.q_proj").view(1, t, H, d // H).transpose(1, 2)
            k = lin(x, "attention.k_proj").view(1, t, H, d // H).transpose(1, 2)
            v = lin(x, "attention.v_proj").view(1, t, H, d // H).transpose(1, 2)
            a = F.scaled_dot_product_attention(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False)
            a = lin(a.transpose(1, 2).reshape(1, t, d), "attention.out_proj")
            x = F.layer_norm(x + a, (d,), s[p + "layer_norm.weight"], s[p + "layer_norm.bias"], eps)
            ff = lin(F.gelu(lin(x, "feed_forward.intermediate_dense")), "feed_forward.output_dense")
            x = F.layer_norm(x + ff, (d,), s[p + "final_layer_norm.weight"], s[p + "final_layer_norm.bias"], eps)
        x = F.linear(x, s["projector.weight"], s["projector.bias"])
        pooled = torch.stack([c.mean(dim=1) for c in torch.split(x, 50, dim=1)], dim=1)
        logits = F.linear(pooled, s["classifier.weight"], s["classifier.bias"])
        return torch.argmax(torch.log_softmax(logits, dim=-1), dim=-1)[0]

    # ---------------------------------------------------------------- §2 chunking
    @torch.inference_mode()
    def encode_units(self, wav):
        keys = ["hubert", "pitch", "style"] if self.variant == "expressive" else ["hubert"]
        out = {k: [] for k in keys}
        for start in range(0, wav.shape[0], 1_600_000):
            chunk = wav[start : start + 1_600_000]
            if chunk.shape[0] < 1280:
                continue
            out["hubert"] += self.hubert_codes(chunk).tolist()
            if self.variant == "expressive":
                out["pitch"] += self.vq_codes(*self.f0(chunk)).tolist()
                out["style"] += self.style_codes(chunk).tolist()
        return out
