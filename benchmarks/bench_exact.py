# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The exact (fp32 / as-stored) paths against baselines measured in the same process, and against the original's
figures recorded in ``../shared/reference/measured-speed.md`` (2026-12-04, same sizes and inputs).

    .venv/bin/python benchmarks/bench_exact.py [--quick] [--repeats 3] [--threads 2] [--sections encode lm]

Rows (``speed`` = baseline's time / ours, > 1: ours faster):

* ``encode``: batched speech tokenization (one ``encode_units`` call for 8 clips of 1-4.5 s, 22 s of audio) against
  the same clips encoded one by one, for the base (HuBERT-base 25 Hz + quantizer) and the expressive (+ FCPE pitch,
  F0 VQ-VAE, wav2vec2-base style model) tokenizers with full-size random weights. Units must be equal.
* ``lm``: greedy decoding of 128 text tokens after a 127-token prompt, batch 1, with a 256-hidden 4-layer Llama-shaped
  Spirit LM (the real 32512-row vocabulary) in bf16 and fp32: ``SpiritLMForCausalLM.generate(output_modality="text")``
  against plain ``LlamaForCausalLM.generate`` on the same weights, given the same
  :class:`SpiritLMModalityLogitsProcessor` (same ids: the cost of our class and its ``generate`` override) and without
  any constraint (the cost of the masking itself). Ids must be equal. (transformers' own ``suppress_tokens`` with the
  same 512 banned ids would cost 3-5x: it runs ``torch.isin`` over the vocabulary at every step.)

Timing: one warm-up call each, then ``--repeats`` rounds in which the compared calls alternate; the median wall time
is reported with the spread ((max - min) / median) of each side, and the ratio of median *CPU* times (this process's
user+system time: much less sensitive to other processes on a shared machine). ``vs orig`` is the original's
recorded time for the same row divided by ours now: only comparable when the machine is as quiet as it was then
(the load average is printed). ``--quick`` runs CI sizes (a smoke test), whose figures mean nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch
from transformers import LogitsProcessorList

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from modeling_spirit.configuration_spirit_lm import SpiritLMConfig  # noqa: E402
from modeling_spirit.configuration_spirit_speech_tokenizer import SpiritLMSpeechTokenizerConfig  # noqa: E402
from modeling_spirit.constants import SAMPLING_RATE  # noqa: E402
from modeling_spirit.modeling_spirit_lm import SpiritLMForCausalLM, SpiritLMModalityLogitsProcessor  # noqa: E402
from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer  # noqa: E402

# The original's seconds (and ours, commit 153447f) for the rows that correspond, from measured-speed.md.
RECORDED = {
    "encode base": {"orig": 1.700, "ours one-by-one": 1.601, "ours batched": 1.972},
    "encode expressive": {"orig": 4.021, "ours one-by-one": 4.234, "ours batched": 4.545},
    "lm text bf16": {"orig": 0.635, "ours": 0.692},
    "lm text fp32": {"orig": 0.953, "ours": 1.012},
}


def loadavg() -> str:
    try:
        return "load average %.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        return "load average n/a"


def alternate(fns: dict, repeats: int) -> dict:
    """``{name: (wall seconds list, cpu seconds list, last result)}``: one warm-up each, then alternating rounds."""
    out = {name: ([], [], fn()) for name, fn in fns.items()}
    for _ in range(repeats):
        for name, fn in fns.items():
            c0, t0 = time.process_time(), time.perf_counter()
            res = fn()
            t1, c1 = time.perf_counter(), time.process_time()
            out[name][0].append(t1 - t0)
            out[name][1].append(c1 - c0)
            out[name] = (out[name][0], out[name][1], res)
    return out


def spread(xs) -> float:
    return (max(xs) - min(xs)) / statistics.median(xs)


def row(label: str, base, ours, note: str = "", orig: float = None) -> None:
    bw, bc, ow, oc = (statistics.median(x) for x in (base[0], base[1], ours[0], ours[1]))
    vs = f"{orig / ow:6.2f}x" if orig else "     -"
    print(f"  {label:44s} {bw:7.3f} {ow:7.3f} {bw / ow:6.2f}x {bc / oc:6.2f}x {100 * spread(base[0]):4.0f}/"
          f"{100 * spread(ours[0]):<3.0f}% {vs}  {note}")


def header(title: str) -> None:
    print(f"\n{title}")
    print(f"  {'row (baseline vs ours)':44s} {'base s':>7s} {'ours s':>7s} {'speed':>7s} {'cpu':>7s} {'spread':>9s} "
          f"{'vs orig':>7s}  notes")


# ----------------------------------------------------------------------------------------------------- encode
def bench_encode(args) -> None:
    g = torch.Generator().manual_seed(0)
    secs = [0.3, 0.5, 0.8] if args.quick else [1 + 0.5 * i for i in range(8)]  # 8 clips, 1-4.5 s, 22 s
    waves = [0.1 * torch.randn(int(s * SAMPLING_RATE), generator=g) for s in secs]
    order = [3, 0, 6, 1, 7, 2, 5, 4] if not args.quick else [2, 0, 1]  # not sorted: the batch sorts itself
    waves = [waves[i] for i in order]
    for variant in args.variants:
        torch.manual_seed(0)
        if args.quick:  # the tiny random speech tokenizer of the tests
            import tempfile

            from recipes.tiny.models import build_tiny_speech_tokenizer

            with tempfile.TemporaryDirectory() as tmp:
                model = build_tiny_speech_tokenizer(tmp, variant=variant)
        else:
            model = SpiritLMSpeechTokenizer(SpiritLMSpeechTokenizerConfig(variant=variant)).eval()
        if variant == "expressive":  # a non-degenerate codebook
            with torch.no_grad():
                model.f0_vqvae.vq.level_blocks[0].k.normal_()
        header(f"encode_units {variant}, {len(waves)} clips {min(secs):g}-{max(secs):g} s ({sum(secs):.1f} s), "
               f"{'tiny' if args.quick else 'full-size'} random weights; {loadavg()}")
        r = alternate({"loop": lambda: [model.encode_units(w) for w in waves],
                       "batch": lambda: model.encode_units(waves)}, args.repeats)
        same = r["loop"][2] == r["batch"][2]
        rec = RECORDED.get(f"encode {variant}") if not args.quick else None
        note = f"RTF {statistics.median(r['batch'][0]) / sum(secs):.3f}; same units: {'yes' if same else 'NO'}"
        if rec:
            note += (f"; then: batched {rec['ours batched']:.3f} s = {rec['ours one-by-one'] / rec['ours batched']:.2f}x"
                     f" one-by-one")
        row("one-by-one vs batched (1 call)", r["loop"], r["batch"], note, rec and rec["orig"])
        if not same:
            raise SystemExit(f"batched {variant} units differ from one-by-one")


# --------------------------------------------------------------------------------------------------------- lm
def lm_pair(quick: bool):
    """A Spirit LM and a plain ``LlamaForCausalLM`` with the same weights and Llama settings."""
    from recipes.tiny.models import plain_llama_twin

    size = (dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128) if quick else
            dict(hidden_size=256, num_hidden_layers=4, num_attention_heads=4, intermediate_size=688))
    cfg = SpiritLMConfig(variant="base", text_vocab_size=32000, num_key_value_heads=size["num_attention_heads"],
                         max_position_embeddings=4096, tie_word_embeddings=False, **size)
    torch.manual_seed(0)
    ours = SpiritLMForCausalLM(cfg).eval()
    return ours, plain_llama_twin(ours)


def bench_lm(args) -> None:
    ours32, plain32 = lm_pair(args.quick)
    new = args.new_tokens or (8 if args.quick else 128)
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, 32000, (1, 16 if args.quick else 127), generator=g)
    kw = dict(max_new_tokens=new, min_new_tokens=new, do_sample=False, pad_token_id=ours32.config.eos_token_id)
    for dtype in (torch.bfloat16, torch.float32):
        name = str(dtype).split(".")[1].replace("bfloat16", "bf16").replace("float32", "fp32")
        ours, plain = ours32.to(dtype), plain32.to(dtype)
        header(f"LM greedy text, batch 1, {name}: {ids.shape[1]}-token prompt -> {new} tokens; {loadavg()}")
        with torch.inference_mode():
            r = alternate({
                "plain": lambda: plain.generate(ids, **kw),
                "same": lambda: plain.generate(ids, logits_processor=LogitsProcessorList(
                    [SpiritLMModalityLogitsProcessor(ours.config, "text")]), **kw),
                "ours": lambda: ours.generate(ids, output_modality="text", **kw),
            }, args.repeats)
        same = torch.equal(r["same"][2], r["ours"][2])
        rec = RECORDED.get(f"lm text {name}") if not args.quick and new == 128 else None
        tok_s = new / statistics.median(r["ours"][0])
        row("plain generate + same processor vs ours", r["same"], r["ours"],
            f"{tok_s:.0f} tok/s; same ids: {'yes' if same else 'NO'}", rec and rec["orig"])
        row("plain generate (no constraint) vs ours", r["plain"], r["ours"], "plain's ids are unconstrained")
        if not same:
            raise SystemExit(f"{name}: ids differ from plain generate with the same banned ids")
        ours32, plain32 = ours.float(), plain.float()


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (a smoke test; the figures mean nothing)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--new-tokens", type=int, default=None, help="LM rows: new tokens (default 128; quick 8)")
    ap.add_argument("--sections", nargs="+", default=["encode", "lm"], choices=["encode", "lm"])
    ap.add_argument("--variants", nargs="+", default=["base", "expressive"], choices=["base", "expressive"])
    args = ap.parse_args(argv)
    if args.repeats < 1:
        ap.error("--repeats must be >= 1")
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs; {loadavg()}")
    if "encode" in args.sections:
        bench_encode(args)
    if "lm" in args.sections:
        bench_lm(args)


if __name__ == "__main__":
    main()
