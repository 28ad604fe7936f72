# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The fast path (``pipeline(..., fast=True)``: bf16 speech tokenizer, a cached bf16 copy of a float32 LM, bf16
vocoder) against the exact path, speed and quality side by side, on the toy model (``recipes.toy.TOY_MODEL``).

    .venv/bin/python benchmarks/bench_fast.py [--max-new-tokens 60] [--repeats 3] [--threads 2] [--no-judge]

Quality rows: unit agreement of the speech tokenizer (fast vs exact units, per stream, position by position), the
vocoder's SNR and log-mel L1 distance (bf16 vs exact waveform, same units), greedy-id agreement of the LM (same
prompt ids; share of positions equal, and the common prefix), and the offline judge's WER of the speech → speech
outputs (fast transcripts scored against the exact ones, and each against nothing else: the toy model's
continuations have no reference text). Speed: exact and fast speech → speech calls alternate, median of
``--repeats``, spread = (max - min) / median.
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
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]
os.environ.setdefault("HF_HOME", tempfile.mkdtemp())

from transformers import pipeline  # noqa: E402

import modeling_spirit  # noqa: E402,F401
from bench_pipeline_batch import spread, toy_audios  # noqa: E402
from modeling_spirit.output_spirit_lm import OutputModality  # noqa: E402
from modeling_spirit.pipeline_spirit_lm import fast_dtype  # noqa: E402
from recipes.toy import TOY_MODEL  # noqa: E402


def agreement(a, b) -> float:
    n = max(len(a), len(b))
    return 1.0 if n == 0 else sum(x == y for x, y in zip(a, b)) / n


def common_prefix(a, b) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def snr_db(ref: np.ndarray, x: np.ndarray) -> float:
    n = min(len(ref), len(x))
    err = ref[:n] - x[:n]
    return float(10 * np.log10(np.sum(ref[:n] ** 2) / max(np.sum(err**2), 1e-30)))


def log_mel_l1(ref: np.ndarray, x: np.ndarray) -> float:
    import torchaudio  # heavy optional dependency: torchaudio (benchmark only)

    mel = torchaudio.transforms.MelSpectrogram(16000, n_fft=1024, hop_length=256, n_mels=80)
    n = min(len(ref), len(x))
    a, b = (torch.log(mel(torch.from_numpy(v[:n].copy())) + 1e-5) for v in (ref, x))
    return float((a - b).abs().mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(TOY_MODEL))
    ap.add_argument("--inputs", type=int, default=6)
    ap.add_argument("--max-new-tokens", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--lm-dtype", choices=["auto", "float32", "bfloat16"], default="auto",
                    help="the LM's dtype (auto: as saved; the toy model is float16)")
    ap.add_argument("--no-judge", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dtype = {"auto": "auto", "float32": torch.float32, "bfloat16": torch.bfloat16}[args.lm_dtype]
    pipe = pipeline("spirit-lm", model=args.model, dtype=dtype)
    audios = toy_audios(args.inputs)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, cpu {torch.backends.cpu.get_cpu_capability()}"
          f", native bf16 (oneDNN): {fast_dtype('cpu') is not None}; LM dtype {pipe.model.dtype}, vocoder "
          f"{pipe.vocoder.config.upsample_initial_channel} channels; {len(audios)} inputs "
          f"({sum(len(a) for a in audios) / 16000:.1f} s)")

    # 1. speech tokenizer: unit agreement
    st = pipe.speech_tokenizer
    exact_u, fast_u = st.encode_units(audios), st.encode_units(audios, fast=True)
    for key in exact_u[0]:
        a = [u for d in exact_u for u in d[key]]
        b = [u for d in fast_u for u in d[key]]
        same_len = all(len(x[key]) == len(y[key]) for x, y in zip(exact_u, fast_u))
        print(f"[speech tokenizer] {key:<6} unit agreement fast vs exact: {100 * agreement(a, b):.1f}% of {len(a)} "
              f"units (same lengths: {same_len})")

    # 2. vocoder: same units, bf16 vs exact
    voc, dtype = pipe.vocoder, fast_dtype(pipe.vocoder.device)
    strings = [st.units_to_string(u) for u in exact_u]
    snrs, mels = [], []
    for s in strings:
        ref, fast = voc.decode(s), voc.decode(s, dtype=dtype)
        snrs.append(snr_db(ref, fast))
        mels.append(log_mel_l1(ref, fast))
    print(f"[vocoder] dtype {dtype}: SNR to the exact waveform median {statistics.median(snrs):.1f} dB (min "
          f"{min(snrs):.1f}); log-mel L1 median {statistics.median(mels):.3f} (same units)")

    # 3. LM: greedy-id agreement on the same prompts
    gen = dict(max_new_tokens=args.max_new_tokens, do_sample=False)
    banned = dict(original_banned_tokens=True)
    agree, prefix, total = [], 0, 0
    for a in audios:
        m = pipe.preprocess(a, output_modality=OutputModality.SPEECH)
        ids = [pipe._forward([m], output_modality=OutputModality.SPEECH, generate_kwargs=gen, fast=f, **banned)[0]["new_ids"]
               for f in (False, True)]
        agree.append(agreement(*ids))
        prefix += common_prefix(*ids)
        total += len(ids[0])
    print(f"[LM] greedy-id agreement fast vs exact (same prompt): {100 * statistics.mean(agree):.1f}% of positions; "
          f"common prefix {prefix}/{total} ids (LM dtype {pipe.model.dtype}: the bf16 copy only replaces float32 LMs)")

    # 4. speech -> speech, whole call: speed and the judge
    # the original's speech rule (speech never stops at EOS): the toy model otherwise often ends at once
    kw = dict(output_modality="speech", max_new_tokens=args.max_new_tokens, do_sample=False,
              original_banned_tokens=True)
    exact_out = pipe(audios, **kw)
    fast_out = pipe(audios, fast=True, **kw)
    te, tf = [], []
    for _ in range(args.repeats):
        t = time.perf_counter()
        pipe(audios, **kw)
        te.append(time.perf_counter() - t)
        t = time.perf_counter()
        pipe(audios, fast=True, **kw)
        tf.append(time.perf_counter() - t)
    me, mf = statistics.median(te), statistics.median(tf)
    print(f"[speech -> speech] exact {me:.2f} s (spread {spread(te):.0%}), fast {mf:.2f} s (spread {spread(tf):.0%}): "
          f"{me / mf:.2f}x (per-pair {', '.join(f'{a / b:.2f}' for a, b in zip(te, tf))})")
    units_agree = statistics.mean(agreement(x[0]["units"], y[0]["units"]) for x, y in zip(exact_out, fast_out))
    print(f"[speech -> speech] output unit strings identical: "
          f"{sum(x[0]['units'] == y[0]['units'] for x, y in zip(exact_out, fast_out))}/{len(audios)}; "
          f"character agreement {100 * units_agree:.1f}%")
    if args.no_judge:
        return
    import jiwer  # heavy optional dependency: jiwer (benchmark only)

    from recipes.eval.judges import default_judge_available, load_asr_judge
    from recipes.eval.toy.text import spell_digits

    if not default_judge_available():
        print("[judge] the offline judge (faster-whisper) is not installed; skipped")
        return
    judge = load_asr_judge()
    norm = lambda t: " ".join(spell_digits(t).lower().replace(",", "").replace(".", "").split())  # noqa: E731
    ex = [norm(t) for t in judge([o[0]["audio"] for o in exact_out])]
    fa = [norm(t) for t in judge([o[0]["audio"] for o in fast_out])]
    pairs = [(a, b) for a, b in zip(ex, fa) if a.strip()]
    wer = jiwer.wer([a for a, _ in pairs], [b for _, b in pairs]) if pairs else float("nan")
    print(f"[judge] WER of the fast outputs' transcripts against the exact outputs' transcripts: {100 * wer:.1f}% "
          f"({len(pairs)} non-empty); identical transcripts {sum(a == b for a, b in zip(ex, fa))}/{len(ex)}")
    for a, b in list(zip(ex, fa))[:3]:
        print(f"    exact: {a!r}\n    fast : {b!r}")


if __name__ == "__main__":
    main()
