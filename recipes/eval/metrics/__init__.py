# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Local ``evaluate`` metric modules (``wer``, ``cer``, ``accuracy``), loadable offline by path."""

from pathlib import Path

METRICS_DIR = Path(__file__).resolve().parent
METRIC_NAMES = ("wer", "cer", "accuracy")


def metric_path(name: str) -> str:
    if name not in METRIC_NAMES:
        raise ValueError(f"Unknown metric {name!r}; local metrics: {METRIC_NAMES}.")
    return str(METRICS_DIR / name)


def load_metric(name: str):
    """``evaluate.load`` of the local module (no Hub access)."""
    import evaluate

    return evaluate.load(metric_path(name))


def compute(name: str, predictions, references, **kwargs) -> float:
    return load_metric(name).compute(predictions=list(predictions), references=list(references), **kwargs)[name]
