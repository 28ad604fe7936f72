# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Vocoder benchmark: real-time factor, achieved GFLOP/s vs the machine's fp32 matmul peak, batching, streaming
latency and the opt-in bfloat16 path, on a full-size stand-in (upsample_initial_channel 512, HiFi-GAN V1 kernels).

    .venv/bin/python benchmarks/bench_hifigan.py [--seconds 10] [--batch 4] [--repeats 2] [--threads N]
    .venv/bin/python benchmarks/bench_hifigan.py --long [--seconds 10] [--long-seconds 50] [--repeats 3] [--threads 2]
        [--chunks 25 100] [--windows 1000] [--one-pass-seconds 40]

Everything is measured in this process, on this machine (the peak too), so the ratios are comparable.
Targets: exact path >= 70% of measured matmul peak; first streamed chunk <= 20% of full-decode time; bf16 >= 1.6x.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from modeling_spirit.convert_hifigan import convert_hifigan  # noqa: E402
from modeling_spirit.modeling_spirit_hifigan import SpiritLMHifiGan  # noqa: E402
from standin_hifigan import build_hifigan_standin  # noqa: E402


def best_time(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def matmul_peak_gflops(n=2048, repeats=5):
    a, b = torch.randn(n, n), torch.randn(n, n)
    t = best_time(lambda: torch.mm(a, b), repeats)
    return 2 * n**3 / t / 1e9


def count_generator_flops(model: SpiritLMHifiGan, frames: int) -> float:
    """Multiply-adds x 2 of every convolution of the generator for ``frames`` input frames (hooks on one run)."""
    total = [0.0]

    def hook(mod, inp, out):
        if isinstance(mod, nn.ConvTranspose1d):
            c_in, c_out, k = mod.weight.shape
            total[0] += 2.0 * c_in * c_out * k * inp[0].shape[-1]
        else:
            c_out, c_in, k = mod.weight.shape
            total[0] += 2.0 * c_in * c_out * k * out.shape[-1]

    hooks = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d))]
    hooks = [h for h in hooks]
    with torch.no_grad():
        feats = model.embed_frames(torch.zeros(1, frames, dtype=torch.long))
        # exclude the duration predictor (not run here)
        model.generate_waveform(feats)
    for h in hooks:
        h.remove()
    return total[0]


def median_spread(times):
    med = statistics.median(times)
    return med, (max(times) - min(times)) / med


def long_decode(args):
    """``--long``: per audio second, the long decode (``--long-seconds``, beyond ``decode_window_frames``: the
    default path feeds the streaming generator ``decode_chunk_frames`` frames at a time, each sample computed once)
    against the one-pass decode of ``--seconds`` (the reference speed), base and expressive, calls alternating.
    Also: the one pass at the ``--one-pass-seconds`` lengths (how the one-pass speed depends on the length), the
    streamed decode at the ``--chunks`` sizes, and the previous long path (windows of ``--windows`` frames with
    ``receptive_field_frames`` of recomputed context on both sides). Each long row says its max abs difference to the
    one pass of the same long input (float rounding only: the kernels' summation order depends on the shapes);
    then a batch of segments one by one vs padded."""
    rng = np.random.default_rng(0)
    for variant in args.variants:
        with tempfile.TemporaryDirectory() as tmp:
            build_hifigan_standin(tmp, variant, tiny=False, seed=0)
            convert_hifigan(tmp, variant, Path(tmp) / "out")
            model = SpiritLMHifiGan.from_pretrained(Path(tmp) / "out").eval()
        cfg = model.config

        def units(frames):
            u = {"hubert": rng.integers(0, 500, size=frames).tolist()}
            if cfg.num_f0_tokens:
                u["pitch"] = rng.integers(0, cfg.num_f0_tokens, size=frames // 2).tolist()  # 12.5 Hz beside 25 Hz
                u["style"] = rng.integers(0, cfg.num_style_tokens, size=max(1, frames // 25)).tolist()  # 1 Hz
            return u

        fps = cfg.sampling_rate / cfg.hop_length
        short, long_ = units(int(args.seconds * fps)), units(int(args.long_seconds * fps))
        default_window, default_chunk = model.decode_window_frames, model.decode_chunk_frames
        chunks = [default_chunk] + [c for c in args.chunks if c != default_chunk]

        def run(u, chunk=default_chunk, window=None, one_pass=False):
            """decode(u); beyond the threshold: streamed in `chunk`s, or `window`s (the previous path)."""
            model.decode_chunk_frames = chunk
            if one_pass:
                model.decode_window_frames = 10**9
            if window is not None:
                model._run_generator_streamed = lambda feats, dtype, _c: model._run_generator_windowed(
                    feats, dtype, window)
            try:
                return model.decode(u, dur_pred=False)
            finally:
                model.decode_window_frames, model.decode_chunk_frames = default_window, default_chunk
                model.__dict__.pop("_run_generator_streamed", None)

        ref = run(long_, one_pass=True)  # the one pass over all the long input's frames (unbounded memory)
        calls = [("one pass", lambda: run(short), args.seconds, None)]
        for secs in args.one_pass_seconds:
            if secs != args.seconds:
                u = units(int(secs * fps))
                calls.append(("one pass", (lambda u=u: run(u)), secs, None))
        calls += [(f"streamed c={c}{' (default)' if c == default_chunk else ''}", (lambda c=c: run(long_, chunk=c)),
                   args.long_seconds, "long") for c in chunks]
        calls += [(f"windowed W={w}", (lambda w=w: run(long_, window=w)), args.long_seconds, "long")
                  for w in args.windows]
        times = {i: [] for i in range(len(calls))}
        for _, fn, _, _ in calls:
            fn()  # warm-up
        for _ in range(args.repeats):
            for i, (_, fn, _, _) in enumerate(calls):
                t = time.perf_counter()
                fn()
                times[i].append(time.perf_counter() - t)
        base_rtf = statistics.median(times[0]) / args.seconds
        load = open("/proc/loadavg").read().split()[:3] if Path("/proc/loadavg").exists() else "?"
        print(f"[long, {variant}] per audio second vs the {args.seconds:.0f} s one pass, median of {args.repeats}, "
              f"alternating; load average {' '.join(load)}")
        for i, (name, fn, secs, kind) in enumerate(calls):
            med, spr = median_spread(times[i])
            note = ""
            if kind == "long":
                w = fn()
                note = ("bitwise the one pass" if np.array_equal(w, ref)
                        else f"max abs diff {np.abs(w - ref).max():.1e} vs the one pass")
            ratios = sorted(base_rtf / (t / secs) for t in times[i])
            print(f"  {secs:4.0f} s {name:<22} {med:7.3f} s (spread {spr:4.0%})  RTF {med / secs:.4f}  "
                  f"per-audio-second speed vs {args.seconds:.0f} s one pass: {base_rtf / (med / secs):.2f}x "
                  f"[{ratios[0]:.2f}-{ratios[-1]:.2f}]  {note}")

        # a batch of segments (2-9 s, different speakers): one by one vs padded, sorted (none: no segment rows)
        if not args.segment_seconds:
            continue
        segs = [units(int(s * fps)) for s in args.segment_seconds]
        spk = [i % cfg.num_speakers for i in range(len(segs))]
        total = sum(args.segment_seconds)
        fns = {"one by one (default on CPU)": lambda: model.decode_batch(segs, speaker_id=spk, dur_pred=False),
               f"padded, batch_size={len(segs)}": lambda: model.decode_batch(segs, speaker_id=spk, dur_pred=False,
                                                                              batch_size=len(segs))}
        bt = {k: [] for k in fns}
        for fn in fns.values():
            fn()
        for _ in range(args.repeats):
            for k, fn in fns.items():
                t = time.perf_counter()
                fn()
                bt[k].append(time.perf_counter() - t)
        first = statistics.median(next(iter(bt.values())))
        print(f"[batch, {variant}] {len(segs)} segments {args.segment_seconds} s ({total:.0f} s of audio)")
        for k, ts in bt.items():
            med, spr = median_spread(ts)
            print(f"  {k:<28} {med:7.3f} s (spread {spr:4.0%})  RTF {med / total:.4f}  speed vs one by one "
                  f"{first / med:.2f}x")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--long", action="store_true", help="only the long-decode and segment-batch rows (see long_decode)")
    ap.add_argument("--long-seconds", type=float, default=50.0)
    ap.add_argument("--windows", type=int, nargs="*", default=[1000],
                    help="--long: window sizes of the previous long path (recomputed context), for comparison")
    ap.add_argument("--chunks", type=int, nargs="*", default=[25, 100],
                    help="--long: chunk sizes of the streamed long path besides decode_chunk_frames")
    ap.add_argument("--one-pass-seconds", type=float, nargs="*", default=[40],
                    help="--long: one-pass lengths besides --seconds (up to decode_window_frames frames)")
    ap.add_argument("--variants", nargs="+", choices=["base", "expressive"], default=["base", "expressive"])
    ap.add_argument("--segment-seconds", type=float, nargs="*", default=[2, 3, 4, 5, 6, 7, 8, 9])
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.long:
        print(f"torch {torch.__version__}, threads {torch.get_num_threads()}")
        return long_decode(args)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, cpu capability "
          f"{torch.backends.cpu.get_cpu_capability()}")

    with tempfile.TemporaryDirectory() as tmp:
        build_hifigan_standin(tmp, "base", tiny=False, seed=0)
        convert_hifigan(tmp, "base", Path(tmp) / "out")
        model = SpiritLMHifiGan.from_pretrained(Path(tmp) / "out").eval()
    cfg = model.config
    n_params = sum(p.numel() for p in model.parameters())
    frames = int(round(args.seconds * cfg.sampling_rate / cfg.hop_length))
    audio_s = frames * cfg.hop_length / cfg.sampling_rate
    rng = np.random.default_rng(0)
    units = {"hubert": rng.integers(0, 500, size=frames).tolist()}
    print(f"model: {n_params / 1e6:.1f} M params, upsample_initial_channel {cfg.upsample_initial_channel}; "
          f"input: {frames} units = {audio_s:.1f} s of audio (dur_pred=False, exact length)")

    peak = matmul_peak_gflops()
    flops = count_generator_flops(model, frames)
    print(f"fp32 matmul peak (2048^3, measured now): {peak:.1f} GFLOP/s; generator work: {flops / 1e9:.1f} GFLOP")

    # 1. exact path, one item
    t_full = best_time(lambda: model.decode(units, dur_pred=False), args.repeats)
    print(f"[exact fp32] decode {audio_s:.0f} s: {t_full:.3f} s  RTF {t_full / audio_s:.3f}  "
          f"{flops / t_full / 1e9:.1f} GFLOP/s = {100 * flops / t_full / 1e9 / peak:.0f}% of matmul peak")

    # 2. batch of items with different lengths vs one at a time
    lens = [frames - i * frames // (2 * args.batch) for i in range(args.batch)]
    items = [{"hubert": rng.integers(0, 500, size=n).tolist()} for n in lens]
    total_audio = sum(lens) * cfg.hop_length / cfg.sampling_rate
    t_seq = best_time(lambda: [model.decode(u, dur_pred=False) for u in items], 1)
    t_bat = best_time(lambda: model.decode_batch(items, dur_pred=False), 1)
    wav_seq = [model.decode(u, dur_pred=False) for u in items]
    wav_bat = model.decode_batch(items, dur_pred=False)
    berr = max(float(np.abs(a - b).max() / np.abs(a).max()) for a, b in zip(wav_seq, wav_bat))
    print(f"[batch] {args.batch} items ({total_audio:.1f} s audio, lengths {lens}): one at a time {t_seq:.3f} s "
          f"(RTF {t_seq / total_audio:.3f}), batched {t_bat:.3f} s (RTF {t_bat / total_audio:.3f}), "
          f"speed-up {t_seq / t_bat:.2f}x, max diff {berr:.1e} of peak")

    # 3. streaming: time to first chunk vs full decode (string-like deduplicated input with duration prediction)
    n_units = frames // 2
    dedup = {"hubert": rng.integers(0, 500, size=n_units).tolist()}
    t_full_dp = best_time(lambda: model.decode(dedup), args.repeats)

    def first_chunk():
        gen = model.decode_stream(dedup, chunk_units=25)
        chunk = next(gen)
        gen.close()
        return chunk

    t_first = best_time(first_chunk, args.repeats)
    full = model.decode(dedup)
    streamed = np.concatenate(list(model.decode_stream(dedup, chunk_units=25)))
    serr = float(np.abs(full - streamed).max() / np.abs(full).max())
    print(f"[stream] {n_units} deduplicated units -> {full.size / cfg.sampling_rate:.1f} s: full decode "
          f"{t_full_dp:.3f} s, first chunk ({first_chunk().size / cfg.sampling_rate:.2f} s of audio) after "
          f"{t_first:.3f} s = {100 * t_first / t_full_dp:.0f}% of full; concatenation max diff {serr:.1e} of peak")

    # 4. bf16 opt-in path
    t_bf16 = best_time(lambda: model.decode(units, dur_pred=False, dtype=torch.bfloat16), args.repeats)
    exact = model.decode(units, dur_pred=False)
    fast = model.decode(units, dur_pred=False, dtype=torch.bfloat16)
    err = np.abs(exact - fast)
    snr = 10 * np.log10(np.sum(exact**2) / max(np.sum(err**2), 1e-30))
    print(f"[bf16, cached bf16 weights] decode {audio_s:.0f} s: {t_bf16:.3f} s, speed-up {t_full / t_bf16:.2f}x vs exact; "
          f"waveform error max {err.max() / np.abs(exact).max():.2e} of peak, SNR {snr:.1f} dB")


if __name__ == "__main__":
    main()
