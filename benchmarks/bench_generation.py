# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Generation benchmark: batched LM throughput, and end-to-end speech->speech time split into its parts.

    .venv/bin/python benchmarks/bench_generation.py [--quick] [--threads N] [--new-tokens 48] [--batch 8]

(a) Throughput (new tokens/s; greedy, KV cache, every row generates exactly ``--new-tokens``) of a randomly
    initialised ~140M-parameter Spirit LM (hidden 768, 12 layers, 12 heads, MLP 2048, the real 32000-piece text
    vocabulary + units: 32512 rows), one prompt at a time vs ``--batch`` left-padded prompts of different lengths
    in one ``generate``. Target: batch-8 throughput >= 4x batch-1.
(b) Speech->speech with ``pipeline("spirit-lm")`` on random models (the tiny default and, without ``--quick``, a
    medium LM with the same tokenizer, speech tokenizer and vocoder): time of the speech tokenizer, of ``generate``
    and of the vocoder, each with its share of the total, and the first streamed audio chunk (``stream=True``)
    against the full call.

Every figure is measured in this process; ratios compare runs made here. The machine's load average is printed
(a shared machine makes absolute numbers noisy; the ratios are more stable). ``--quick`` runs CI-scale sizes.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

import modeling_spirit  # noqa: E402,F401  (registers the pipeline task)
from modeling_spirit.configuration_spirit_lm import SpiritLMConfig  # noqa: E402
from modeling_spirit.constants import SAMPLING_RATE  # noqa: E402
from modeling_spirit.modeling_spirit_lm import SpiritLMForCausalLM  # noqa: E402
from modeling_spirit.processing_spirit_lm import left_pad  # noqa: E402
from recipes.tiny.models import build_tiny_spirit_lm, tiny_config_kwargs  # noqa: E402


def loadavg() -> str:
    try:
        return "load average %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "load average n/a"


def best_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


# ---------------------------------------------------------------------------------------------------------------
# (a) batched generation throughput
# ---------------------------------------------------------------------------------------------------------------


def lm_100m() -> SpiritLMForCausalLM:
    config = SpiritLMConfig(
        variant="base", text_vocab_size=32000, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
        num_key_value_heads=12, intermediate_size=2048, max_position_embeddings=2048, tie_word_embeddings=False,
    )
    torch.manual_seed(0)
    return SpiritLMForCausalLM(config).eval()


def generate_fixed(model, prompts, new_tokens: int) -> torch.Tensor:
    """Greedy generation of exactly ``new_tokens`` per row (EOS disabled), left padding, KV cache."""
    pad = model.config.eos_token_id
    input_ids, attention_mask = left_pad(prompts, pad)
    with torch.no_grad():
        return model.generate(
            input_ids=input_ids, attention_mask=attention_mask, max_new_tokens=new_tokens,
            min_new_tokens=new_tokens, do_sample=False, use_cache=True, pad_token_id=pad, eos_token_id=None,
            output_modality="arbitrary",
        )


def bench_throughput(args) -> None:
    model = lm_100m()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"\n(a) batched generation: random Spirit LM, {n_params / 1e6:.0f}M parameters (hidden 768, 12 layers, "
          f"vocab {model.config.vocab_size}), greedy, KV cache, {args.new_tokens} new tokens per row")
    rng = np.random.RandomState(0)
    lengths = [args.prompt_len - 3 * i for i in range(args.batch)]  # different lengths: real left padding
    prompts = [[1] + rng.randint(3, 32000, size=n - 1).tolist() for n in lengths]

    # Batch 1 (the baseline: the prompts one at a time) and batch N, measured in alternating rounds so that both
    # see the same load; each figure is the best round (the machine is shared, see the load average).
    singles = prompts[: args.single_prompts]
    generate_fixed(model, prompts, 2)  # warm-up
    t1 = tb = float("inf")
    for _ in range(args.rounds):
        t = time.perf_counter()
        for p in singles:
            out = generate_fixed(model, [p], args.new_tokens)
            assert out.shape[1] - len(p) == args.new_tokens
        t1 = min(t1, (time.perf_counter() - t) / len(singles))
        t = time.perf_counter()
        out = generate_fixed(model, prompts, args.new_tokens)
        tb = min(tb, time.perf_counter() - t)
        assert out.shape == (args.batch, max(lengths) + args.new_tokens)
    tps1 = args.new_tokens / t1
    tpsb = args.batch * args.new_tokens / tb
    print(f"  batch 1: {tps1:8.1f} new tokens/s  ({t1:.2f} s per prompt; {len(singles)} prompt(s), best of "
          f"{args.rounds} rounds)")
    print(f"  batch {args.batch}: {tpsb:8.1f} new tokens/s  ({tb:.2f} s for {args.batch} prompts, best of {args.rounds})")
    print(f"  ratio batch {args.batch} / batch 1 throughput: {tpsb / tps1:.2f}x (target >= 4x)   [{loadavg()}]")
    # greedy batched rows equal one-by-one (a correctness check of the padded path on this model)
    single0 = generate_fixed(model, [prompts[0]], args.new_tokens)[0, len(prompts[0]) :]
    same = torch.equal(single0, out[0, -args.new_tokens :])
    print(f"  batched row 0 == one-by-one: {same}")


# ---------------------------------------------------------------------------------------------------------------
# (b) speech -> speech, split into its parts
# ---------------------------------------------------------------------------------------------------------------


def speech_pipeline(tiny_dir: str, size: str):
    from transformers import pipeline

    pipe = pipeline("spirit-lm", model=tiny_dir)
    if size == "medium":
        kw = tiny_config_kwargs("base")
        kw.update(hidden_size=512, intermediate_size=1376, num_hidden_layers=8, num_attention_heads=8,
                  num_key_value_heads=8)
        torch.manual_seed(0)
        model = SpiritLMForCausalLM(SpiritLMConfig(**kw)).eval()
        pipe = pipeline("spirit-lm", model=model, tokenizer=pipe.tokenizer, speech_tokenizer=pipe.speech_tokenizer,
                        vocoder=pipe.vocoder)
    return pipe


def bench_speech_to_speech(args, tiny_dir: str, size: str) -> None:
    pipe = speech_pipeline(tiny_dir, size)
    n_params = sum(p.numel() for p in pipe.model.parameters())
    sr = SAMPLING_RATE
    t_axis = np.arange(int(args.seconds * sr)) / sr
    wav = (0.3 * np.sin(2 * np.pi * 220 * t_axis) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t_axis))
           + 0.02 * np.random.RandomState(0).randn(t_axis.size)).astype(np.float32)
    gen = dict(max_new_tokens=args.speech_tokens, min_new_tokens=args.speech_tokens, do_sample=False)
    print(f"\n(b) speech->speech, {size} random LM ({n_params / 1e6:.1f}M parameters), tiny random speech tokenizer "
          f"and vocoder: {args.seconds:.1f} s of audio in, {args.speech_tokens} generated unit tokens out")

    pipe(wav, output_modality="speech", max_new_tokens=4, do_sample=False)  # warm-up
    parts = {"tokenize": float("inf"), "generate": float("inf"), "vocode": float("inf")}  # best of the repeats
    total_call = float("inf")
    out_samples = 0
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        model_input = pipe.preprocess(wav, output_modality="speech")  # speech tokenizer (+ text tokenizer)
        t1 = time.perf_counter()
        model_output = pipe.forward([model_input], output_modality="speech", generate_kwargs=gen)
        t2 = time.perf_counter()
        result = pipe.postprocess(model_output, output_modality="speech")  # vocoder
        t3 = time.perf_counter()
        for k, v in zip(parts, (t1 - t0, t2 - t1, t3 - t2)):
            parts[k] = min(parts[k], v)
        out_samples = result[0][0]["audio"].shape[0]
        t = time.perf_counter()
        pipe(wav, output_modality="speech", **gen)
        total_call = min(total_call, time.perf_counter() - t)
    total = sum(parts.values())
    for k, v in parts.items():
        print(f"  {k:9s} {v:7.3f} s  {100 * v / total:5.1f}%")
    print(f"  sum       {total:7.3f} s  (one pipeline call: {total_call:.3f} s; output {out_samples / sr:.2f} s of "
          f"audio, real-time factor {total_call / max(out_samples / sr, 1e-9):.2f})")

    # streaming: time to the first audio chunk vs the full call (same generation)
    t = time.perf_counter()
    first = None
    n_chunks = 0
    for event in pipe(wav, output_modality="speech", stream=True, **gen):
        if event["type"] == "speech":
            n_chunks += 1
            if first is None:
                first = time.perf_counter() - t
    t_stream = time.perf_counter() - t
    if first is not None:
        print(f"  stream=True: first audio chunk after {first:.3f} s = {100 * first / total_call:.0f}% of the full "
              f"call; whole stream {t_stream:.3f} s ({t_stream / total_call:.2f}x the full call), {n_chunks} chunks"
              f"   [{loadavg()}]")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="CI-scale sizes (well under a minute)")
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads (default: torch's)")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--new-tokens", type=int, default=None, help="new tokens per row in (a) (default 32; quick 12)")
    ap.add_argument("--prompt-len", type=int, default=48)
    ap.add_argument("--single-prompts", type=int, default=None, help="prompts timed one at a time (default 2; quick 1)")
    ap.add_argument("--rounds", type=int, default=None, help="alternating timing rounds in (a) (default 3; quick 2)")
    ap.add_argument("--seconds", type=float, default=None, help="input audio in (b) (default 4 s; quick 2 s)")
    ap.add_argument("--speech-tokens", type=int, default=None, help="generated tokens in (b) (default 100; quick 40)")
    ap.add_argument("--repeats", type=int, default=None, help="repeats in (b) (default 3; quick 2)")
    ap.add_argument("--skip", choices=["a", "b"], default=None, help="skip part (a) or (b)")
    args = ap.parse_args()
    quick = args.quick
    defaults = dict(new_tokens=(12, 32), single_prompts=(1, 2), rounds=(2, 3), seconds=(2.0, 4.0), speech_tokens=(40, 100),
                    repeats=(2, 3))
    for k, (q, full) in defaults.items():
        if getattr(args, k) is None:
            setattr(args, k, q if quick else full)
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, {loadavg()}"
          + ("  [--quick]" if quick else ""))
    t_start = time.perf_counter()
    if args.skip != "a":
        bench_throughput(args)
    if args.skip != "b":
        with tempfile.TemporaryDirectory() as tmp:
            tiny_dir = build_tiny_spirit_lm(os.path.join(tmp, "tiny"), variant="base")
            for size in ("tiny",) if quick else ("tiny", "medium"):
                bench_speech_to_speech(args, tiny_dir, size)
    print(f"\ntotal benchmark time {time.perf_counter() - t_start:.1f} s   [{loadavg()}]")


if __name__ == "__main__":
    main()
