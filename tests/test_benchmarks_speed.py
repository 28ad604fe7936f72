# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Smoke runs of the speed benchmarks at tiny sizes (no timing is asserted: speed lives in benchmarks/)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(*argv, timeout=900):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run([sys.executable, *argv], cwd=str(ROOT), capture_output=True, text=True, timeout=timeout,
                         env=env)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-3000:]
    return res.stdout


@pytest.mark.slow
def test_bench_gpu_runs_tiny_on_cpu(tmp_path):
    out = _run("benchmarks/bench_gpu.py", "--tiny", "--device", "cpu", "--dtype", "float32")
    for text in ("LM decode", "dynamic cache, eager", "static cache (compile off)", "speech tokenization",
                 "vocoder", "speech -> speech", "RTF"):
        assert text in out, text
    assert "same ids: yes" in out  # the static cache decodes the same greedy ids as the dynamic one (fp32 math)


@pytest.mark.slow
def test_bench_exact_quick():
    out = _run("benchmarks/bench_exact.py", "--quick", "--repeats", "1")
    assert out.count("same units: yes") == 2 and out.count("same ids: yes") == 2 and "NO" not in out
