# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Speech → speech throughput of a pipeline batch against the same inputs one by one (issue 21, item 3), with where
the time goes (speech tokenizer, LM generate, vocoder), on the toy model (``recipes.toy.TOY_MODEL``) or any folder.

    .venv/bin/python benchmarks/bench_pipeline_batch.py [--batch 8] [--max-new-tokens 60] [--repeats 3] [--threads 2]

Calls alternate (batch 1, batch N, ...) in one process; medians of ``--repeats`` and the spread ((max - min) /
median) are printed. The batch's outputs are checked equal to the one-by-one outputs (bitwise audio).
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HOME", tempfile.mkdtemp())

import soundfile as sf  # noqa: E402
from transformers import pipeline  # noqa: E402

import modeling_spirit  # noqa: E402,F401
from recipes.toy import TOY_MODEL  # noqa: E402


def toy_audios(n: int):
    files = sorted(glob.glob(str(Path(TOY_MODEL) / "examples" / "*.flac")))
    audios = [sf.read(f, dtype="float32")[0] for f in files]
    return [audios[i % len(audios)] for i in range(n)]


class StageTimer:
    """Wraps the three stages' entry points and sums their wall time per call."""

    def __init__(self, pipe):
        self.times = defaultdict(float)
        for name, obj, attr in (("speech tokenizer", pipe.speech_tokenizer, "encode_string"),
                                ("LM generate", pipe.model, "generate"),
                                ("vocoder", pipe.vocoder, "decode_batch")):
            self._wrap(name, obj, attr)

    def _wrap(self, name, obj, attr):
        original = getattr(obj, attr)

        def timed(*args, **kwargs):
            t = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.times[name] += time.perf_counter() - t

        setattr(obj, attr, timed)

    def take(self):
        out, self.times = dict(self.times), defaultdict(float)
        return out


def same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def spread(xs):
    return (max(xs) - min(xs)) / statistics.median(xs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(TOY_MODEL))
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--max-new-tokens", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lm-dtype", choices=["auto", "float32", "bfloat16"], default="auto",
                    help="the LM's dtype (auto: as saved; the toy model is float16)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dtype = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16}[args.lm_dtype]
    pipe = pipeline("spirit-lm", model=args.model, dtype=dtype)
    audios = toy_audios(args.batch)
    # the original's speech rule (speech never stops at EOS): the toy model otherwise often ends at once
    kw = dict(output_modality="speech", max_new_tokens=args.max_new_tokens, do_sample=False,
              original_banned_tokens=True)
    timer = StageTimer(pipe)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, LM dtype {pipe.model.dtype}; "
          f"{len(audios)} speech inputs ({sum(len(a) for a in audios) / 16000:.1f} s), speech out, "
          f"max_new_tokens={args.max_new_tokens}, greedy")
    # warm-up and the equality check
    single = [pipe(a, **kw) for a in audios]
    batch = pipe(audios, batch_size=args.batch, **kw)
    timer.take()
    print(f"batch == one-by-one (audio bitwise): {same(batch, single)}")
    audio_out = sum(len(seg["audio"]) for segs in batch for seg in segs) / 16000
    t1, tb, s1, sb = [], [], [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        for a in audios:
            pipe(a, **kw)
        t1.append(time.perf_counter() - t)
        s1.append(timer.take())
        t = time.perf_counter()
        pipe(audios, batch_size=args.batch, **kw)
        tb.append(time.perf_counter() - t)
        sb.append(timer.take())
    m1, mb = statistics.median(t1), statistics.median(tb)
    print(f"one by one : {m1:.2f} s (spread {spread(t1):.0%})  {audio_out / m1:.2f} s of audio out per s")
    print(f"batch {args.batch:<4} : {mb:.2f} s (spread {spread(tb):.0%})  {audio_out / mb:.2f} s of audio out per s")
    ratios = [a / b for a, b in zip(t1, tb)]
    print(f"throughput batch {args.batch} / batch 1: {m1 / mb:.2f}x (per-pair ratios "
          f"{', '.join(f'{r:.2f}' for r in ratios)})")
    print("where the time goes (median s):      one by one    batch   ratio")
    for stage in ("speech tokenizer", "LM generate", "vocoder"):
        a = statistics.median(s.get(stage, 0.0) for s in s1)
        b = statistics.median(s.get(stage, 0.0) for s in sb)
        print(f"  {stage:<32} {a:10.2f} {b:8.2f} {a / b if b else float('nan'):7.2f}x")
    rest1 = m1 - sum(statistics.median(s.get(k, 0.0) for s in s1) for k in ("speech tokenizer", "LM generate", "vocoder"))
    restb = mb - sum(statistics.median(s.get(k, 0.0) for s in sb) for k in ("speech tokenizer", "LM generate", "vocoder"))
    print(f"  {'rest (prompts, outputs)':<32} {rest1:10.2f} {restb:8.2f}")


if __name__ == "__main__":
    main()
