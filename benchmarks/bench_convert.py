# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Peak memory and time of the language-model conversion on a bigger random stand-in checkpoint.

    .venv/bin/python benchmarks/bench_convert.py [--hidden 1024 --layers 12 --ffn 2816] [--max-shard-size 200MB]
                                                  [--dtype bfloat16]

Builds an original-layout checkpoint (``pytorch_model.bin``, fp32, the real 32512-row vocabulary; the stand-in of
``tests/standin_lm.py`` at a larger Llama shape), then converts it in a fresh process
(:func:`modeling_spirit.convert.convert_language_model`) and prints its wall time, peak RSS (``VmHWM`` of the
child) against the checkpoint's size and against the same process's RSS right after the imports, and the shards
written. The converter memory-maps the original, writes it shard by shard and hands each checked or written
tensor's mapped pages back to the kernel (``convert_common.release_file_pages``), so the peak above the imports is
about one shard (the pages ``save_file`` reads) plus the tokenizer conversion, never the whole checkpoint and never
two copies; with ``--dtype`` a cast happens one shard at a time. At the 7B shape (``--hidden 4096 --layers 32 --ffn 11008``, 13.5 GB in bf16) this needs 30+ GB of
disk and minutes; the default (~0.9 GB) runs in about a minute.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

CHILD = r"""
import json, sys, time
from modeling_spirit.convert import convert_language_model
import torch, transformers, safetensors  # noqa: F401  (the imports' RSS is measured before the conversion)

def status(key):  # kB from /proc/self/status: VmRSS (now), VmHWM (peak so far)
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])

rss0, hwm0 = status("VmRSS"), status("VmHWM")
t = time.perf_counter()
convert_language_model(sys.argv[1], "base", sys.argv[2], dtype=sys.argv[3] or None, max_shard_size=sys.argv[4])
print(json.dumps({"seconds": time.perf_counter() - t, "rss_imports_kb": rss0, "hwm_imports_kb": hwm0,
                  "peak_rss_kb": status("VmHWM")}))
"""


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--hidden", type=int, default=1024)
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--ffn", type=int, default=2816)
    ap.add_argument("--heads", type=int, default=16)
    ap.add_argument("--max-shard-size", default="200MB")
    ap.add_argument("--dtype", default="", choices=["", "float32", "bfloat16", "float16"])
    ap.add_argument("--workdir", default=None, help="where to build (default: a temporary folder)")
    args = ap.parse_args(argv)

    import standin_lm

    standin_lm.TINY_LLAMA.update(hidden_size=args.hidden, intermediate_size=args.ffn, num_hidden_layers=args.layers,
                                 num_attention_heads=args.heads, num_key_value_heads=args.heads)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        ckpt = Path(tmp) / "checkpoints"
        t = time.perf_counter()
        lm_dir = standin_lm.build_lm_standin(ckpt, "base")
        size = (lm_dir / "pytorch_model.bin").stat().st_size
        print(f"stand-in checkpoint: hidden {args.hidden}, {args.layers} layers, ffn {args.ffn}: "
              f"{size / 1e9:.2f} GB pytorch_model.bin (fp32), built in {time.perf_counter() - t:.0f} s")
        out = Path(tmp) / "out"
        res = subprocess.run([sys.executable, "-c", CHILD, str(ckpt), str(out), args.dtype, args.max_shard_size],
                             cwd=str(ROOT), capture_output=True, text=True)
        if res.returncode:
            raise SystemExit(res.stderr[-3000:])
        m = json.loads(res.stdout.strip().splitlines()[-1])
        shards = sorted(p for p in out.glob("model*.safetensors"))
        written = sum(p.stat().st_size for p in shards)
        peak, base = m["peak_rss_kb"] * 1024, m["rss_imports_kb"] * 1024
        index = out / "model.safetensors.index.json"
        print(f"convert (--max-shard-size {args.max_shard_size}, dtype {args.dtype or 'as stored'}): "
              f"{m['seconds']:.1f} s; {len(shards)} shard(s), {written / 1e9:.2f} GB written, largest "
              f"{max(p.stat().st_size for p in shards) / 1e6:.0f} MB"
              f"{', index: ' + str(len(json.loads(index.read_text())['weight_map'])) + ' tensors' if index.exists() else ''}")
        print(f"peak RSS {peak / 1e9:.2f} GB; RSS after the imports {base / 1e9:.2f} GB (their own peak "
              f"{m['hwm_imports_kb'] * 1024 / 1e9:.2f} GB); conversion peak - imports = {(peak - base) / 1e9:.2f} GB = "
              f"{(peak - base) / size:.2f}x the checkpoint ({size / 1e9:.2f} GB)")


if __name__ == "__main__":
    main()
