# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""GPU benchmark of every component on one device, with a 7B-shaped random Spirit LM built here.

    python benchmarks/bench_gpu.py                 # one GPU: Llama-2-7B shape, bf16, < 8 min on an H200
    python benchmarks/bench_gpu.py --layers 8      # a shrunk model (any of --hidden/--layers/--heads/--ffn)
    python benchmarks/bench_gpu.py --tiny          # CPU smoke run with tiny models (what the tests run)

Rows:

* LM decode tokens/s at batch 1/8/32 (greedy, every row generates exactly ``--new-tokens``; the decode rate is
  ``batch x (new - 1) / (t(new) - t(1))``, so the prefill is not counted), with the default dynamic KV cache and
  eager forward, and with transformers' standard fast path: ``generate(..., cache_implementation="static")``, whose
  decoding step ``generate`` compiles with ``torch.compile`` on an accelerator (``GenerationConfig.compile_config``;
  ``--compile off`` passes ``disable_compile=True`` and measures the static cache alone, the CPU default).
* Speech tokenization real-time factor (seconds of compute per second of audio) at batch 1 and 16: full-size
  HuBERT-base 25 Hz + quantizer (``--variant expressive`` adds FCPE, the F0 VQ-VAE and the wav2vec2 style model),
  exact fp32, clips of 4-12 s; a batch is one ``encode_units`` call (length-sorted groups, one padded conv batch
  per group on the accelerator).
* Vocoder real-time factor at batch 1 and 8: full-size 512-channel unit HiFi-GAN, 10 s of units per item, one
  ``decode_batch`` call per batch.
* Speech -> speech real-time factor at batch 1 and 8: ``pipeline("spirit-lm")`` (speech tokenizer, the LM, vocoder
  on the same device; ``--s2s-static`` passes ``cache_implementation="static"`` through the pipeline as a generate
  keyword: one more compilation), 250 generated units per input, wall time / seconds of generated audio.

The LM uses SDPA attention (``attn_implementation="sdpa"``; ``--attn flash_attention_2`` where flash-attn is
installed). Weights are random (``torch.nn.init.normal_(std=0.02)``), made directly on the device.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import modeling_spirit  # noqa: E402,F401  (registers the pipeline task)
from modeling_spirit.configuration_spirit_hifigan import SpiritLMHifiGanConfig  # noqa: E402
from modeling_spirit.configuration_spirit_lm import SpiritLMConfig  # noqa: E402
from modeling_spirit.configuration_spirit_speech_tokenizer import SpiritLMSpeechTokenizerConfig  # noqa: E402
from modeling_spirit.constants import SAMPLING_RATE  # noqa: E402
from modeling_spirit.modeling_spirit_hifigan import SpiritLMHifiGan  # noqa: E402
from modeling_spirit.modeling_spirit_lm import SpiritLMForCausalLM  # noqa: E402
from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer  # noqa: E402

SEVEN_B = dict(hidden=4096, layers=32, heads=32, ffn=11008)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(fn, device, repeats: int) -> tuple:
    """(median seconds, spread, last result) of ``repeats`` calls after one warm-up."""
    out = fn()
    times = []
    for _ in range(repeats):
        sync(device)
        t = time.perf_counter()
        out = fn()
        sync(device)
        times.append(time.perf_counter() - t)
    med = statistics.median(times)
    return med, (max(times) - min(times)) / med, out


def random_init_(module: torch.nn.Module, seed: int = 0) -> None:
    g = torch.Generator(device=next(module.parameters()).device).manual_seed(seed)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.endswith("norm.weight") or "layernorm" in name:
                p.fill_(1.0)
            else:
                p.normal_(0.0, 0.02, generator=g)


def build_lm(args, device, dtype, text_vocab_size: int = 32000) -> SpiritLMForCausalLM:
    config = SpiritLMConfig(variant="base", text_vocab_size=text_vocab_size, hidden_size=args.hidden,
                            num_hidden_layers=args.layers, num_attention_heads=args.heads,
                            num_key_value_heads=args.heads, intermediate_size=args.ffn, max_position_embeddings=4096,
                            tie_word_embeddings=False)
    config._attn_implementation = args.attn
    with torch.device("meta"):
        model = SpiritLMForCausalLM(config)
    model = model.to_empty(device=device).to(dtype)
    random_init_(model)
    with torch.device(device):  # real inv_freq buffers (non-persistent, empty after to_empty)
        model.model.rotary_emb = type(model.model.rotary_emb)(config=config)
    return model.eval()


def header(title: str) -> None:
    print(f"\n{title}")


def bench_lm(args, device, dtype) -> SpiritLMForCausalLM:
    model = build_lm(args, device, dtype)
    n = sum(p.numel() for p in model.parameters())
    header(f"LM decode, {n / 1e9:.2f}B parameters ({args.layers} layers, hidden {args.hidden}), {dtype}, "
           f"{args.attn}; prompt {args.prompt} tokens, {args.new_tokens} new tokens per row")
    g = torch.Generator().manual_seed(0)
    modes = [("dynamic cache, eager", dict(disable_compile=True))]
    compile_on = args.compile_on
    static = dict(cache_implementation="static")
    if compile_on:
        from transformers import CompileConfig

        static["compile_config"] = CompileConfig(fullgraph=True)
        modes.append(("static cache + torch.compile", static))
    else:
        modes.append(("static cache (compile off)", dict(static, disable_compile=True)))
    print(f"  {'batch':>5s}  {'mode':30s} {'tok/s':>9s} {'spread':>7s}  {'ms/step':>8s}")
    for batch in args.lm_batches:
        ids = torch.randint(3, 32000, (batch, args.prompt), generator=g).to(device)
        mask = torch.ones_like(ids)
        rates = {}
        for label, extra in modes:
            def run(new, extra=extra):
                with torch.inference_mode():
                    return model.generate(ids, attention_mask=mask, max_new_tokens=new, min_new_tokens=new,
                                          do_sample=False, pad_token_id=2, output_modality="arbitrary", **extra)
            t_full, s_full, out = timed(lambda: run(args.new_tokens), device, args.repeats)
            t_one, _, _ = timed(lambda: run(1), device, args.repeats)
            rate = batch * (args.new_tokens - 1) / max(t_full - t_one, 1e-9)
            rates[label] = (rate, out)
            print(f"  {batch:5d}  {label:30s} {rate:9.1f} {100 * s_full:6.0f}%  "
                  f"{1000 * (t_full - t_one) / (args.new_tokens - 1):8.2f}")
        (r0, o0), (r1, o1) = rates.values()
        print(f"  {batch:5d}  {'fast / default':30s} {r1 / r0:8.2f}x          same ids: "
              f"{'yes' if torch.equal(o0, o1) else 'no (bf16 kernels differ)'}")
    return model


def bench_speech_tokenizer(args, device) -> SpiritLMSpeechTokenizer:
    cfg = SpiritLMSpeechTokenizerConfig(variant=args.variant, **args.st_overrides)
    torch.manual_seed(0)
    model = SpiritLMSpeechTokenizer(cfg).eval().to(device)
    if args.variant == "expressive":
        with torch.no_grad():
            model.f0_vqvae.vq.level_blocks[0].k.normal_()
    g = torch.Generator().manual_seed(1)
    lo, hi = args.clip_seconds
    header(f"speech tokenization ({args.variant}, exact fp32), clips of {lo:g}-{hi:g} s")
    for batch in args.st_batches:
        secs = np.linspace(lo, hi, batch) if batch > 1 else [(lo + hi) / 2]
        waves = [0.1 * torch.randn(int(s * SAMPLING_RATE), generator=g) for s in secs]
        t, s, _ = timed(lambda: model.encode_units(waves), device, args.repeats)
        print(f"  batch {batch:3d}: {t:7.3f} s for {sum(secs):6.1f} s of audio, RTF {t / sum(secs):.4f} "
              f"(spread {100 * s:.0f}%)")
    return model


def bench_vocoder(args, device) -> SpiritLMHifiGan:
    cfg = SpiritLMHifiGanConfig(variant="base", **args.voc_overrides)
    torch.manual_seed(0)
    vocoder = SpiritLMHifiGan(cfg).eval().to(device)
    g = torch.Generator().manual_seed(2)
    n_units = int(args.vocoder_seconds * 25)
    header(f"vocoder (HiFi-GAN {cfg.upsample_initial_channel} ch, dur_pred), {args.vocoder_seconds:g} s of units "
           "per item")
    for batch in args.voc_batches:
        items = [{"hubert": torch.randint(0, 500, (n_units,), generator=g).tolist()} for _ in range(batch)]
        t, s, out = timed(lambda: vocoder.decode_batch(items), device, args.repeats)
        audio = sum(len(w) for w in out) / SAMPLING_RATE
        print(f"  batch {batch:3d}: {t:7.3f} s for {audio:6.1f} s of audio, RTF {t / audio:.4f} (spread {100 * s:.0f}%)")
    return vocoder


def bench_speech_to_speech(args, device, dtype, lm, speech_tokenizer, vocoder) -> None:
    from transformers import pipeline

    from recipes.tiny.models import build_tiny_spirit_lm

    with tempfile.TemporaryDirectory() as tmp:
        tiny = pipeline("spirit-lm", model=build_tiny_spirit_lm(os.path.join(tmp, "tiny")))
    # The LM body of the benchmark above with the tiny tokenizer's layout (its own small embedding and head).
    text_vocab = tiny.model.config.text_vocab_size
    config = SpiritLMConfig(variant="base", text_vocab_size=text_vocab, hidden_size=args.hidden,
                            num_hidden_layers=args.layers, num_attention_heads=args.heads,
                            num_key_value_heads=args.heads, intermediate_size=args.ffn, max_position_embeddings=4096,
                            tie_word_embeddings=False)
    with torch.device("meta"):
        model = SpiritLMForCausalLM(config)
    model.model.layers, model.model.norm = lm.model.layers, lm.model.norm  # shared, no copy
    model.model.embed_tokens = torch.nn.Embedding(model.config.vocab_size, args.hidden, device=device, dtype=dtype)
    model.lm_head = torch.nn.Linear(args.hidden, model.config.vocab_size, bias=False, device=device, dtype=dtype)
    with torch.device(device):
        model.model.rotary_emb = type(lm.model.rotary_emb)(config=model.config)
    random_init_(model.model.embed_tokens, 3)
    random_init_(model.lm_head, 4)
    model.config._attn_implementation = lm.config._attn_implementation
    model.eval()
    pipe = pipeline("spirit-lm", model=model, tokenizer=tiny.tokenizer, speech_tokenizer=speech_tokenizer,
                    vocoder=vocoder, device=device)
    g = torch.Generator().manual_seed(5)
    header(f"speech -> speech (pipeline, every component on {device}), {args.s2s_seconds:g} s in, "
           f"{args.s2s_tokens} units out per input{'; LM: cache_implementation=static' if args.s2s_static else ''}")
    gen = dict(max_new_tokens=args.s2s_tokens, min_new_tokens=args.s2s_tokens, do_sample=False)
    if args.s2s_static:  # the LM's fast path, passed through the pipeline as generate keywords
        gen["cache_implementation"] = "static"
    for batch in args.s2s_batches:
        waves = [(0.1 * torch.randn(int(args.s2s_seconds * SAMPLING_RATE), generator=g)).numpy() for _ in range(batch)]
        call = (lambda: pipe(waves, output_modality="speech", batch_size=batch, **gen)) if batch > 1 else \
            (lambda: [pipe(waves[0], output_modality="speech", **gen)])
        t, s, out = timed(call, device, args.repeats)
        audio = sum(seg["audio"].shape[-1] for res in out for seg in res if seg.get("type") == "speech") / SAMPLING_RATE
        print(f"  batch {batch:3d}: {t:7.3f} s, {audio:6.1f} s of audio out, RTF {t / max(audio, 1e-9):.4f} "
              f"(spread {100 * s:.0f}%)")


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tiny", action="store_true", help="tiny models and sizes (CPU smoke run; figures mean nothing)")
    ap.add_argument("--device", default=None, help="default: cuda when available, else cpu")
    ap.add_argument("--dtype", default="bfloat16", choices=["bfloat16", "float16", "float32"], help="LM weights")
    ap.add_argument("--attn", default="sdpa", choices=["sdpa", "eager", "flash_attention_2"])
    ap.add_argument("--compile", default="auto", choices=["auto", "on", "off"],
                    help="torch.compile the static-cache decoding step (auto: on for accelerators, off on CPU)")
    ap.add_argument("--hidden", type=int, default=None)
    ap.add_argument("--layers", type=int, default=None)
    ap.add_argument("--heads", type=int, default=None)
    ap.add_argument("--ffn", type=int, default=None)
    ap.add_argument("--prompt", type=int, default=None, help="prompt tokens (default 128; tiny 8)")
    ap.add_argument("--new-tokens", type=int, default=None, help="new tokens per row (default 128; tiny 6)")
    ap.add_argument("--repeats", type=int, default=None, help="timed calls per row (default 3; tiny 1)")
    ap.add_argument("--variant", default="base", choices=["base", "expressive"], help="speech tokenizer variant")
    ap.add_argument("--s2s-static", action="store_true", help="speech -> speech with the static cache (+ compile)")
    ap.add_argument("--skip", nargs="*", default=[], choices=["lm", "tokenizer", "vocoder", "s2s"])
    args = ap.parse_args(argv)
    tiny = args.tiny
    size = dict(hidden=64, layers=2, heads=4, ffn=128) if tiny else SEVEN_B
    for k, v in size.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    for k, (t, full) in dict(prompt=(8, 128), new_tokens=(6, 128), repeats=(1, 3)).items():
        if getattr(args, k) is None:
            setattr(args, k, t if tiny else full)
    args.lm_batches = (1, 2) if tiny else (1, 8, 32)
    args.st_batches = (1, 2) if tiny else (1, 16)
    args.voc_batches = (1, 2) if tiny else (1, 8)
    args.s2s_batches = (1, 2) if tiny else (1, 8)
    args.clip_seconds = (0.5, 1.0) if tiny else (4.0, 12.0)
    args.vocoder_seconds = 1.0 if tiny else 10.0
    args.s2s_seconds = 1.0 if tiny else 6.0
    args.s2s_tokens = 8 if tiny else 250
    args.st_overrides, args.voc_overrides = {}, {}
    if tiny:
        from recipes.tiny.models import tiny_vocoder_config_kwargs
        from modeling_spirit.configuration_spirit_speech_tokenizer import default_hubert_config

        hubert = default_hubert_config()
        hubert.update(hidden_size=64, num_hidden_layers=11, num_attention_heads=4, intermediate_size=128,
                      conv_dim=[32] * 8, num_conv_pos_embedding_groups=16)
        args.st_overrides = dict(hubert_config=hubert, quantizer_hidden_sizes=[96, 96])
        args.voc_overrides = {k: v for k, v in tiny_vocoder_config_kwargs("base").items() if k != "variant"}
    if args.new_tokens < 2:
        ap.error("--new-tokens must be >= 2 (the decode rate subtracts a 1-token call)")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = getattr(torch, args.dtype)
    args.compile_on = args.compile == "on" or (args.compile == "auto" and device.type != "cpu")
    t0 = time.perf_counter()
    gpu = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{os.cpu_count()} CPUs"
    print(f"torch {torch.__version__}, device {device} ({gpu}){'  [--tiny]' if args.tiny else ''}")
    lm = speech_tokenizer = vocoder = None
    if "lm" not in args.skip or "s2s" not in args.skip:
        lm = bench_lm(args, device, dtype) if "lm" not in args.skip else build_lm(args, device, dtype)
    if "tokenizer" not in args.skip or "s2s" not in args.skip:
        speech_tokenizer = bench_speech_tokenizer(args, device)
    if "vocoder" not in args.skip or "s2s" not in args.skip:
        vocoder = bench_vocoder(args, device)
    if "s2s" not in args.skip:
        bench_speech_to_speech(args, device, dtype, lm, speech_tokenizer, vocoder)
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
