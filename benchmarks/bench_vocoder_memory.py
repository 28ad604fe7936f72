# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Vocoder peak memory against input length (issue 20, defect 8): ``decode`` of N HuBERT units with the toy vocoder,
one fresh subprocess per length so that each peak RSS (``resource.getrusage``) is its own. The ``stream`` column is
``decode_stream`` for comparison, ``load`` the process after loading the vocoder (the floor).

    .venv/bin/python benchmarks/bench_vocoder_memory.py [--lengths 500 2000 4000] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, resource, sys
sys.path.insert(0, {root!r})
import numpy as np, torch
torch.set_num_threads({threads})
from modeling_spirit.modeling_spirit_hifigan import SpiritLMHifiGan
from recipes.toy import TOY_MODEL
voc = SpiritLMHifiGan.from_pretrained(TOY_MODEL / "vocoder").eval()
units = np.random.default_rng(0).integers(0, voc.config.num_embeddings, {n}).tolist()
kb = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
load = kb()
if {mode!r} == "decode":
    samples = len(voc.decode(units))
else:
    samples = sum(len(c) for c in voc.decode_stream(units))
print(json.dumps({{"load_mb": load / 1024, "peak_mb": kb() / 1024, "seconds": samples / voc.sampling_rate}}))
"""


def measure(n: int, mode: str, threads: int) -> dict:
    code = CHILD.format(root=str(ROOT), n=n, mode=mode, threads=threads)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", type=int, nargs="+", default=[500, 2000, 4000])
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args()
    print(f"{'units':>6} {'audio s':>8} {'load MB':>8} {'decode peak MB':>15} {'stream peak MB':>15}")
    for n in args.lengths:
        d = measure(n, "decode", args.threads)
        s = measure(n, "stream", args.threads)
        print(f"{n:>6} {d['seconds']:>8.1f} {d['load_mb']:>8.0f} {d['peak_mb']:>15.0f} {s['peak_mb']:>15.0f}")


if __name__ == "__main__":
    main()
