# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Benchmark the speech tokenizer: one-at-a-time vs batched encoding, exact fp32 vs opt-in bf16 fast path.

Full-size random weights (HuBERT-base 25 Hz + quantizer; wav2vec2-base style model and F0 VQ-VAE for expressive),
N utterances of 1-15 s. Prints real-time factors, ratios, achieved GFLOP/s (analytic count of the HuBERT/wav2vec2
matmuls and convolutions) beside the machine's fp32 matmul peak measured in the same run, and the unit agreement
of the fast path. Run: ``python benchmarks/bench_speech_tokenizer.py [--n 16] [--variants base expressive]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from modeling_spirit.configuration_spirit_speech_tokenizer import SpiritLMSpeechTokenizerConfig  # noqa: E402
from modeling_spirit.constants import SAMPLING_RATE, VARIANTS  # noqa: E402
from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer  # noqa: E402


def matmul_peak(seconds=2.0, n=1024):
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    reps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        torch.mm(a, b)
        reps += 1
    return 2 * n**3 * reps / (time.perf_counter() - t0) / 1e9


def encoder_flops(L, conv_dim, kernels, strides, d, ffn, layers, extra_per_frame=0):
    flops, n, cin = 0, L, 1
    for c, k, s in zip(conv_dim, kernels, strides):
        n = (n - k) // s + 1
        flops += 2 * cin * c * k * n
        cin = c
    t = n
    flops += 2 * t * cin * d  # projection
    flops += 2 * t * d * (d // 16) * 128  # positional conv
    flops += layers * (2 * t * (4 * d * d + 2 * d * ffn) + 4 * t * t * d)
    return flops + t * extra_per_frame


def total_flops(model, lengths):
    c = model.config
    h = c.hubert_config
    q1, q2 = c.quantizer_hidden_sizes
    f = 0
    for L in lengths:
        f += encoder_flops(L, h["conv_dim"], h["conv_kernel"], h["conv_stride"], h["hidden_size"], h["intermediate_size"],
                           c.hubert_output_layer, 2 * (h["hidden_size"] * q1 + q1 * q2 + q2 * 501))
        if c.is_expressive:
            s = c.style_config
            f += encoder_flops(L, s["conv_dim"], s["conv_kernel"], s["conv_stride"], s["hidden_size"],
                               s["intermediate_size"], s["num_hidden_layers"], 2 * s["hidden_size"] * s["classifier_proj_size"])
    return f


def timed(fn):
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def agreement(a, b):
    same = total = 0
    for x, y in zip(a, b):
        for k in x:
            same += sum(int(u == v) for u, v in zip(x[k], y[k]))
            total += max(len(x[k]), len(y[k]))
    return same / max(total, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--variants", nargs="+", default=list(VARIANTS))
    ap.add_argument("--short", type=float, default=2.0, help="length (s) of the short-utterance batching check")
    args = ap.parse_args()
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    secs = torch.linspace(1, 15, args.n).tolist()
    waves = [0.1 * torch.randn(int(s * SAMPLING_RATE), generator=g) for s in secs]
    audio_s = sum(secs)
    peak = matmul_peak()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}; fp32 matmul peak {peak:.1f} GFLOP/s")
    print(f"{args.n} utterances, {secs[0]:.0f}-{secs[-1]:.0f} s, {audio_s:.0f} s of audio")
    for variant in args.variants:
        model = SpiritLMSpeechTokenizer(SpiritLMSpeechTokenizerConfig(variant=variant)).eval()
        if variant == "expressive":  # a non-degenerate codebook
            model.f0_vqvae.vq.level_blocks[0].k.normal_()
            model.encode_units(waves[0][:SAMPLING_RATE])  # spawn FCPE outside the timings
        flops = total_flops(model, [w.shape[0] for w in waves])
        loop, t_loop = timed(lambda: [model.encode_units(w) for w in waves])
        batch, t_batch = timed(lambda: model.encode_units(waves))
        fast, t_fast = timed(lambda: model.encode_units(waves, fast=True))
        assert batch == loop, "batched units differ from per-utterance units"
        print(f"\n[{variant}] analytic {flops / 1e9:.0f} GFLOP (HuBERT{' + style' if variant == 'expressive' else ''})")
        for name, t in (("one at a time", t_loop), ("batched", t_batch), ("batched bf16 fast", t_fast)):
            print(f"  {name:18s} {t:7.2f} s  RTF {t / audio_s:.4f}  {flops / t / 1e9:7.1f} GFLOP/s "
                  f"({100 * flops / t / 1e9 / peak:.0f}% of peak)")
        print(f"  batched / loop speed-up: {t_loop / t_batch:.2f}x; fast / exact: {t_batch / t_fast:.2f}x; "
              f"fast-path unit agreement {100 * agreement(batch, fast):.2f}%")
        short = [0.1 * torch.randn(int(args.short * SAMPLING_RATE), generator=g) for _ in range(args.n)]
        _, ts_loop = timed(lambda: [model.encode_units(w) for w in short])
        _, ts_batch = timed(lambda: model.encode_units(short))
        print(f"  short utterances ({args.short:.0f} s x {args.n}): loop {ts_loop:.2f} s, batched {ts_batch:.2f} s, "
              f"speed-up {ts_loop / ts_batch:.2f}x")


if __name__ == "__main__":
    main()
